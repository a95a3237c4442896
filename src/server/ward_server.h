// WardServer: `ward serve` assembled — the stores, the authenticator, the event
// hub, the session pool, the approval notifier, the API and the HTTP(S) server.
// Stateless over the store: sessions started anywhere on the same store file are
// visible and manageable here.
//
// Start() binds and begins serving on a background thread; Stop() (or the
// destructor) stops accepting, cancels the sessions this server runs, and joins
// everything. Thread-safe to Stop from any thread.
#pragma once

#include <memory>
#include <string>

#include "runtime/config.h"
#include "util/status.h"

namespace ward::server {

struct ServeOptions {
  WardConfig config;    // config.server holds host, port, TLS, notify, threads…
  std::string web_dir;  // "" = find the installed UI (FindWebDir)
  int64_t heartbeat_ms = 15'000;
};

class WardServer {
 public:
  static Result<std::unique_ptr<WardServer>> Start(const ServeOptions& options);
  virtual ~WardServer() = default;
  virtual std::string url() const = 0;              // e.g. "https://127.0.0.1:7070"
  virtual std::string web_dir() const = 0;          // "" when no UI was found
  virtual std::string tls_fingerprint() const = 0;  // "" without TLS
  // Blocks until the server stops (Stop() or a failure); returns why.
  virtual Status Wait() = 0;
  virtual void Stop() = 0;
};

// $WARD_WEB_DIR, else <dir of the ward binary>/web, else <prefix>/share/ward/web,
// — the first holding index.html; "" if none.
std::string FindWebDir();

}  // namespace ward::server
