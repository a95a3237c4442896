#include "connectors/http/http_api.h"

#include <algorithm>
#include <limits>

#include "connectors/http/bounded_send.h"
#include "connectors/http/http_headers.h"
#include "util/encoding.h"
#include "util/json_limits.h"

namespace ward {
namespace {

constexpr size_t kMaxUrlBytes = 8192;

Status CheckExtraHeaders(const HttpHeaders& headers, const HttpApiConfig& config) {
  for (const auto& [name, value] : headers) {
    WARD_RETURN_IF_ERROR(CheckSettableRequestHeader(name, value));
    std::string lower = AsciiLower(name);
    for (const auto& [configured, unused] : config.default_headers) {
      if (AsciiLower(configured) == lower)
        return InvalidArgument("header '" + name + "' is set by connector '" + config.name +
                               "' and cannot be overridden");
    }
  }
  return Status::Ok();
}

Result<std::string> QueryString(const HttpQueryParams& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    if (name.empty()) return InvalidArgument("a query parameter has an empty name");
    if (HasControlChar(name) || HasControlChar(value))
      return InvalidArgument("query parameter '" + (HasControlChar(name) ? "?" : name) +
                             "' has a control character (CR, LF, …)");
    out += (out.empty() ? "?" : "&") + PercentEncode(name) + "=" + PercentEncode(value);
  }
  return out;
}

Result<std::string> SerializeBody(const HttpApiRequest& request, size_t max_bytes) {
  if (!request.body) return std::string();
  if (request.method == "GET") return InvalidArgument("a GET request cannot carry a body");
  std::string text;
  try {
    text = request.body->dump();
  } catch (const std::exception&) {
    return InvalidArgument("the request body is not valid JSON text (invalid UTF-8?)");
  }
  if (text.size() > max_bytes)
    return ResourceExhausted("the request body is " + std::to_string(text.size()) +
                             " bytes; the limit (max_request_bytes) is " +
                             std::to_string(max_bytes));
  return text;
}

// A transport failure that certainly sent nothing: no connection was made.
bool NeverConnected(const Status& s) {
  return (s.code() == StatusCode::kUnavailable &&
          s.message().rfind("cannot connect to ", 0) == 0) ||
         (s.code() == StatusCode::kDeadlineExceeded &&
          s.message().rfind("timed out connecting to ", 0) == 0);
}

bool IsJsonMediaType(const std::string& content_type) {
  std::string media = AsciiLower(content_type.substr(0, content_type.find(';')));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  return media == "application/json" ||
         (media.size() > 5 && media.compare(media.size() - 5, 5, "+json") == 0);
}

// Redacts every string and key of a parsed body: a secret the API echoed with
// JSON escapes ("\u0042earer …", "a\/b") only shows once it is decoded.
void RedactDecoded(nlohmann::json& j, const HttpCredentials& credentials) {
  if (j.is_string()) {
    j = HttpAuthenticator::Redact(j.get<std::string>(), credentials);
  } else if (j.is_array()) {
    for (auto& v : j) RedactDecoded(v, credentials);
  } else if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [key, value] : j.items()) {
      RedactDecoded(value, credentials);
      out[HttpAuthenticator::Redact(key, credentials)] = std::move(value);
    }
    j = std::move(out);
  }
}

HttpApiResponse Decode(const HttpResponse& raw, const HttpApiConfig& config,
                       const HttpCredentials& credentials) {
  HttpApiResponse out;
  out.status = raw.status;
  for (auto& [name, value] : FilterResponseHeaders(raw.headers, config.exposed_response_headers)) {
    if (IsValidUtf8(value))  // obs-text bytes could not travel as JSON
      out.headers.emplace_back(std::move(name), HttpAuthenticator::Redact(value, credentials));
  }
  std::string body = HttpAuthenticator::Redact(raw.body, credentials);
  if (body.empty()) return out;
  if (IsJsonMediaType(raw.Header("Content-Type"))) {
    // Its size was bounded while reading; the limit here is the nesting depth.
    Result<nlohmann::json> json =
        ParseJson(body, JsonLimits{body.size(), JsonLimits::kDefaultMaxDepth});
    if (json.ok()) {
      out.body_kind = HttpBodyKind::kJson;
      out.json = *std::move(json);
      RedactDecoded(out.json, credentials);
      return out;
    }
  }
  if (!IsValidUtf8(body)) {
    out.body_kind = HttpBodyKind::kBinary;
    out.base64 = Base64Encode(body);
    return out;
  }
  out.body_kind = HttpBodyKind::kText;
  out.text = std::move(body);
  return out;
}

}  // namespace

struct HttpApi::Prepared {
  std::string method;
  std::string url;
  std::string body;
  HttpHeaders headers;  // without Authorization
  std::string what;     // "response body of GET /x", for messages
};

std::string HttpApiResponse::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return "";
}

HttpApi::HttpApi(HttpApiConfig config, HttpApiOptions options)
    : config_(std::move(config)),
      owned_http_(options.http ? nullptr : NewHttpClient()),
      http_(options.http ? options.http : owned_http_.get()),
      clock_(options.clock ? options.clock : SystemClock::Default()) {
  HttpAuthTransport transport{http_,
                              clock_,
                              config_.connect_timeout_ms,
                              config_.read_timeout_ms,
                              config_.verify_tls,
                              config_.ca_file};
  auth_ = std::make_unique<HttpAuthenticator>(config_.auth, config_.name, std::move(transport),
                                              options.env ? options.env : ProcessEnvReader());
}

HttpApi::~HttpApi() = default;

Result<HttpRouteMatch> HttpApi::Match(std::string_view method, std::string_view path) const {
  return MatchHttpRoute(config_, method, path);
}

Result<HttpApi::Prepared> HttpApi::Prepare(const HttpApiRequest& request) const {
  WARD_RETURN_IF_ERROR(Match(request.method, request.path).status());
  WARD_RETURN_IF_ERROR(CheckExtraHeaders(request.headers, config_));
  WARD_ASSIGN_OR_RETURN(std::string query, QueryString(request.query));
  Prepared p;
  p.method = request.method;
  p.url = config_.base_url + request.path + query;
  if (p.url.size() > kMaxUrlBytes)
    return InvalidArgument("the URL with its query is longer than " + std::to_string(kMaxUrlBytes) +
                           " bytes");
  WARD_ASSIGN_OR_RETURN(p.body, SerializeBody(request, config_.max_request_bytes));
  p.headers = config_.default_headers;
  p.headers.insert(p.headers.end(), request.headers.begin(), request.headers.end());
  bool has_accept = std::any_of(p.headers.begin(), p.headers.end(),
                                [](const auto& h) { return AsciiLower(h.first) == "accept"; });
  if (!has_accept) p.headers.emplace_back("Accept", "application/json");
  p.what = "the response body of " + request.method + " " + request.path;
  return p;
}

Result<HttpResponse> HttpApi::Send(const Prepared& prepared, const HttpCredentials& credentials,
                                   const CancelToken* cancel, const HttpCallDeadline* deadline) {
  HttpRequest request;
  request.method = prepared.method;
  request.url = prepared.url;
  request.headers = prepared.headers;
  if (!credentials.authorization.empty())
    request.headers.emplace_back("Authorization", credentials.authorization);
  request.body = prepared.body;
  request.connect_timeout_ms =
      deadline ? deadline->Cap(config_.connect_timeout_ms) : config_.connect_timeout_ms;
  request.read_timeout_ms =
      deadline ? deadline->Cap(config_.read_timeout_ms) : config_.read_timeout_ms;
  request.verify_tls = config_.verify_tls;
  request.ca_cert_file = config_.ca_file;
  request.cancel = cancel;
  Result<HttpResponse> response =
      SendWithBodyLimit(*http_, std::move(request), config_.max_response_bytes, prepared.what);
  if (!response.ok())
    return Status(response.status().code(),
                  HttpAuthenticator::Redact(response.status().message(), credentials));
  return response;
}

Result<HttpApiResponse> HttpApi::Call(const HttpApiRequest& request, HttpCallStage* failed_at) {
  HttpCallStage ignored;
  HttpCallStage& stage = failed_at ? *failed_at : ignored;
  stage = HttpCallStage::kNotSent;
  const HttpCallDeadline* deadline = request.deadline;
  const CancelToken* cancel = deadline ? deadline->token() : request.cancel;
  auto explain = [deadline](const Status& s) { return deadline ? deadline->Explain(s) : s; };
  auto credentials_now = [&]() -> Result<HttpCredentials> {
    if (deadline) WARD_RETURN_IF_ERROR(deadline->Check());
    Result<HttpCredentials> c = auth_->Current(
        cancel, deadline ? deadline->Cap(std::numeric_limits<int64_t>::max()) : int64_t{0});
    if (!c.ok()) return explain(c.status());
    return c;
  };
  auto send = [&](const Prepared& p, const HttpCredentials& c) -> Result<HttpResponse> {
    if (deadline) WARD_RETURN_IF_ERROR(deadline->Check());
    stage = HttpCallStage::kSent;
    Result<HttpResponse> r = Send(p, c, cancel, deadline);
    if (r.ok()) return r;
    if (NeverConnected(r.status())) stage = HttpCallStage::kNotSent;
    return explain(r.status());
  };
  WARD_ASSIGN_OR_RETURN(Prepared prepared, Prepare(request));
  WARD_ASSIGN_OR_RETURN(HttpCredentials credentials, credentials_now());
  WARD_ASSIGN_OR_RETURN(HttpResponse response, send(prepared, credentials));
  if (response.status == 401 && auth_->InvalidateAfterUnauthorized(credentials)) {
    stage = HttpCallStage::kNotSent;  // the API refused the first send
    WARD_ASSIGN_OR_RETURN(credentials, credentials_now());
    WARD_ASSIGN_OR_RETURN(response, send(prepared, credentials));
  }
  return Decode(response, config_, credentials);
}

}  // namespace ward
