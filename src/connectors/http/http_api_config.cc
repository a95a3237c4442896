// ParseHttpApiConfig: the top-level keys, URLs, headers, limits and auth. Routes
// and compensations are read in http_route_config.cc.
#include "connectors/http/http_api_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "connectors/http/http_headers.h"
#include "connectors/http/http_route_config.h"
#include "connectors/http/http_route_match.h"
#include "connectors/http/toml_fields.h"

namespace ward {
namespace {

using http_config::Fields;

struct UrlParts {
  std::string scheme;
  std::string host;
  std::string path;  // "" or "/…"
};

// Splits an absolute http(s) URL; refuses userinfo, a query, a fragment, spaces
// and control characters.
Result<UrlParts> SplitUrl(std::string_view url) {
  for (char ch : url) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) return InvalidArgument("must not contain spaces or control bytes");
  }
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidArgument("must be an absolute URL");
  UrlParts parts{AsciiLower(url.substr(0, scheme_end)), "", ""};
  if (parts.scheme != "http" && parts.scheme != "https")
    return InvalidArgument("must be an http:// or https:// URL");
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return InvalidArgument("must not have a query or fragment");
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos)
    return InvalidArgument("must not hold a user or password (use auth)");
  if (authority.empty()) return InvalidArgument("has no host");
  parts.host = AsciiLower(authority);
  if (slash != std::string_view::npos) parts.path = std::string(rest.substr(slash));
  return parts;
}

bool IsLoopbackHost(const std::string& authority) {
  std::string host = authority;
  if (host.rfind("[::1]", 0) == 0) return true;
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host == "127.0.0.1";
}

// Checks a URL key; credentials may travel to it only over https or loopback.
Result<UrlParts> ReadUrl(const Fields& f, std::string_view key, bool carries_credentials) {
  WARD_ASSIGN_OR_RETURN(std::string url, f.RequiredString(key));
  Result<UrlParts> parts = SplitUrl(url);
  if (!parts.ok()) return f.Error(key, parts.status().message());
  if (carries_credentials && parts->scheme == "http" && !IsLoopbackHost(parts->host))
    return f.Error(key, "must be https:// when credentials are sent (http:// only to loopback)");
  return parts;
}

Status ReadBaseUrl(const Fields& f, bool carries_credentials, HttpApiConfig& c) {
  WARD_ASSIGN_OR_RETURN(UrlParts parts, ReadUrl(f, "base_url", carries_credentials));
  while (!parts.path.empty() && parts.path.back() == '/') parts.path.pop_back();
  if (!parts.path.empty()) {
    Status path_ok = CheckHttpApiPath(parts.path);
    if (!path_ok.ok()) return f.Error("base_url", "path: " + path_ok.message());
  }
  c.base_url = parts.scheme + "://" + parts.host + parts.path;
  return Status::Ok();
}

Status CheckEnvName(const Fields& f, std::string_view key, const std::string& name) {
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
            std::all_of(name.begin(), name.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
            });
  if (!ok) return f.Error(key, "must name an environment variable (letters, digits, '_')");
  return Status::Ok();
}

Result<std::string> ReadEnvName(const Fields& f, std::string_view key, std::string_view mode) {
  WARD_ASSIGN_OR_RETURN(std::optional<std::string> name, f.String(key));
  if (!name || name->empty())
    return f.Error(key, "is required with auth = \"" + std::string(mode) +
                            "\" (the name of the environment variable that holds the secret)");
  WARD_RETURN_IF_ERROR(CheckEnvName(f, key, *name));
  return *std::move(name);
}

Status ReadOAuth2(const Fields& f, HttpAuthConfig& a) {
  WARD_RETURN_IF_ERROR(ReadUrl(f, "token_url", true).status());  // kept as written
  WARD_ASSIGN_OR_RETURN(a.token_url, f.RequiredString("token_url"));
  WARD_ASSIGN_OR_RETURN(a.client_id_env, ReadEnvName(f, "client_id_env", "oauth2"));
  WARD_ASSIGN_OR_RETURN(a.client_secret_env, ReadEnvName(f, "client_secret_env", "oauth2"));
  WARD_ASSIGN_OR_RETURN(auto scopes, f.Strings("scopes"));
  for (const std::string& scope : scopes.value_or(std::vector<std::string>{})) {
    bool ok = !scope.empty() && std::all_of(scope.begin(), scope.end(), [](char c) {
      return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
    });
    if (!ok) return f.Error("scopes", "must hold scope tokens (no spaces, quotes or backslashes)");
    a.scopes.push_back(scope);
  }
  WARD_ASSIGN_OR_RETURN(a.refresh_margin_seconds,
                        f.IntegerIn("token_refresh_margin_seconds", 0, 3600, 30));
  return Status::Ok();
}

Result<HttpAuthConfig> ReadAuth(const Fields& f) {
  HttpAuthConfig a;
  WARD_ASSIGN_OR_RETURN(std::optional<std::string> mode, f.String("auth"));
  std::string name = mode.value_or("none");
  if (name == "none") {
    a.mode = HttpAuthMode::kNone;
  } else if (name == "bearer") {
    a.mode = HttpAuthMode::kBearer;
    WARD_ASSIGN_OR_RETURN(a.token_env, ReadEnvName(f, "token_env", name));
  } else if (name == "basic") {
    a.mode = HttpAuthMode::kBasic;
    WARD_ASSIGN_OR_RETURN(a.username_env, ReadEnvName(f, "username_env", name));
    WARD_ASSIGN_OR_RETURN(a.password_env, ReadEnvName(f, "password_env", name));
  } else if (name == "oauth2") {
    a.mode = HttpAuthMode::kOAuth2ClientCredentials;
    WARD_RETURN_IF_ERROR(ReadOAuth2(f, a));
  } else {
    return f.Error("auth", "must be \"none\", \"bearer\", \"basic\" or \"oauth2\"");
  }
  // Keys of another mode are a likely mistake: refuse them rather than ignore them.
  std::vector<std::pair<std::string_view, HttpAuthMode>> owned = {
      {"token_env", HttpAuthMode::kBearer},
      {"username_env", HttpAuthMode::kBasic},
      {"password_env", HttpAuthMode::kBasic},
      {"token_url", HttpAuthMode::kOAuth2ClientCredentials},
      {"client_id_env", HttpAuthMode::kOAuth2ClientCredentials},
      {"client_secret_env", HttpAuthMode::kOAuth2ClientCredentials},
      {"scopes", HttpAuthMode::kOAuth2ClientCredentials},
      {"token_refresh_margin_seconds", HttpAuthMode::kOAuth2ClientCredentials}};
  for (const auto& [key, owner] : owned) {
    if (owner != a.mode && f.table.contains(key))
      return f.Error(key, std::string("does not apply to auth = \"") + name + "\"");
  }
  return a;
}

Status ReadDefaultHeaders(const Fields& f, HttpApiConfig& c) {
  const toml::node* node = f.table.get("headers");
  if (node == nullptr) return Status::Ok();
  const toml::table* headers = node->as_table();
  if (headers == nullptr) return f.Error("headers", "must be a table of name = \"value\"");
  for (const auto& [name, value] : *headers) {
    std::string key = "headers." + std::string(name.str());
    if (!value.is_string()) return f.Error(key, "must be a string");
    std::string text = *value.value<std::string>();
    Status ok = CheckSettableRequestHeader(name.str(), text);
    if (!ok.ok()) return f.Error(key, "is refused: " + ok.message());
    c.default_headers.emplace_back(std::string(name.str()), text);
  }
  return Status::Ok();
}

Status ReadExposedHeaders(const Fields& f, HttpApiConfig& c) {
  WARD_ASSIGN_OR_RETURN(auto exposed, f.Strings("expose_headers"));
  for (const std::string& name : exposed.value_or(std::vector<std::string>{})) {
    Status ok = CheckExposableResponseHeader(name);
    if (!ok.ok()) return f.Error("expose_headers", "is refused: " + ok.message());
    c.exposed_response_headers.push_back(AsciiLower(name));
  }
  return Status::Ok();
}

Status ReadLimits(const Fields& f, HttpApiConfig& c) {
  WARD_ASSIGN_OR_RETURN(int64_t connect, f.IntegerIn("connect_timeout_seconds", 1, 600, 10));
  WARD_ASSIGN_OR_RETURN(int64_t read, f.IntegerIn("read_timeout_seconds", 1, 3600, 30));
  c.connect_timeout_ms = connect * 1000;
  c.read_timeout_ms = read * 1000;
  WARD_ASSIGN_OR_RETURN(int64_t call, f.IntegerIn("call_timeout_seconds", 1, 3600, 60));
  c.call_timeout_ms = call * 1000;
  constexpr int64_t kMaxBody = 64 << 20;
  WARD_ASSIGN_OR_RETURN(int64_t request, f.IntegerIn("max_request_bytes", 1, kMaxBody, 1 << 20));
  WARD_ASSIGN_OR_RETURN(int64_t response, f.IntegerIn("max_response_bytes", 1, kMaxBody, 8 << 20));
  c.max_request_bytes = static_cast<size_t>(request);
  c.max_response_bytes = static_cast<size_t>(response);
  return Status::Ok();
}

Status ReadTls(const Fields& f, HttpApiConfig& c) {
  WARD_ASSIGN_OR_RETURN(std::optional<bool> verify, f.Boolean("tls_verify"));
  c.verify_tls = verify.value_or(true);
  WARD_ASSIGN_OR_RETURN(std::optional<std::string> ca_file, f.String("ca_file"));
  if (!ca_file) return Status::Ok();
  if (!c.verify_tls) return f.Error("ca_file", "has no effect with tls_verify = false");
  std::error_code ec;
  if (ca_file->empty() || !std::filesystem::is_regular_file(*ca_file, ec))
    return f.Error("ca_file", "must name a readable PEM file");
  c.ca_file = *ca_file;
  return Status::Ok();
}

}  // namespace

const char* HttpAuthModeName(HttpAuthMode mode) {
  switch (mode) {
    case HttpAuthMode::kNone:
      return "none";
    case HttpAuthMode::kBearer:
      return "bearer";
    case HttpAuthMode::kBasic:
      return "basic";
    case HttpAuthMode::kOAuth2ClientCredentials:
      return "oauth2";
  }
  return "none";
}

bool IsHttpApiMethod(std::string_view method) {
  return method == "GET" || IsHttpWriteMethod(method);
}

bool IsHttpWriteMethod(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

const HttpCompensation* HttpRoute::CompensationFor(std::string_view method) const {
  for (const HttpCompensation& c : compensations) {
    if (c.forward_method == method) return &c;
  }
  return nullptr;
}

Result<HttpApiConfig> ParseHttpApiConfig(const toml::table& table, std::string_view name,
                                         std::string_view where) {
  Fields f{table, std::string(where), ""};
  WARD_RETURN_IF_ERROR(f.CheckKnown({"type",
                                     "base_url",
                                     "routes",
                                     "headers",
                                     "expose_headers",
                                     "connect_timeout_seconds",
                                     "read_timeout_seconds",
                                     "call_timeout_seconds",
                                     "max_request_bytes",
                                     "max_response_bytes",
                                     "tls_verify",
                                     "ca_file",
                                     "auth",
                                     "token_env",
                                     "username_env",
                                     "password_env",
                                     "token_url",
                                     "client_id_env",
                                     "client_secret_env",
                                     "scopes",
                                     "token_refresh_margin_seconds"}));
  WARD_ASSIGN_OR_RETURN(std::optional<std::string> type, f.String("type"));
  if (type && *type != "http") return f.Error("type", "must be \"http\" for an HTTP API");
  HttpApiConfig c;
  c.name = std::string(name);
  WARD_ASSIGN_OR_RETURN(c.auth, ReadAuth(f));
  WARD_RETURN_IF_ERROR(ReadBaseUrl(f, c.auth.mode != HttpAuthMode::kNone, c));
  WARD_RETURN_IF_ERROR(ReadDefaultHeaders(f, c));
  WARD_RETURN_IF_ERROR(ReadExposedHeaders(f, c));
  WARD_RETURN_IF_ERROR(ReadLimits(f, c));
  WARD_RETURN_IF_ERROR(ReadTls(f, c));
  WARD_ASSIGN_OR_RETURN(c.routes, http_config::ReadRoutes(f));
  return c;
}

}  // namespace ward
