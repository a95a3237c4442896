// EhrHttpServer: serves an EhrService over HTTP/1.1 at http://HOST:PORT/fhir.
//
// The only file of src/ehr that includes the HTTP library (pimpl). It moves bytes
// between HTTP and EhrRequest/EhrResponse: the path below /fhir, the raw query, the
// headers, the body; the base URL of each request comes from its Host header.
// Paths outside /fhir get a 404 OperationOutcome. No exception escapes a handler:
// a failure becomes a 500 OperationOutcome. A request body over `max_body_bytes`
// is refused with 413 and an OperationOutcome. The server is a GuardedHttpServer
// (net/guarded_http_server.h): each connection gets a thread up to `threads`, past
// which a new connection evicts the one idle on its client the longest; a request
// must arrive whole within `request_timeout_seconds`; and binding a port in use
// fails instead of sharing it.
//
// Bind, then Serve (blocks) on one thread; Stop may be called from any thread and
// makes Serve return. The service must outlive the server.
#pragma once

#include <memory>
#include <string>

#include "ehr/ehr_service.h"
#include "util/status.h"

namespace ward::ehr {

struct HttpServerOptions {
  size_t threads = 64;  // connections served at once (a thread each)
  int keep_alive_timeout_seconds = 5;
  size_t keep_alive_max_requests = 100000;
  int request_timeout_seconds = 30;   // a request's head and body must arrive within this
  size_t max_body_bytes = 64u << 20;  // larger bodies get 413
};

class EhrHttpServer {
 public:
  explicit EhrHttpServer(EhrService* service, HttpServerOptions options = {});
  ~EhrHttpServer();
  EhrHttpServer(const EhrHttpServer&) = delete;
  EhrHttpServer& operator=(const EhrHttpServer&) = delete;

  // Binds `host`:`port` (0 picks a free port). Returns the bound port, or
  // Unavailable naming the address.
  Result<int> Bind(const std::string& host, int port);
  // Accepts connections until Stop(). Unavailable if it could not listen.
  Status Serve();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ward::ehr
