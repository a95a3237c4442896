// Text encodings shared by the HTTP clients and servers: percent-encoding (RFC
// 3986), Base64 (RFC 4648, with padding), Prometheus label values and the UTF-8 check. Pure
// functions; thread-safe; never throw.
#pragma once

#include <string>
#include <string_view>

namespace ward {

// Percent-encodes every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~)
// and those listed in `keep`; hex digits are upper case ("a b/c" → "a%20b%2Fc").
std::string PercentEncode(std::string_view text, std::string_view keep = "");

// application/x-www-form-urlencoded form of one name or value: as PercentEncode,
// but a space becomes '+' (HTML's form encoding, which RFC 6749 §2.3.1 names).
std::string FormUrlEncode(std::string_view text);

// Standard Base64 with '=' padding ("user:pass" → "dXNlcjpwYXNz").
std::string Base64Encode(std::string_view bytes);

// A label value for the Prometheus text format, without its quotes: backslash,
// double quote and line feed escaped (`a"b` → `a\"b`).
std::string MetricLabelValue(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace ward
