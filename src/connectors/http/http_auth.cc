#include "connectors/http/http_auth.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>

#include "connectors/http/bounded_send.h"
#include "connectors/http/http_headers.h"
#include "util/encoding.h"
#include "util/json_limits.h"

namespace ward {
namespace {

constexpr size_t kMaxTokenReplyBytes = 64 << 10;
// Shorter strings are too common to redact wherever they occur (and too weak to be
// secrets worth the name).
constexpr size_t kMinRedactedSecretBytes = 4;
// A longer expires_in is taken as this (and keeps the arithmetic in range).
constexpr int64_t kMaxTokenLifetimeSeconds = 366 * 86400;

// The OAuth `error` code of a token endpoint's reply, if it is a plain code.
std::string OAuthErrorCode(const std::string& body) {
  nlohmann::json reply = ParseJsonOrDiscarded(body, JsonLimits{kMaxTokenReplyBytes, 16});
  if (!reply.is_object() || !reply.contains("error") || !reply["error"].is_string()) return "";
  std::string code = reply["error"].get<std::string>();
  bool plain = code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
               });
  return plain ? code : "";
}

struct TokenReply {
  std::string access_token;
  std::optional<int64_t> expires_in_seconds;
};

Result<TokenReply> ParseTokenReply(const std::string& body, const std::string& token_url) {
  std::string from = "token endpoint " + token_url;
  Result<nlohmann::json> parsed = ParseJson(body, JsonLimits{kMaxTokenReplyBytes, 16});
  if (!parsed.ok() || !parsed->is_object())
    return Unavailable(from + " did not answer with a JSON object");
  const nlohmann::json& reply = *parsed;
  TokenReply out;
  auto token = reply.find("access_token");
  if (token == reply.end() || !token->is_string() || token->get<std::string>().empty())
    return Unavailable(from + " answered without an access_token");
  out.access_token = token->get<std::string>();
  if (HasControlChar(out.access_token) || out.access_token.find(' ') != std::string::npos)
    return Unavailable(from + " answered with a malformed access_token");
  auto type = reply.find("token_type");
  if (type != reply.end() &&
      !(type->is_string() && AsciiLower(type->get<std::string>()) == "bearer"))
    return Unavailable(from + " answered with a token_type other than Bearer");
  auto expires = reply.find("expires_in");
  if (expires != reply.end()) {
    if (!expires->is_number_integer() || expires->get<int64_t>() < 0)
      return Unavailable(from + " answered with an expires_in that is not a whole number");
    out.expires_in_seconds = expires->get<int64_t>();
  }
  return out;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

EnvReader ProcessEnvReader() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

HttpAuthenticator::HttpAuthenticator(HttpAuthConfig config, std::string connector_name,
                                     HttpAuthTransport transport, EnvReader env)
    : config_(std::move(config)),
      connector_name_(std::move(connector_name)),
      transport_(std::move(transport)),
      env_(std::move(env)) {}

Result<std::string> HttpAuthenticator::ReadSecret(const std::string& variable) const {
  std::string prefix = "connector '" + connector_name_ + "' (auth = \"" +
                       HttpAuthModeName(config_.mode) + "\"): environment variable " + variable;
  std::optional<std::string> value = env_ ? env_(variable) : std::nullopt;
  if (!value) return FailedPrecondition(prefix + " is not set");
  if (value->empty()) return FailedPrecondition(prefix + " is empty");
  if (HasControlChar(*value)) return FailedPrecondition(prefix + " holds a control character");
  return *std::move(value);
}

Result<HttpCredentials> HttpAuthenticator::Current(const CancelToken* cancel, int64_t max_wait_ms) {
  HttpCredentials out;
  switch (config_.mode) {
    case HttpAuthMode::kNone:
      return out;
    case HttpAuthMode::kBearer: {
      WARD_ASSIGN_OR_RETURN(std::string token, ReadSecret(config_.token_env));
      out.authorization = "Bearer " + token;
      out.secrets = {token};
      return out;
    }
    case HttpAuthMode::kBasic: {
      WARD_ASSIGN_OR_RETURN(std::string user, ReadSecret(config_.username_env));
      WARD_ASSIGN_OR_RETURN(std::string password, ReadSecret(config_.password_env));
      if (user.find(':') != std::string::npos)
        return FailedPrecondition("connector '" + connector_name_ + "': environment variable " +
                                  config_.username_env + " holds a ':', which Basic auth forbids");
      std::string encoded = Base64Encode(user + ":" + password);
      out.authorization = "Basic " + encoded;
      out.secrets = {password, encoded};
      return out;
    }
    case HttpAuthMode::kOAuth2ClientCredentials:
      return OAuth2Credentials(cancel, max_wait_ms);
  }
  return Internal("unknown auth mode");
}

Result<HttpCredentials> HttpAuthenticator::OAuth2Credentials(const CancelToken* cancel,
                                                             int64_t max_wait_ms) {
  WARD_ASSIGN_OR_RETURN(std::string client_id, ReadSecret(config_.client_id_env));
  WARD_ASSIGN_OR_RETURN(std::string client_secret, ReadSecret(config_.client_secret_env));
  std::lock_guard<std::mutex> lock(mu_);
  bool expired = expires_at_ms_ && transport_.clock->NowMillis() >= *expires_at_ms_;
  if (token_.empty() || expired)
    WARD_RETURN_IF_ERROR(FetchToken(client_id, client_secret, cancel, max_wait_ms));
  HttpCredentials out;
  out.authorization = "Bearer " + token_;
  out.secrets = {token_, client_secret};
  out.token_generation = generation_;
  return out;
}

Status HttpAuthenticator::FetchToken(const std::string& client_id, const std::string& client_secret,
                                     const CancelToken* cancel, int64_t max_wait_ms) {
  token_.clear();
  HttpRequest request;
  request.method = "POST";
  request.url = config_.token_url;
  std::string basic = Base64Encode(FormUrlEncode(client_id) + ":" + FormUrlEncode(client_secret));
  request.headers = {{"Authorization", "Basic " + basic}, {"Accept", "application/json"}};
  request.content_type = "application/x-www-form-urlencoded";
  request.body = "grant_type=client_credentials";
  if (!config_.scopes.empty())
    request.body += "&scope=" + FormUrlEncode(JoinScopes(config_.scopes));
  auto capped = [max_wait_ms](int64_t ms) {
    return max_wait_ms > 0 ? std::max<int64_t>(1, std::min(ms, max_wait_ms)) : ms;
  };
  request.connect_timeout_ms = capped(transport_.connect_timeout_ms);
  request.read_timeout_ms = capped(transport_.read_timeout_ms);
  request.verify_tls = transport_.verify_tls;
  request.ca_cert_file = transport_.ca_file;
  request.cancel = cancel;
  HttpCredentials secrets{"", {client_secret, basic}, 0};
  std::string what = "token endpoint " + config_.token_url;
  Result<HttpResponse> response =
      SendWithBodyLimit(*transport_.http, std::move(request), kMaxTokenReplyBytes, what + " reply");
  if (!response.ok())
    return Status(response.status().code(), Redact(response.status().message(), secrets));
  if (response->status < 200 || response->status >= 300) {
    std::string code = OAuthErrorCode(response->body);
    std::string message = what + " refused the client credentials of connector '" +
                          connector_name_ + "' (HTTP " + std::to_string(response->status) +
                          (code.empty() ? "" : ", error \"" + code + "\"") + ")";
    message = Redact(std::move(message), secrets);
    return response->status >= 500 ? Unavailable(message) : Unauthenticated(message);
  }
  WARD_ASSIGN_OR_RETURN(TokenReply reply, ParseTokenReply(response->body, config_.token_url));
  token_ = std::move(reply.access_token);
  ++generation_;
  expires_at_ms_.reset();
  if (reply.expires_in_seconds) {
    int64_t seconds = std::min<int64_t>(*reply.expires_in_seconds, kMaxTokenLifetimeSeconds);
    int64_t lifetime_ms = (seconds - config_.refresh_margin_seconds) * 1000;
    expires_at_ms_ = transport_.clock->NowMillis() + std::max<int64_t>(0, lifetime_ms);
  }
  return Status::Ok();
}

bool HttpAuthenticator::InvalidateAfterUnauthorized(const HttpCredentials& used) {
  if (config_.mode != HttpAuthMode::kOAuth2ClientCredentials) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ == used.token_generation) token_.clear();
  return true;
}

std::string HttpAuthenticator::Redact(std::string text, const HttpCredentials& credentials) {
  for (const std::string& secret : credentials.secrets) {
    if (secret.size() < kMinRedactedSecretBytes) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "[redacted]");
      at += 10;
    }
  }
  return text;
}

}  // namespace ward
