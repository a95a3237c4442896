#include "ehr/http_adapter.h"

#include <httplib.h>

#include <cctype>

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

struct EhrHttpServer::Impl {
  EhrService* service;
  HttpServerOptions options;
  httplib::Server server;

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
    : impl_(std::make_unique<Impl>()) {
  impl_->service = service;
  impl_->options = options;
  Impl* impl = impl_.get();
  size_t threads = options.threads;
  impl->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl->server.set_keep_alive_max_count(options.keep_alive_max_requests);
  impl->server.set_keep_alive_timeout(options.keep_alive_timeout_seconds);
  impl->server.set_tcp_nodelay(true);
  auto handler = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->Handle(req, res);
  };
  impl->server.Get(".*", handler);
  impl->server.Post(".*", handler);
  impl->server.Put(".*", handler);
  impl->server.Delete(".*", handler);
  impl->server.Patch(".*", handler);
  impl->server.Options(".*", handler);
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
    return Unavailable("cannot bind " + host + ":" + std::to_string(port));
  }
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
