// HttpApi: the client of one vendor REST API (an `http` connector), below the
// gate — it sends exactly the calls its config allows and nothing else.
//
// Call() checks before anything leaves the host: the method and path match an
// allowed route (http_route_match.h: no "..", "//", encoded slashes or dots,
// absolute URLs, CR/LF, …; else PermissionDenied naming the allowed routes);
// caller headers are well formed and set neither auth, Cookie, Host, framing
// headers nor a header the config sets (http_headers.h); query parameters hold no
// control characters; a GET has no body; the JSON body is at most
// max_request_bytes (ResourceExhausted). The response body is read only up to
// max_response_bytes — reading stops there and the call is ResourceExhausted.
// Redirects are never followed. Any HTTP status is a successful Call(); transport
// failures are Unavailable or DeadlineExceeded, a cancelled token Cancelled. A
// request with an HttpCallDeadline is cut off when its budget is spent
// (DeadlineExceeded naming call_timeout_seconds) or the session is cancelled.
//
// Auth (http_auth.h): credentials are read at call time; with oauth2 a 401 makes
// the client fetch a new token once and resend once — never more. Secrets never
// appear in a returned Status or response: errors name variables, and every
// secret in play is replaced by "[redacted]" in the response's body and headers
// (an API that echoes the Authorization header echoes nothing).
//
// The response carries only allowlisted headers (lower-case names; a value that
// is not UTF-8 is dropped) and its body decoded: JSON (bounded,
// util/json_limits.h) when the content type is JSON and the body parses; otherwise
// text when it is valid UTF-8; otherwise (an image, a PDF, a legacy encoding)
// Base64 of its bytes — so every response can travel as JSON.
//
// Thread-safety: Call() and Match() may run concurrently. The HttpClient and
// Clock of HttpApiOptions are not owned and must outlive the HttpApi.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/http/http_api_config.h"
#include "connectors/http/http_auth.h"
#include "connectors/http/http_deadline.h"
#include "connectors/http/http_route_match.h"
#include "net/http_client.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward {

struct HttpApiOptions {
  HttpClient* http = nullptr;  // null: a NewHttpClient() owned by the HttpApi
  Clock* clock = nullptr;      // null: SystemClock::Default()
  EnvReader env;               // empty: ProcessEnvReader()
};

using HttpQueryParams = std::vector<std::pair<std::string, std::string>>;

struct HttpApiRequest {
  std::string method;                  // GET, POST, PUT, PATCH, DELETE
  std::string path;                    // relative to base_url, e.g. "/appointments/42"
  std::optional<nlohmann::json> body;  // sent as JSON; none for GET
  HttpQueryParams query;               // percent-encoded by HttpApi
  HttpHeaders headers;                 // extra headers (checked)
  const CancelToken* cancel = nullptr;
  // When set, bounds every exchange of the call (its timeouts capped at what is
  // left) and stops it with its token, which folds in the session's cancel;
  // `cancel` is then not used.
  const HttpCallDeadline* deadline = nullptr;
};

// Where a failed Call() stopped, for a caller that must know whether the API may
// have acted on the request.
enum class HttpCallStage {
  kNotSent,  // nothing the API could act on left the host: refused, no credentials,
             // no connection, or its only send was answered 401
  kSent,     // the request was being sent or answered: the API may have acted on it
};

enum class HttpBodyKind { kEmpty, kJson, kText, kBinary };

struct HttpApiResponse {
  int status = 0;
  HttpHeaders headers;  // allowlisted, lower-case names
  HttpBodyKind body_kind = HttpBodyKind::kEmpty;
  nlohmann::json json;  // the body when body_kind == kJson
  std::string text;     // the body when body_kind == kText (valid UTF-8)
  std::string base64;   // the body's bytes in Base64 when body_kind == kBinary
  // The value of header `lower_case_name`, or "" when absent.
  std::string Header(std::string_view lower_case_name) const;
};

class HttpApi {
 public:
  explicit HttpApi(HttpApiConfig config, HttpApiOptions options = {});
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  const HttpApiConfig& config() const { return config_; }

  // MatchHttpRoute() against this API's config.
  Result<HttpRouteMatch> Match(std::string_view method, std::string_view path) const;

  // Sends one call; see the file comment for what is refused. When it fails and
  // `failed_at` is set, *failed_at says whether the API may have acted.
  Result<HttpApiResponse> Call(const HttpApiRequest& request, HttpCallStage* failed_at = nullptr);

  Clock* clock() const { return clock_; }

 private:
  struct Prepared;
  Result<Prepared> Prepare(const HttpApiRequest& request) const;
  Result<HttpResponse> Send(const Prepared& prepared, const HttpCredentials& credentials,
                            const CancelToken* cancel, const HttpCallDeadline* deadline);

  const HttpApiConfig config_;
  std::unique_ptr<HttpClient> owned_http_;
  HttpClient* http_;
  Clock* clock_;
  std::unique_ptr<HttpAuthenticator> auth_;
};

}  // namespace ward
