// Header rules of the `http` connector: which request headers a caller (or the
// config) may set, and which response headers are handed back. Pure functions;
// thread-safe.
//
// Requests: a header name must be an RFC 9110 token and a value must hold no
// control character but tab (so no CR/LF smuggling). Authorization,
// Proxy-Authorization, Cookie, Host, Content-Length and the hop-by-hop headers
// (Connection, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade, Expect,
// Proxy-Connection) are never settable: ward sets auth, framing and Host itself.
//
// Responses: only an allowlist survives — content-type, content-language,
// content-location, location, etag, last-modified, retry-after, link,
// x-request-id, x-correlation-id, x-total-count, plus names the config exposes.
// Set-Cookie, authentication and hop-by-hop headers can never be exposed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/http_client.h"
#include "util/status.h"

namespace ward {

// OK when `name: value` is well formed and `name` is not one ward owns;
// InvalidArgument naming the header (never quoting the value) otherwise.
Status CheckSettableRequestHeader(std::string_view name, std::string_view value);

// OK when `name` may be listed in expose_headers (a token, not Set-Cookie, not
// an authentication or hop-by-hop header).
Status CheckExposableResponseHeader(std::string_view name);

// The headers of `headers` on the allowlist (built-in plus `exposed`, lower-case
// names), names lower-cased, in their original order.
HttpHeaders FilterResponseHeaders(const HttpHeaders& headers,
                                  const std::vector<std::string>& exposed);

// True when `text` holds a byte below 0x20 (CR, LF, NUL, tab, …) or DEL.
bool HasControlChar(std::string_view text);

// ASCII lower case of `text`.
std::string AsciiLower(std::string_view text);

}  // namespace ward
