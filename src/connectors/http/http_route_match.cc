#include "connectors/http/http_route_match.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "util/encoding.h"

namespace ward {
namespace {

bool IsAllowedPathChar(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~:@+,;=%").find(static_cast<char>(c)) != std::string_view::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Why `c` must not appear raw in a path, or "" when it may.
std::string RawCharProblem(unsigned char c) {
  if (c == '\r' || c == '\n') return "a CR or LF";
  if (c < 0x20 || c == 0x7f) return "a control character";
  if (c == ' ') return "a space";
  if (c == '\\') return "a backslash";
  if (c == '?') return "a query (put query parameters in params)";
  if (c == '#') return "a fragment";
  if (c >= 0x80) return "a raw non-ASCII byte (percent-encode it)";
  if (!IsAllowedPathChar(c)) return std::string("the character '") + static_cast<char>(c) + "'";
  return "";
}

// Why the byte a %XX escape decodes to is refused, or "" when it is fine.
std::string EscapedByteProblem(unsigned char c) {
  if (c == '/' || c == '\\') return "an encoded slash or backslash";
  if (c == '.') return "an encoded dot";
  if (c == '%') return "an encoded percent sign (double encoding)";
  if (c == '?' || c == '#') return "an encoded '?' or '#'";
  if (c < 0x20 || c == 0x7f) return "an encoded control character";
  // RFC 3986 §2.3: unreserved characters are never encoded; an API decodes them,
  // so "%62ulk" would match a route's {id} here and be "bulk" there.
  if (std::isalnum(c) || c == '-' || c == '_' || c == '~')
    return "an encoded letter, digit, '-', '_' or '~' (write it as it is)";
  return "";
}

// The bytes `segment` stands for (its escapes already checked as well formed).
std::string PercentDecoded(std::string_view segment) {
  std::string out;
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size()) {
      out.push_back(static_cast<char>(HexValue(segment[i + 1]) * 16 + HexValue(segment[i + 2])));
      i += 2;
    } else {
      out.push_back(segment[i]);
    }
  }
  return out;
}

// Characters that Unicode compatibility normalization (NFKC) folds to '.', '/' or
// '\' — a server that normalizes would see a traversal — in UTF-8.
constexpr std::string_view kFoldsToSeparator[] = {
    "\xEF\xBC\x8E",  // U+FF0E fullwidth full stop
    "\xEF\xBC\x8F",  // U+FF0F fullwidth solidus
    "\xEF\xBC\xBC",  // U+FF3C fullwidth reverse solidus
    "\xE2\x80\xA4",  // U+2024 one dot leader
    "\xEF\xB9\x92",  // U+FE52 small full stop
    "\xEF\xB9\xA8",  // U+FE68 small reverse solidus
};

// Why the decoded segment is refused, or "" when it is fine: bytes that are not
// UTF-8 (an overlong '.' or '/' such as %C0%AE), or a character that folds to one.
std::string DecodedProblem(std::string_view segment) {
  std::string decoded = PercentDecoded(segment);
  if (!IsValidUtf8(decoded))
    return "an escape sequence that is not UTF-8 (such as an overlong '.' or '/')";
  for (std::string_view lookalike : kFoldsToSeparator)
    if (decoded.find(lookalike) != std::string::npos)
      return "a character that Unicode normalization turns into '.', '/' or '\\'";
  return "";
}

// True when the part of `segment` before its first ';' is empty or only dots: a
// server that strips path parameters (";jsessionid=…") would see "..".
bool IsDotSegmentWithParameter(std::string_view segment) {
  size_t semicolon = segment.find(';');
  if (semicolon == std::string_view::npos) return false;
  std::string_view before = segment.substr(0, semicolon);
  return before.find_first_not_of('.') == std::string_view::npos;
}

std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;  // after the leading '/'
  while (true) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

bool AllowsMethod(const HttpRoute& route, std::string_view method) {
  return std::find(route.methods.begin(), route.methods.end(), method) != route.methods.end();
}

int LiteralCount(const HttpPathPattern& pattern) {
  return static_cast<int>(std::count_if(pattern.segments.begin(), pattern.segments.end(),
                                        [](const HttpPathSegment& s) { return !s.is_param; }));
}

std::string JoinMethods(const std::vector<std::string>& methods) {
  std::string out;
  for (const std::string& m : methods) out += (out.empty() ? "" : ", ") + m;
  return out;
}

}  // namespace

std::string HttpRouteMatch::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return "";
}

Status CheckHttpPathSegment(std::string_view segment, std::string_view what) {
  std::string where(what);
  if (!segment.empty() && segment.find_first_not_of('.') == std::string_view::npos)
    return InvalidArgument(where + " has a '.' or '..' segment");
  for (size_t i = 0; i < segment.size(); ++i) {
    auto c = static_cast<unsigned char>(segment[i]);
    if (std::string problem = RawCharProblem(c); !problem.empty())
      return InvalidArgument(where + " contains " + problem);
    if (c != '%') continue;
    int hi = i + 2 < segment.size() ? HexValue(segment[i + 1]) : -1;
    int lo = i + 2 < segment.size() ? HexValue(segment[i + 2]) : -1;
    if (hi < 0 || lo < 0) return InvalidArgument(where + " has a malformed percent escape");
    if (std::string problem = EscapedByteProblem(static_cast<unsigned char>(hi * 16 + lo));
        !problem.empty())
      return InvalidArgument(where + " contains " + problem);
    i += 2;
  }
  if (IsDotSegmentWithParameter(segment))
    return InvalidArgument(where + " has a ';' after nothing or only dots (\"..;\")");
  if (std::string problem = DecodedProblem(segment); !problem.empty())
    return InvalidArgument(where + " contains " + problem);
  return Status::Ok();
}

Status CheckHttpApiPath(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    if (path.find("://") != std::string_view::npos)
      return InvalidArgument("path must be relative to the API's base_url, not an absolute URL");
    return InvalidArgument("path must start with '/'");
  }
  if (path.size() > 4096) return InvalidArgument("path is longer than 4096 bytes");
  if (path == "/") return Status::Ok();
  std::vector<std::string_view> segments = SplitSegments(path);
  for (size_t i = 0; i < segments.size(); ++i) {
    bool last = i + 1 == segments.size();
    if (segments[i].empty() && !last) return InvalidArgument("path contains an empty segment (//)");
    WARD_RETURN_IF_ERROR(CheckHttpPathSegment(segments[i], "path"));
  }
  return Status::Ok();
}

bool MatchHttpPathPattern(const HttpPathPattern& pattern, std::string_view path,
                          HttpPathParams* params) {
  std::vector<std::string_view> segments =
      path == "/" ? std::vector<std::string_view>{} : SplitSegments(path);
  if (segments.size() != pattern.segments.size()) return false;
  HttpPathParams bound;
  for (size_t i = 0; i < segments.size(); ++i) {
    const HttpPathSegment& want = pattern.segments[i];
    if (!want.is_param) {
      if (segments[i] != want.text) return false;
      continue;
    }
    if (segments[i].empty()) return false;
    bound.emplace_back(want.text, std::string(segments[i]));
  }
  if (params != nullptr) *params = std::move(bound);
  return true;
}

Result<HttpRouteMatch> MatchHttpRoute(const HttpApiConfig& config, std::string_view method,
                                      std::string_view path) {
  if (!IsHttpApiMethod(method))
    return InvalidArgument("method '" + std::string(method).substr(0, 16) +
                           "' is not one of GET, POST, PUT, PATCH, DELETE");
  WARD_RETURN_IF_ERROR(CheckHttpApiPath(path));
  std::optional<HttpRouteMatch> best;
  std::vector<std::string> path_methods;  // methods of routes whose pattern matched
  for (size_t i = 0; i < config.routes.size(); ++i) {
    const HttpRoute& route = config.routes[i];
    HttpPathParams params;
    if (!MatchHttpPathPattern(route.path, path, &params)) continue;
    path_methods.insert(path_methods.end(), route.methods.begin(), route.methods.end());
    if (!AllowsMethod(route, method)) continue;
    if (best && LiteralCount(best->route->path) >= LiteralCount(route.path)) continue;
    best = HttpRouteMatch{i, &route, std::string(method), std::string(path), std::move(params)};
  }
  if (best) return *std::move(best);
  std::string target = std::string(method) + " " + std::string(path);
  if (!path_methods.empty())
    return PermissionDenied(target + " is not allowed by connector '" + config.name +
                            "': that path allows only " + JoinMethods(path_methods));
  return PermissionDenied(target + " is not an allowed route of connector '" + config.name +
                          "'; allowed: " + DescribeHttpRoutes(config));
}

std::string DescribeHttpRoutes(const HttpApiConfig& config) {
  if (config.routes.empty()) return "(none)";
  std::string out;
  for (const HttpRoute& route : config.routes) {
    if (!out.empty()) out += "; ";
    out += JoinMethods(route.methods) + " " + route.path.text;
  }
  return out;
}

}  // namespace ward
