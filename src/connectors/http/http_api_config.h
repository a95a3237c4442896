// HttpApiConfig: the settings of one vendor REST API (an `http` connector), and
// the parser that reads them from a `[connectors.NAME]` table of ward.toml.
//
// The config names secrets only by the environment variables that hold them;
// no secret value is ever part of it. ParseHttpApiConfig() checks everything it
// can before the first call (URLs, route patterns, header names, limits, that
// each compensation targets an allowed route with parameters the forward route
// binds) and returns InvalidArgument naming `where` and the key, e.g.
// "ward.toml: [connectors.vendor] routes[2].path: …". Unknown keys are refused.
// Pure data and pure functions; thread-compatible.
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace ward {

enum class HttpAuthMode { kNone, kBearer, kBasic, kOAuth2ClientCredentials };

// "none", "bearer", "basic", "oauth2".
const char* HttpAuthModeName(HttpAuthMode mode);

struct HttpAuthConfig {
  HttpAuthMode mode = HttpAuthMode::kNone;
  std::string token_env;                // bearer: the variable holding the token
  std::string username_env;             // basic
  std::string password_env;             // basic
  std::string token_url;                // oauth2: the token endpoint (absolute URL)
  std::string client_id_env;            // oauth2
  std::string client_secret_env;        // oauth2
  std::vector<std::string> scopes;      // oauth2: sent as one space-separated `scope`
  int64_t refresh_margin_seconds = 30;  // oauth2: a token is renewed this long before expiry
};

// One piece of a path pattern: a literal segment or a `{name}` parameter.
struct HttpPathSegment {
  bool is_param = false;
  std::string text;  // the literal, or the parameter's name
};

struct HttpPathPattern {
  std::string text;  // as written, e.g. "/appointments/{id}"
  std::vector<HttpPathSegment> segments;
};

// A request a compensation sends: "DELETE {location}" or "PUT /x/{id}". The path
// is either the whole `{location}` of the forward call's response or a pattern
// whose parameters are all bound by the forward route.
struct HttpRequestTemplate {
  std::string method;
  bool path_is_location = false;
  HttpPathPattern path;  // empty when path_is_location
};

// How one write on a route is undone. `pre_image`, when present, is a GET sent
// before the write; its JSON body is what `request` sends back on rollback.
struct HttpCompensation {
  std::string forward_method;  // the write it undoes: POST, PUT, PATCH or DELETE
  HttpRequestTemplate request;
  std::optional<HttpRequestTemplate> pre_image;
};

struct HttpRoute {
  std::vector<std::string> methods;  // upper case: GET, POST, PUT, PATCH, DELETE
  HttpPathPattern path;
  std::vector<HttpCompensation> compensations;  // at most one per write method
  // The compensation of `method`, or nullptr (the write is irreversible).
  const HttpCompensation* CompensationFor(std::string_view method) const;
};

struct HttpApiConfig {
  std::string name;      // the connector's name, for messages
  std::string base_url;  // scheme://host[:port][/prefix], no trailing '/', no query
  std::vector<HttpRoute> routes;
  std::vector<std::pair<std::string, std::string>> default_headers;
  std::vector<std::string> exposed_response_headers;  // lower case, beyond the built-in ones
  int64_t connect_timeout_ms = 10'000;
  int64_t read_timeout_ms = 30'000;
  // The most one guest call may spend with the API, all its exchanges together
  // (token fetch, pre-image GET, request, 401 refresh and resend, post-image GET).
  int64_t call_timeout_ms = 60'000;
  size_t max_request_bytes = 1u << 20;
  size_t max_response_bytes = 8u << 20;
  bool verify_tls = true;
  std::string ca_file;  // PEM; empty: the system's trust store
  HttpAuthConfig auth;
};

// Reads `table` (the connector's table; its `type` key is skipped). `where` names
// it in errors, e.g. "ward.toml: [connectors.vendor]". The connector's name
// becomes `name`.
Result<HttpApiConfig> ParseHttpApiConfig(const toml::table& table, std::string_view name,
                                         std::string_view where);

// Parses a path pattern such as "/appointments/{id}"; InvalidArgument on an empty,
// relative, "..", "//", encoded or wildcard pattern.
Result<HttpPathPattern> ParseHttpPathPattern(std::string_view text);

// True for GET, POST, PUT, PATCH and DELETE (upper case).
bool IsHttpApiMethod(std::string_view method);
// True for POST, PUT, PATCH and DELETE.
bool IsHttpWriteMethod(std::string_view method);

}  // namespace ward
