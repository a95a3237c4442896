// GuardedHttpServer: an httplib::Server that slow, idle or abusive clients cannot
// starve, for `ward serve` and `ward ehr serve`. Only net/, server/ and
// ehr/http_adapter.cc include it (it exposes the HTTP library's types).
//
// What it guarantees, beyond httplib's defaults:
// - a request's head and body must arrive within `request_timeout_ms` of its first
//   byte (httplib's own read timeout restarts at every byte, so a client trickling
//   one header byte a second holds a worker forever);
// - connections get a thread each, up to `max_connections`; past that, each new
//   connection evicts the connection that has waited on its client (idle between
//   requests, or still sending its request) the longest, so clients that send
//   nothing cannot keep a prompt one out. A connection whose handler runs or whose
//   response is being written (an SSE stream) is never evicted;
// - the listening socket is exclusive: SO_REUSEADDR only, never SO_REUSEPORT, so a
//   second server on a port in use fails to bind instead of sharing it;
// - the listen backlog is SOMAXCONN (httplib compiles in 5).
// - over TLS (when a certificate and key are given) the handshake counts as the
//   start of the first request: it too must finish within `request_timeout_ms`,
//   and a connection stalled in it is evictable. TLS 1.2 or later.
// Stop() ends every open connection (streams included) promptly.
//
// Thread-safe like httplib::Server: configure, bind, listen on one thread; stop
// from any.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <memory>
#include <string>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace ward {

struct HttpGuardOptions {
  size_t max_connections = 128;
  int64_t request_timeout_ms = 10'000;
  int keep_alive_timeout_seconds = 5;
  size_t keep_alive_max_requests = 1000;
  std::string tls_cert_file;  // PEM (chain); with tls_key_file, serve HTTPS
  std::string tls_key_file;
};

class ConnectionRegistry;

class GuardedHttpServer : public httplib::Server {
 public:
  explicit GuardedHttpServer(HttpGuardOptions options);
  ~GuardedHttpServer() override;

  // False also when a TLS certificate or key was given and cannot be used.
  bool is_valid() const override;

  // Raises the listen backlog of the bound socket; call after bind_to_port.
  void WidenBacklog();

 private:
  bool process_and_close_socket(socket_t sock) override;

  HttpGuardOptions options_;
  std::shared_ptr<ConnectionRegistry> registry_;
  ssl_ctx_st* tls_ = nullptr;  // owned; null for plain HTTP
};

// SO_REUSEADDR without SO_REUSEPORT: for set_socket_options of any httplib server
// (TLS included) that must not share its port.
void ExclusiveListenSocketOptions(socket_t sock);

}  // namespace ward
