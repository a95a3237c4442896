#include "connectors/http/http_route_config.h"

#include <algorithm>

#include "connectors/http/http_route_match.h"

namespace ward {
namespace {

bool IsParamName(std::string_view name) {
  if (name.empty() || name.size() > 64 || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

Result<HttpPathSegment> ParseSegment(std::string_view segment) {
  if (segment.find('*') != std::string_view::npos)
    return InvalidArgument("has a wildcard; use {name} to match one segment");
  bool opens = !segment.empty() && segment.front() == '{';
  bool closes = !segment.empty() && segment.back() == '}';
  if (opens && closes) {
    std::string_view name = segment.substr(1, segment.size() - 2);
    if (!IsParamName(name))
      return InvalidArgument("has a parameter '" + std::string(segment) +
                             "' whose name is not letters, digits and '_'");
    if (name == "location")
      return InvalidArgument("uses {location}, which is reserved for compensations");
    return HttpPathSegment{true, std::string(name)};
  }
  if (segment.find_first_of("{}") != std::string_view::npos)
    return InvalidArgument("has a '{' or '}' that is not a whole-segment {name}");
  WARD_RETURN_IF_ERROR(CheckHttpPathSegment(segment, "a segment"));
  return HttpPathSegment{false, std::string(segment)};
}

// True when every path `pattern` can produce is a path `route` matches: same
// length, equal literals, and a parameter only where the route has one.
bool Covers(const HttpPathPattern& route, const HttpPathPattern& pattern) {
  if (route.segments.size() != pattern.segments.size()) return false;
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const HttpPathSegment& r = route.segments[i];
    const HttpPathSegment& p = pattern.segments[i];
    if (p.is_param && !r.is_param) return false;
    if (!p.is_param && !r.is_param && p.text != r.text) return false;
  }
  return true;
}

}  // namespace

Result<HttpPathPattern> ParseHttpPathPattern(std::string_view text) {
  if (text.empty() || text.front() != '/') return InvalidArgument("must start with '/'");
  if (text.size() > 1024) return InvalidArgument("is longer than 1024 bytes");
  HttpPathPattern pattern{std::string(text), {}};
  if (text == "/") return pattern;
  for (size_t start = 1;;) {
    size_t slash = text.find('/', start);
    std::string_view segment =
        text.substr(start, slash == std::string_view::npos ? slash : slash - start);
    bool last = slash == std::string_view::npos;
    if (segment.empty() && !last) return InvalidArgument("has an empty segment (//)");
    WARD_ASSIGN_OR_RETURN(HttpPathSegment parsed, ParseSegment(segment));
    for (const HttpPathSegment& seen : pattern.segments) {
      if (parsed.is_param && seen.is_param && seen.text == parsed.text)
        return InvalidArgument("names the parameter {" + parsed.text + "} twice");
    }
    pattern.segments.push_back(std::move(parsed));
    if (last) return pattern;
    start = slash + 1;
  }
}

namespace http_config {
namespace {

bool BindsAll(const HttpPathPattern& forward, const HttpPathPattern& pattern) {
  for (const HttpPathSegment& s : pattern.segments) {
    if (!s.is_param) continue;
    bool bound =
        std::any_of(forward.segments.begin(), forward.segments.end(),
                    [&](const HttpPathSegment& f) { return f.is_param && f.text == s.text; });
    if (!bound) return false;
  }
  return true;
}

bool SomeRouteAllows(const std::vector<HttpRoute>& routes, const HttpRequestTemplate& t) {
  return std::any_of(routes.begin(), routes.end(), [&](const HttpRoute& r) {
    bool method = std::find(r.methods.begin(), r.methods.end(), t.method) != r.methods.end();
    return method && (t.path_is_location || Covers(r.path, t.path));
  });
}

// Parses "METHOD /path/{param}" or "METHOD {location}".
Result<HttpRequestTemplate> ParseTemplate(const Fields& f, const std::string& key,
                                          const std::string& text) {
  size_t space = text.find(' ');
  HttpRequestTemplate t;
  t.method = text.substr(0, space);
  if (space == std::string::npos || !IsHttpApiMethod(t.method))
    return f.Error(key,
                   "must be \"METHOD /path\" with METHOD one of GET, POST, PUT, PATCH, DELETE");
  std::string path = text.substr(space + 1);
  if (path == "{location}") {
    t.path_is_location = true;
    return t;
  }
  Result<HttpPathPattern> pattern = ParseHttpPathPattern(path);
  if (!pattern.ok()) return f.Error(key, "path " + pattern.status().message());
  t.path = *std::move(pattern);
  return t;
}

Status CheckTemplate(const Fields& f, const std::string& key, const HttpRequestTemplate& t,
                     const HttpRoute& forward, const std::vector<HttpRoute>& routes) {
  if (!t.path_is_location && !BindsAll(forward.path, t.path))
    return f.Error(key, "uses a {parameter} that " + forward.path.text + " does not bind");
  if (!SomeRouteAllows(routes, t))
    return f.Error(key,
                   "is not an allowed route; declare " + t.method + " " +
                       (t.path_is_location ? std::string("on the created path") : t.path.text) +
                       " in routes");
  return Status::Ok();
}

// One `undo.METHOD`: a string "METHOD /path" or { request = …, pre_image = "GET …" }.
Result<HttpCompensation> ReadUndo(const Fields& f, const std::string& key, const toml::node& node) {
  HttpCompensation c;
  std::string request;
  std::optional<std::string> pre_image;
  if (node.is_string()) {
    request = *node.value<std::string>();
  } else if (const toml::table* t = node.as_table()) {
    Fields undo{*t, f.where, f.prefix + key + "."};
    WARD_RETURN_IF_ERROR(undo.CheckKnown({"request", "pre_image"}));
    WARD_ASSIGN_OR_RETURN(request, undo.RequiredString("request"));
    WARD_ASSIGN_OR_RETURN(pre_image, undo.String("pre_image"));
  } else {
    return f.Error(key, "must be \"METHOD /path\" or { request = …, pre_image = \"GET …\" }");
  }
  std::string request_key = node.is_string() ? key : key + ".request";
  WARD_ASSIGN_OR_RETURN(c.request, ParseTemplate(f, request_key, request));
  if (!pre_image) return c;
  std::string pre_key = key + ".pre_image";
  WARD_ASSIGN_OR_RETURN(c.pre_image, ParseTemplate(f, pre_key, *pre_image));
  if (c.pre_image->method != "GET" || c.pre_image->path_is_location)
    return f.Error(pre_key, "must be \"GET /path\" (read before the write, so not {location})");
  if (c.request.method == "DELETE" || c.request.method == "GET")
    return f.Error(pre_key,
                   "is sent back as a body, so the undo request must be POST, PUT or "
                   "PATCH");
  return c;
}

Status ReadUndos(const Fields& f, const std::vector<HttpRoute>& routes, HttpRoute& route) {
  const toml::node* node = f.table.get("undo");
  if (node == nullptr) return Status::Ok();
  const toml::table* undo = node->as_table();
  if (undo == nullptr) return f.Error("undo", "must be a table keyed by method (undo.POST = …)");
  for (const auto& [method_key, value] : *undo) {
    std::string method(method_key.str());
    std::string key = "undo." + method;
    if (!IsHttpWriteMethod(method))
      return f.Error(key, "must be keyed by a write method: POST, PUT, PATCH or DELETE");
    if (std::find(route.methods.begin(), route.methods.end(), method) == route.methods.end())
      return f.Error(key, "undoes a method this route does not allow");
    WARD_ASSIGN_OR_RETURN(HttpCompensation c, ReadUndo(f, key, value));
    c.forward_method = method;
    WARD_RETURN_IF_ERROR(CheckTemplate(f, key, c.request, route, routes));
    if (c.pre_image)
      WARD_RETURN_IF_ERROR(CheckTemplate(f, key + ".pre_image", *c.pre_image, route, routes));
    route.compensations.push_back(std::move(c));
  }
  return Status::Ok();
}

Result<HttpRoute> ReadRoute(const Fields& f) {
  WARD_RETURN_IF_ERROR(f.CheckKnown({"methods", "path", "undo"}));
  HttpRoute route;
  WARD_ASSIGN_OR_RETURN(std::string path, f.RequiredString("path"));
  Result<HttpPathPattern> pattern = ParseHttpPathPattern(path);
  if (!pattern.ok()) return f.Error("path", pattern.status().message());
  route.path = *std::move(pattern);
  WARD_ASSIGN_OR_RETURN(auto methods, f.Strings("methods"));
  if (!methods || methods->empty()) return f.Error("methods", "is required (e.g. [\"GET\"])");
  for (const std::string& method : *methods) {
    if (!IsHttpApiMethod(method))
      return f.Error("methods", "must hold GET, POST, PUT, PATCH or DELETE (upper case)");
    if (std::find(route.methods.begin(), route.methods.end(), method) == route.methods.end())
      route.methods.push_back(method);
  }
  return route;
}

}  // namespace

Result<std::vector<HttpRoute>> ReadRoutes(const Fields& f) {
  const toml::node* node = f.table.get("routes");
  const toml::array* array = node ? node->as_array() : nullptr;
  if (array == nullptr || array->empty())
    return f.Error("routes", "is required: a list of { methods = [...], path = \"/…\" }");
  std::vector<HttpRoute> routes;
  std::vector<const toml::table*> tables;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::table* t = (*array)[i].as_table();
    std::string prefix = "routes[" + std::to_string(i) + "].";
    if (t == nullptr) return f.Error(prefix.substr(0, prefix.size() - 1), "must be a table");
    WARD_ASSIGN_OR_RETURN(HttpRoute route, ReadRoute(Fields{*t, f.where, f.prefix + prefix}));
    routes.push_back(std::move(route));
    tables.push_back(t);
  }
  // Compensations are checked against the complete route list.
  for (size_t i = 0; i < routes.size(); ++i) {
    Fields rf{*tables[i], f.where, f.prefix + "routes[" + std::to_string(i) + "]."};
    WARD_RETURN_IF_ERROR(ReadUndos(rf, routes, routes[i]));
  }
  return routes;
}

}  // namespace http_config
}  // namespace ward
