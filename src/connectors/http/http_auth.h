// HttpAuthenticator: the Authorization header of an `http` connector's requests.
//
// Secrets come from environment variables named in the config, read through an
// injected EnvReader at call time (so a rotated token is picked up without a
// restart). A missing or empty variable is FailedPrecondition naming the
// variable; a value with control characters is refused the same way. No secret
// value ever appears in a returned Status: messages name variables and URLs only,
// and every message built from a peer's reply passes through Redact().
//
// oauth2 (RFC 6749 §4.4, client credentials): a token is fetched from token_url by
// POST grant_type=client_credentials (+ scope), the client authenticating with
// HTTP Basic over form-encoded id and secret (§2.3.1). It is cached until
// expires_in minus the configured margin by the injected Clock (a token without
// expires_in is kept until the API answers 401). The token endpoint's reply is
// read up to 64 KiB. A failing endpoint is Unauthenticated (4xx) or Unavailable
// (5xx, transport), quoting at most its OAuth `error` code.
//
// Thread-safety: all methods may be called concurrently; the token cache is
// guarded by a mutex that is also held while a token is fetched, so concurrent
// callers do not stampede the endpoint.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/http/http_api_config.h"
#include "net/http_client.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward {

// Reads one environment variable; nullopt when unset.
using EnvReader = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvReader ProcessEnvReader();

// What one request authenticates with.
struct HttpCredentials {
  std::string authorization;         // the header's value; empty for auth = "none"
  std::vector<std::string> secrets;  // every secret string in play, for Redact()
  uint64_t token_generation = 0;     // oauth2: which cached token this is
};

// Transport settings the token request shares with the API's requests.
struct HttpAuthTransport {
  HttpClient* http = nullptr;  // not owned; outlives the authenticator
  Clock* clock = nullptr;      // not owned
  int64_t connect_timeout_ms = 10'000;
  int64_t read_timeout_ms = 30'000;
  bool verify_tls = true;
  std::string ca_file;
};

class HttpAuthenticator {
 public:
  HttpAuthenticator(HttpAuthConfig config, std::string connector_name, HttpAuthTransport transport,
                    EnvReader env);

  // The credentials for the next request: reads the environment, and for oauth2
  // returns the cached token or fetches one — stopped by `cancel`, and within
  // `max_wait_ms` when it is not 0 (the fetch's timeouts are capped at it).
  Result<HttpCredentials> Current(const CancelToken* cancel, int64_t max_wait_ms = 0);

  // After the API answered 401 to a request sent with `used`: drops the cached
  // oauth2 token if it is still the one used. True when a retry with fresh
  // credentials can help (oauth2 only).
  bool InvalidateAfterUnauthorized(const HttpCredentials& used);

  // `text` with every secret of `credentials` (of 4 bytes or more) replaced by
  // "[redacted]".
  static std::string Redact(std::string text, const HttpCredentials& credentials);

 private:
  Result<std::string> ReadSecret(const std::string& variable) const;
  Result<HttpCredentials> OAuth2Credentials(const CancelToken* cancel, int64_t max_wait_ms);
  Status FetchToken(const std::string& client_id, const std::string& client_secret,
                    const CancelToken* cancel, int64_t max_wait_ms);  // REQUIRES: mu_ held

  const HttpAuthConfig config_;
  const std::string connector_name_;
  const HttpAuthTransport transport_;
  const EnvReader env_;

  std::mutex mu_;
  std::string token_;                     // guarded by mu_; empty: none cached
  std::optional<int64_t> expires_at_ms_;  // guarded by mu_; nullopt: until a 401
  uint64_t generation_ = 0;               // guarded by mu_
};

}  // namespace ward
