#include "connectors/http/http_headers.h"

#include <algorithm>

namespace ward {
namespace {

constexpr std::string_view kOwnedRequestHeaders[] = {
    "authorization",   "proxy-authorization", "cookie", "host",    "content-length", "connection",
    "keep-alive",      "transfer-encoding",   "te",     "trailer", "upgrade",        "expect",
    "proxy-connection"};

constexpr std::string_view kExposedByDefault[] = {
    "content-type", "content-language", "content-location", "location",
    "etag",         "last-modified",    "retry-after",      "link",
    "x-request-id", "x-correlation-id", "x-total-count"};

constexpr std::string_view kNeverExposed[] = {"set-cookie",
                                              "set-cookie2",
                                              "cookie",
                                              "authorization",
                                              "proxy-authorization",
                                              "www-authenticate",
                                              "proxy-authenticate",
                                              "authentication-info",
                                              "proxy-authentication-info",
                                              "connection",
                                              "keep-alive",
                                              "transfer-encoding",
                                              "te",
                                              "trailer",
                                              "upgrade",
                                              "proxy-connection"};

bool IsTokenChar(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view name) {
  return !name.empty() && name.size() <= 256 && std::all_of(name.begin(), name.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

template <size_t N>
bool Contains(const std::string_view (&list)[N], std::string_view lower) {
  return std::find(std::begin(list), std::end(list), lower) != std::end(list);
}

// A printable name for a message: the name itself when it is a token.
std::string Quoted(std::string_view name) {
  return IsToken(name) ? "'" + std::string(name) + "'" : "(a malformed name)";
}

}  // namespace

bool HasControlChar(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status CheckSettableRequestHeader(std::string_view name, std::string_view value) {
  if (!IsToken(name)) return InvalidArgument("header name " + Quoted(name) + " is not a token");
  std::string lower = AsciiLower(name);
  if (Contains(kOwnedRequestHeaders, lower) || lower.rfind("proxy-", 0) == 0)
    return InvalidArgument("header '" + std::string(name) +
                           "' is set by ward (auth, Host and framing headers cannot be set)");
  // Headers servers and frameworks honour as another method or URL than the one
  // the policy, the journal and the undo describe.
  static const char* const kRewriting[] = {"x-http-method-override", "x-http-method",
                                           "x-method-override",      "x-original-url",
                                           "x-rewrite-url",          "forwarded"};
  for (const char* h : kRewriting)
    if (lower == h || lower.rfind("x-forwarded-", 0) == 0)
      return InvalidArgument("header '" + std::string(name) +
                             "' would make the API act on another method or URL than the one "
                             "decided on; it cannot be set");
  if (value.size() > 8192) return InvalidArgument("header '" + std::string(name) + "' is too long");
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return InvalidArgument("header '" + std::string(name) +
                             "' has a control character (CR, LF, …) in its value");
  }
  return Status::Ok();
}

Status CheckExposableResponseHeader(std::string_view name) {
  if (!IsToken(name)) return InvalidArgument("header name " + Quoted(name) + " is not a token");
  if (Contains(kNeverExposed, AsciiLower(name)))
    return InvalidArgument("header '" + std::string(name) +
                           "' is a cookie, authentication or hop-by-hop header and is never "
                           "exposed");
  return Status::Ok();
}

HttpHeaders FilterResponseHeaders(const HttpHeaders& headers,
                                  const std::vector<std::string>& exposed) {
  HttpHeaders out;
  for (const auto& [name, value] : headers) {
    std::string lower = AsciiLower(name);
    if (Contains(kNeverExposed, lower)) continue;
    bool keep = Contains(kExposedByDefault, lower) ||
                std::find(exposed.begin(), exposed.end(), lower) != exposed.end();
    if (keep) out.emplace_back(std::move(lower), value);
  }
  return out;
}

}  // namespace ward
