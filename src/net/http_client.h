// HttpClient: the one way ward makes outbound HTTP(S) requests.
//
// An interface so callers (model providers, connectors) can be tested against
// loopback servers or fakes. NewHttpClient() returns the real implementation
// (cpp-httplib underneath; http:// and https:// URLs). Send() never throws.
//
// Streaming: when `on_body_chunk` is set and the response status is 2xx, the body
// is handed to it piece by piece as it arrives (pieces split at arbitrary bytes)
// and HttpResponse::body stays empty; the callback returns false to abort. For a
// non-2xx status the body is always collected into HttpResponse::body instead, so
// error messages can quote it — unless `stream_all_statuses` is set, when every
// status's body goes to `on_body_chunk` (a caller that bounds what it reads).
//
// TLS: the server certificate is verified unless `verify_tls` is false; a
// non-empty `ca_cert_file` (PEM) replaces the system's trust store for the request.
//
// Errors: transport failures (connect refused, timeout, TLS, reset) return
// Unavailable or DeadlineExceeded; a cancelled token returns Cancelled promptly,
// also while waiting for a response. Any HTTP status is a successful Send().
// Thread-safety: Send() may be called concurrently from several threads.
//
// Process requirement: SIGPIPE must be ignored by the program (apps/ward/main.cc
// does it); cpp-httplib writes to sockets without MSG_NOSIGNAL, so a peer that
// hangs up mid-write would otherwise kill the process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/cancel.h"
#include "util/status.h"

namespace ward {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  HttpHeaders headers;
  std::string body;
  std::string content_type = "application/json";
  int64_t connect_timeout_ms = 10'000;
  int64_t read_timeout_ms = 120'000;  // longest silence tolerated while reading
  const CancelToken* cancel = nullptr;
  std::function<bool(std::string_view chunk)> on_body_chunk;
  bool stream_all_statuses = false;  // on_body_chunk also gets non-2xx bodies
  bool verify_tls = true;
  std::string ca_cert_file;  // PEM; empty: the system's trust store
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  // Case-insensitive header lookup; empty when absent.
  std::string Header(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

std::unique_ptr<HttpClient> NewHttpClient();

}  // namespace ward
