#include "connectors/http/http_compensation.h"

#include "connectors/http/http_headers.h"

namespace ward {
namespace {

// "scheme://host[:port]" with the scheme and host lower-cased and a default port
// dropped; `rest` receives what follows (the path).
std::string Origin(std::string_view url, std::string_view* rest) {
  size_t scheme_end = url.find("://");
  std::string scheme = AsciiLower(url.substr(0, scheme_end));
  std::string_view after = url.substr(scheme_end + 3);
  size_t slash = after.find('/');
  std::string authority = AsciiLower(after.substr(0, slash));
  *rest = slash == std::string_view::npos ? std::string_view() : after.substr(slash);
  std::string default_port = scheme == "https" ? ":443" : ":80";
  if (authority.size() > default_port.size() &&
      authority.compare(authority.size() - default_port.size(), default_port.size(),
                        default_port) == 0)
    authority.resize(authority.size() - default_port.size());
  return scheme + "://" + authority;
}

Result<std::string> Substitute(const HttpPathPattern& pattern, const HttpRouteMatch& forward) {
  if (pattern.segments.empty()) return std::string("/");
  std::string path;
  for (const HttpPathSegment& segment : pattern.segments) {
    path += "/";
    if (!segment.is_param) {
      path += segment.text;
      continue;
    }
    std::string value = forward.Param(segment.text);
    if (value.empty())
      return FailedPrecondition("the call bound no {" + segment.text + "} for its compensation");
    path += value;
  }
  return path;
}

Result<HttpResolvedRequest> Resolve(const HttpApiConfig& config, const HttpRequestTemplate& t,
                                    const HttpRouteMatch& forward, std::string_view location) {
  HttpResolvedRequest out;
  out.method = t.method;
  if (t.path_is_location) {
    WARD_ASSIGN_OR_RETURN(out.path, HttpLocationToApiPath(config, location));
  } else {
    WARD_ASSIGN_OR_RETURN(out.path, Substitute(t.path, forward));
  }
  Result<HttpRouteMatch> allowed = MatchHttpRoute(config, out.method, out.path);
  if (!allowed.ok())
    return FailedPrecondition("the compensation " + out.method + " " + out.path +
                              " is not an allowed call: " + allowed.status().message());
  return out;
}

const HttpCompensation* CompensationOf(const HttpApiConfig& config, const HttpRouteMatch& m) {
  if (m.route_index >= config.routes.size()) return nullptr;
  return config.routes[m.route_index].CompensationFor(m.method);
}

}  // namespace

Result<std::string> HttpLocationToApiPath(const HttpApiConfig& config, std::string_view location) {
  if (location.empty())
    return FailedPrecondition("the response has no Location header to undo the call with");
  if (location.find_first_of("?#") != std::string_view::npos)
    return FailedPrecondition("the response's Location has a query or fragment");
  std::string_view base_path;
  std::string base_origin = Origin(config.base_url, &base_path);
  std::string_view path = location;
  if (location.find("://") != std::string_view::npos) {
    if (Origin(location, &path) != base_origin)
      return FailedPrecondition("the response's Location is not on " + base_origin);
  } else if (location.rfind("//", 0) == 0 || location.front() != '/') {
    return FailedPrecondition("the response's Location is neither an absolute URL nor a path");
  }
  if (path.substr(0, base_path.size()) != base_path ||
      (path.size() > base_path.size() && path[base_path.size()] != '/'))
    return FailedPrecondition("the response's Location is not under " + config.base_url);
  std::string api_path(path.substr(base_path.size()));
  if (api_path.empty()) api_path = "/";
  Status ok = CheckHttpApiPath(api_path);
  if (!ok.ok()) return FailedPrecondition("the response's Location is refused: " + ok.message());
  return api_path;
}

Result<std::optional<HttpResolvedRequest>> ResolveHttpPreImageRequest(
    const HttpApiConfig& config, const HttpRouteMatch& forward) {
  const HttpCompensation* c = CompensationOf(config, forward);
  if (c == nullptr || !c->pre_image) return std::optional<HttpResolvedRequest>();
  WARD_ASSIGN_OR_RETURN(HttpResolvedRequest get, Resolve(config, *c->pre_image, forward, ""));
  return std::optional(std::move(get));
}

Result<HttpResolvedRequest> ResolveHttpUndoRequest(const HttpApiConfig& config,
                                                   const HttpRouteMatch& forward,
                                                   std::string_view location) {
  const HttpCompensation* c = CompensationOf(config, forward);
  if (c == nullptr)
    return NotFound(forward.method + " " + forward.path +
                    " declares no compensation: the write is irreversible");
  WARD_ASSIGN_OR_RETURN(HttpResolvedRequest undo, Resolve(config, c->request, forward, location));
  undo.sends_pre_image = c->pre_image.has_value();
  return undo;
}

}  // namespace ward
