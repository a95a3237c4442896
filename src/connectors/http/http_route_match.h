// Route matching for the `http` connector: which allowed route a (method, path)
// is, and what its `{params}` are bound to. Pure functions, used both by HttpApi
// (nothing is sent unless this says yes) and by the policy (which reads the
// route and its parameters). Thread-safe.
//
// A path is checked before it is matched. Refused, with InvalidArgument saying
// why: anything but an absolute path under base_url ("/x/y": no scheme, no
// "//host"), an empty segment ("//"), a "." or ".." segment, a backslash, a
// query or fragment in the path (queries go in params), control characters (CR,
// LF, NUL, …), spaces, raw non-ASCII bytes, characters outside
// A-Z a-z 0-9 - . _ ~ : @ + , ; = %, a malformed percent escape, an escape that
// decodes to '/', '\', '.', '%', '?', '#' or a control character, escapes that
// decode to bytes that are not UTF-8 (an overlong '.' or '/': %C0%AE) or to a
// character Unicode normalization folds to '.', '/' or '\' (U+FF0E, …), and a
// segment whose part before a ';' is empty or only dots ("..;": a server that
// strips path parameters would see ".."). A `{name}`
// parameter matches one non-empty segment that passes those checks; nothing
// matches across segments. A path that passes but matches no route (or a route
// without that method) is PermissionDenied, naming the allowed routes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/http/http_api_config.h"
#include "util/status.h"

namespace ward {

using HttpPathParams = std::vector<std::pair<std::string, std::string>>;

struct HttpRouteMatch {
  size_t route_index = 0;            // into HttpApiConfig::routes
  const HttpRoute* route = nullptr;  // points into the config matched against
  std::string method;                // upper case
  std::string path;                  // as given (already checked)
  HttpPathParams params;             // {name} → the segment it matched, in pattern order
  // The value bound to `name`, or "" when the route has no such parameter.
  std::string Param(std::string_view name) const;
};

// OK when `path` is a well-formed API path (the rules above).
Status CheckHttpApiPath(std::string_view path);

// The route that `method` `path` is (a route with more literal segments wins over
// one with parameters; then the first declared). InvalidArgument for a malformed
// method or path, PermissionDenied when no route allows it.
Result<HttpRouteMatch> MatchHttpRoute(const HttpApiConfig& config, std::string_view method,
                                      std::string_view path);

// True when `path` matches `pattern` (methods aside); `params` then receives the
// bindings. `path` must have passed CheckHttpApiPath.
bool MatchHttpPathPattern(const HttpPathPattern& pattern, std::string_view path,
                          HttpPathParams* params);

// "GET, POST /appointments; GET, PUT /appointments/{id}" — for refusals and docs.
std::string DescribeHttpRoutes(const HttpApiConfig& config);

// Checks one path segment (a literal of a pattern, or a value bound to a
// parameter) against the rules above. `what` names it in the message.
Status CheckHttpPathSegment(std::string_view segment, std::string_view what);

}  // namespace ward
