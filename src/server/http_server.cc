#include "server/http_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <sys/socket.h>

#include <cctype>

#include "net/guarded_http_server.h"

namespace ward::server {
namespace {

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

std::string CookieValue(const std::string& header, const std::string& name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    size_t start = part.find_first_not_of(' ');
    if (start != std::string::npos) part = part.substr(start);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

ApiRequest ToApiRequest(const httplib::Request& req) {
  ApiRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.query[k] = v;
  r.body = req.body;
  r.client = req.remote_addr;
  std::string auth = req.get_header_value("Authorization");
  if (auth.size() > 7 && (auth.rfind("Bearer ", 0) == 0 || auth.rfind("bearer ", 0) == 0))
    r.bearer = auth.substr(7);
  r.cookie = CookieValue(req.get_header_value("Cookie"), kSessionCookie);
  r.csrf = req.get_header_value("X-CSRF-Token");
  r.last_event_id = req.get_header_value("Last-Event-ID");
  return r;
}

bool IsApiPath(const std::string& path) {
  return path.rfind("/api/", 0) == 0 || path == "/healthz" || path == "/metrics";
}

}  // namespace

struct HttpServer::Impl {
  Api* api;
  Metrics* metrics;
  HttpServerOptions options;
  std::unique_ptr<GuardedHttpServer> server;

  void Handle(const httplib::Request& req, httplib::Response& res) {
    ApiResponse r = api->Handle(ToApiRequest(req));
    res.status = r.status;
    for (const auto& [k, v] : r.headers) res.set_header(k.c_str(), v);
    if (r.stream) {
      Stream(std::move(r.stream), res);
      return;
    }
    res.set_content(std::move(r.body), r.content_type.c_str());
  }

  void Stream(std::shared_ptr<EventStream> stream, httplib::Response& res) {
    metrics->StreamOpened();
    Metrics* m = metrics;
    res.set_chunked_content_provider(
        "text/event-stream",
        [stream](size_t, httplib::DataSink& sink) {
          bool done = false;
          auto piece = stream->Next(&done);
          if (!piece.ok()) {
            sink.done();
            return true;
          }
          if (!piece->empty() && !sink.write(piece->data(), piece->size())) return false;
          if (done) sink.done();
          return true;
        },
        [m](bool) { m->StreamClosed(); });
  }
};

HttpServer::HttpServer(Api* api, Metrics* metrics, HttpServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->api = api;
  impl_->metrics = metrics;
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

Result<int> HttpServer::Bind(const std::string& host, int port) {
  Impl* impl = impl_.get();
  const HttpServerOptions& o = impl->options;
  try {
    HttpGuardOptions guard;
    guard.max_connections = o.threads;
    guard.request_timeout_ms = int64_t{o.request_timeout_seconds} * 1000;
    guard.keep_alive_timeout_seconds = o.keep_alive_timeout_seconds;
    guard.keep_alive_max_requests = 10000;
    guard.tls_cert_file = o.tls_cert;
    guard.tls_key_file = o.tls_key;
    auto guarded = std::make_unique<GuardedHttpServer>(guard);
    if (!guarded->is_valid())
      return Unavailable("cannot load the TLS certificate " + o.tls_cert + " and key " + o.tls_key);
    impl->server = std::move(guarded);
    httplib::Server& s = *impl->server;
    s.set_payload_max_length(o.max_body_bytes);
    s.set_write_timeout(10, 0);
    s.set_tcp_nodelay(true);
    s.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                           {"X-Frame-Options", "DENY"},
                           {"Referrer-Policy", "no-referrer"},
                           {"Content-Security-Policy", kCsp}});
    if (!o.web_dir.empty()) s.set_mount_point("/", o.web_dir);
    auto handler = [impl](const httplib::Request& req, httplib::Response& res) {
      if (!IsApiPath(req.path) && req.method == "GET" && !impl->options.web_dir.empty()) {
        res.status = 404;
        res.set_content("not found", "text/plain");
        return;
      }
      impl->Handle(req, res);
    };
    for (const char* pattern : {".*"}) {
      s.Get(pattern, handler);
      s.Post(pattern, handler);
      s.Put(pattern, handler);
      s.Delete(pattern, handler);
      s.Patch(pattern, handler);
    }
    s.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content(Api::ErrorBody(Internal("unexpected failure")), "application/json");
        });
    int bound = port;
    if (port == 0) {
      bound = s.bind_to_any_port(host);
      if (bound <= 0) return Unavailable("cannot bind " + host + ":0");
    } else if (!s.bind_to_port(host, port)) {
      return Unavailable("cannot bind " + host + ":" + std::to_string(port));
    }
    impl->server->WidenBacklog();  // httplib listens with a backlog of 5
    return bound;
  } catch (const std::exception& e) {
    return Unavailable(std::string("cannot start the HTTP server: ") + e.what());
  }
}

Status HttpServer::Serve() {
  if (!impl_->server) return FailedPrecondition("Bind() first");
  if (!impl_->server->listen_after_bind()) return Unavailable("the HTTP server stopped listening");
  return Status::Ok();
}

void HttpServer::Stop() {
  if (impl_ && impl_->server) impl_->server->stop();
}

}  // namespace ward::server
