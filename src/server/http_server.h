// HttpServer: serves the Api (and the web UI's files) over HTTP/1.1 or HTTPS.
//
// The only file of src/server that includes the HTTP library (pimpl). It turns
// each request into an ApiRequest (path, query, body, peer address, bearer token,
// session cookie, CSRF and Last-Event-ID headers), and the ApiResponse back; an
// SSE response is written piece by piece from its EventStream until the stream is
// done or the client goes away. Static files come from `web_dir` (when set) for
// paths outside /api, /healthz and /metrics. Every response carries security
// headers (nosniff, no framing, a same-origin content security policy). No
// exception escapes a handler.
//
// Bind, then Serve (blocks) on one thread; Stop may be called from any thread.
// Each open connection (an SSE viewer included) holds one of `threads` workers.
// Over HTTP and HTTPS alike the server is a GuardedHttpServer
// (net/guarded_http_server.h): a request (and a TLS handshake) must arrive whole
// within `request_timeout_seconds`, and past `threads` connections a new one
// evicts the connection idle on its client the longest. The port is not shared:
// binding a port in use fails.
#pragma once

#include <memory>
#include <string>

#include "server/api.h"
#include "util/status.h"

namespace ward::server {

struct HttpServerOptions {
  std::string tls_cert;  // PEM files; both empty = plain HTTP
  std::string tls_key;
  std::string web_dir;  // built web UI (index.html…); empty = API only
  size_t threads = 128;
  int keep_alive_timeout_seconds = 5;
  int request_timeout_seconds = 10;
  size_t max_body_bytes = 1 << 20;
};

class HttpServer {
 public:
  HttpServer(Api* api, Metrics* metrics, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Unavailable when the TLS files cannot be loaded or the address cannot be bound.
  // Returns the bound port (`port` 0 picks a free one).
  Result<int> Bind(const std::string& host, int port);
  Status Serve();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ward::server
