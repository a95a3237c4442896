#include "privacy/spelling_variants.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "util/encoding.h"

namespace ward {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string Fold(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string DigitsOf(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

// Python's json.dumps (ensure_ascii) spelling of non-ASCII text: \uXXXX, with
// surrogate pairs beyond the BMP. Empty when the text is ASCII or not UTF-8.
std::string JsonAsciiEscaped(std::string_view s) {
  std::string out;
  bool any = false;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += s[i++];
      continue;
    }
    int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) return "";
    uint32_t cp = c & (extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07);
    for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += static_cast<size_t>(extra) + 1;
    auto hex = [&](uint32_t unit) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", unit);
      out += buf;
    };
    if (cp >= 0x10000) {
      cp -= 0x10000;
      hex(0xD800 + (cp >> 10));
      hex(0xDC00 + (cp & 0x3FF));
    } else {
      hex(cp);
    }
    any = true;
  }
  return any ? out : "";
}

// As a URL query carries it ("%20", or "+" for spaces); nothing when the value
// needs no encoding.
std::vector<std::string> UrlEncoded(std::string_view s) {
  std::string pct = PercentEncode(s);
  if (pct == s) return {};
  std::string form = FormUrlEncode(s);
  return form == pct ? std::vector<std::string>{pct} : std::vector<std::string>{pct, form};
}

constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

// "1960-03-01" (maybe with a time): the other ways a date is commonly written.
std::vector<std::string> DateVariants(std::string_view value) {
  if (value.size() < 10 || value[4] != '-' || value[7] != '-') return {};
  std::string y(value.substr(0, 4)), m(value.substr(5, 2)), d(value.substr(8, 2));
  if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d)) return {};
  int month = std::stoi(m), day = std::stoi(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return {};
  std::string mn = kMonths[month - 1], ms = std::to_string(month), ds = std::to_string(day);
  std::vector<std::string> out = {
      y + "-" + m + "-" + d, m + "/" + d + "/" + y, ms + "/" + ds + "/" + y, y + m + d,
      d + "." + m + "." + y, ds + "." + ms + "." + y, mn + " " + ds + ", " + y,
      mn.substr(0, 3) + " " + ds + ", " + y, ds + " " + mn + " " + y,
      ds + " " + mn.substr(0, 3) + " " + y, y + "/" + m + "/" + d,
      "datetime.date(" + y + ", " + ms + ", " + ds + ")",
      // Day first: strftime("%d/%m/%Y"), "%d-%m-%Y", "%d-%b-%Y"; and "%Y.%m.%d".
      d + "/" + m + "/" + y, ds + "/" + ms + "/" + y, d + "-" + m + "-" + y,
      d + "-" + mn.substr(0, 3) + "-" + y, ds + "-" + mn.substr(0, 3) + "-" + y,
      y + "." + m + "." + d};
  if (value.size() > 10) out.insert(out.begin(), std::string(value));
  return out;
}

// A North American number in its usual spellings; an SSN with and without dashes.
std::vector<std::string> PhoneVariants(std::string_view value) {
  // Without an extension ("555-397-1190 ext. 12", "x12").
  std::string lower = Fold(value);
  size_t ext = std::min(lower.find('x'), lower.find("ext"));
  std::string digits = DigitsOf(value.substr(0, ext));
  if (digits.size() == 11 && digits[0] == '1') digits = digits.substr(1);
  if (digits.size() != 10) return {};
  std::string a = digits.substr(0, 3), b = digits.substr(3, 3), c = digits.substr(6);
  return {a + "-" + b + "-" + c, "(" + a + ") " + b + "-" + c, "(" + a + ")" + b + "-" + c,
          a + "." + b + "." + c, a + " " + b + " " + c,        digits,
          "1" + digits};  // E.164 without the '+'; "+1..." has it as a separate byte
}
std::vector<std::string> SsnVariants(std::string_view value) {
  std::string digits = DigitsOf(value);
  if (digits.size() != 9) return {};
  std::string a = digits.substr(0, 3), b = digits.substr(3, 2), c = digits.substr(5);
  return {a + "-" + b + "-" + c, a + " " + b + " " + c, digits};
}

}  // namespace

std::vector<std::string> SpellingVariants(std::string_view value, ValueShape shape) {
  std::vector<std::string> out;
  if (std::string json = JsonAsciiEscaped(value); !json.empty()) out.push_back(json);
  for (std::string& v : UrlEncoded(value)) out.push_back(std::move(v));
  std::vector<std::string> shaped = shape == ValueShape::kDate    ? DateVariants(value)
                                    : shape == ValueShape::kPhone ? PhoneVariants(value)
                                    : shape == ValueShape::kSsn   ? SsnVariants(value)
                                                                  : std::vector<std::string>{};
  for (std::string& v : shaped) out.push_back(std::move(v));
  return out;
}

}  // namespace ward
