#include "ehr/http_adapter.h"

#include <httplib.h>

#include <cctype>

#include "net/guarded_http_server.h"

namespace ward::ehr {

namespace {

constexpr const char* kBasePath = "/fhir";
constexpr const char* kContentType = "application/fhir+json; charset=utf-8";

EhrRequest ToEhrRequest(const httplib::Request& req) {
  EhrRequest out;
  out.method = req.method;
  out.path = req.path.substr(std::string(kBasePath).size());
  size_t qm = req.target.find('?');
  if (qm != std::string::npos) out.query = req.target.substr(qm + 1);
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(lower), value);
  }
  out.body = req.body;
  std::string host = req.get_header_value("Host");
  if (host.empty()) host = req.local_addr + ":" + std::to_string(req.local_port);
  out.base_url = "http://" + host + kBasePath;
  return out;
}

bool UnderBase(const std::string& path) {
  const std::string base = kBasePath;
  return path == base || path.rfind(base + "/", 0) == 0;
}

}  // namespace

HttpGuardOptions GuardOptions(const HttpServerOptions& o) {
  HttpGuardOptions g;
  g.max_connections = o.threads;
  g.request_timeout_ms = int64_t{o.request_timeout_seconds} * 1000;
  g.keep_alive_timeout_seconds = o.keep_alive_timeout_seconds;
  g.keep_alive_max_requests = o.keep_alive_max_requests;
  return g;
}

struct EhrHttpServer::Impl {
  explicit Impl(const HttpServerOptions& o) : options(o), server(GuardOptions(o)) {}
  EhrService* service = nullptr;
  HttpServerOptions options;
  GuardedHttpServer server;

  void Handle(const httplib::Request& req, httplib::Response& res) {
    EhrResponse r;
    try {
      r = UnderBase(req.path)
              ? service->Handle(ToEhrRequest(req))
              : OutcomeResponse(404, "not-found", "the FHIR base is " + std::string(kBasePath));
    } catch (...) {
      r = OutcomeResponse(500, "exception", "internal error");
    }
    res.status = r.status;
    for (const auto& [k, v] : r.headers) res.set_header(k.c_str(), v);
    if (!r.body.empty()) res.set_content(std::move(r.body), kContentType);
  }
};

EhrHttpServer::EhrHttpServer(EhrService* service, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(options)) {
  impl_->service = service;
  Impl* impl = impl_.get();
  impl->server.set_tcp_nodelay(true);
  impl->server.set_payload_max_length(options.max_body_bytes);
  auto handler = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->Handle(req, res);
  };
  impl->server.Get(".*", handler);
  impl->server.Post(".*", handler);
  impl->server.Put(".*", handler);
  impl->server.Delete(".*", handler);
  impl->server.Patch(".*", handler);
  impl->server.Options(".*", handler);
  // httplib answers an oversized body with a bare 413; give it an OperationOutcome.
  size_t max_body = options.max_body_bytes;
  impl->server.set_error_handler([max_body](const httplib::Request&, httplib::Response& res) {
    if (res.status != 413 || !res.body.empty()) return;
    EhrResponse r = OutcomeResponse(413, "too-costly",
                                    "the request body is larger than the server accepts (" +
                                        std::to_string(max_body) + " bytes)");
    res.set_content(r.body, kContentType);
  });
  impl->server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        EhrResponse r = OutcomeResponse(500, "exception", "internal error");
        res.status = 500;
        res.set_content(r.body, kContentType);
      });
}

EhrHttpServer::~EhrHttpServer() { Stop(); }

Result<int> EhrHttpServer::Bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0) {
    bound = impl_->server.bind_to_any_port(host);
    if (bound <= 0) return Unavailable("cannot bind " + host + ":0");
  } else if (!impl_->server.bind_to_port(host, port)) {
    return Unavailable("cannot bind " + host + ":" + std::to_string(port) +
                       " (is another server using it?)");
  }
  impl_->server.WidenBacklog();
  return bound;
}

Status EhrHttpServer::Serve() {
  if (!impl_->server.listen_after_bind()) return Unavailable("the HTTP server stopped listening");
  return Status::Ok();
}

void EhrHttpServer::Stop() {
  if (impl_) impl_->server.stop();
}

}  // namespace ward::ehr
