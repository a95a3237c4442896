#include "privacy/spellings.h"

#include <cstdint>
#include <cstdio>

namespace ward {
namespace {

std::string Hex2(const char* format, unsigned value) {
  char buf[16];
  snprintf(buf, sizeof buf, format, value);
  return buf;
}

// Decodes `s` into code points; false when it is not well-formed UTF-8.
bool DecodeUtf8(std::string_view s, std::vector<uint32_t>* out) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80             ? 0
                : (c & 0xE0) == 0xC0 ? 1
                : (c & 0xF0) == 0xE0 ? 2
                : (c & 0xF8) == 0xF0 ? 3
                                     : -1;
    if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) return false;
    uint32_t cp = extra == 0 ? c : c & (extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07);
    for (int k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3F);
    }
    out->push_back(cp);
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Latin Extended-A pairs an upper-case letter with the next code point; which of
// the two is upper alternates by block.
bool LatinExtendedAUpperIsEven(uint32_t cp) {
  return (cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) ||
         (cp >= 0x14A && cp <= 0x177);
}
bool LatinExtendedAUpperIsOdd(uint32_t cp) {
  return (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
}

uint32_t ToLower(uint32_t cp) {
  if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
      (cp >= 0x410 && cp <= 0x42F))
    return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  if (cp == 0x178) return 0xFF;
  if (LatinExtendedAUpperIsEven(cp) && cp % 2 == 0) return cp + 1;
  if (LatinExtendedAUpperIsOdd(cp) && cp % 2 == 1) return cp + 1;
  return cp;
}

uint32_t ToUpper(uint32_t cp) {
  if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) || (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) ||
      (cp >= 0x430 && cp <= 0x44F))
    return cp - 0x20;
  if (cp >= 0x450 && cp <= 0x45F) return cp - 0x50;
  if (cp == 0xFF) return 0x178;
  if (LatinExtendedAUpperIsEven(cp - 1) && cp % 2 == 1) return cp - 1;
  if (LatinExtendedAUpperIsOdd(cp - 1) && cp % 2 == 0) return cp - 1;
  return cp;
}

std::string JsonStringBody(std::string_view value) {
  std::string out;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20) {
      out += Hex2("\\u%04x", u);
    } else {
      out += c;
    }
  }
  return out;
}

// HTML escapes, with each common spelling of the apostrophe.
std::vector<std::string> HtmlEscaped(std::string_view value) {
  std::vector<std::string> out;
  for (const char* apostrophe : {"&#39;", "&#x27;", "&apos;", "\\u0027"}) {
    std::string s;
    for (char c : value) {
      switch (c) {
        case '&':
          s += "&amp;";
          break;
        case '<':
          s += "&lt;";
          break;
        case '>':
          s += "&gt;";
          break;
        case '"':
          s += "&quot;";
          break;
        case '\'':
          s += apostrophe;
          break;
        default:
          s += c;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string PythonBytesRepr(std::string_view value) {
  std::string out;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x80 ? std::string(1, c) : Hex2("\\x%02x", u);
  }
  return out;
}

// Python's ascii() / unicode_escape spelling: \xNN below U+0100, \uNNNN in the
// BMP, \UNNNNNNNN beyond. Empty when the value is ASCII or not UTF-8.
std::string PythonAsciiEscaped(std::string_view value) {
  std::vector<uint32_t> cps;
  if (!DecodeUtf8(value, &cps)) return "";
  std::string out;
  for (uint32_t cp : cps) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else {
      out += Hex2(cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x", cp);
    }
  }
  return out;
}

// A UUID (8-4-4-4-12 hex): as uuid.hex prints it, and its first group, which
// short ids (id[:8]) and truncated table cells show.
std::vector<std::string> UuidSpellings(std::string_view value) {
  if (value.size() != 36) return {};
  for (size_t i = 0; i < value.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = value[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex) return {};
  }
  std::string plain;
  for (char c : value)
    if (c != '-') plain += c;
  return {plain, std::string(value.substr(0, 13)), std::string(value.substr(0, 8))};
}

}  // namespace

std::string PythonLiteralEscaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
      case '\'':
      case '"':
        out += '\\';
        out += c;
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        out += "\\x00";
        break;
      case '{':
        out += "\\x7b";
        break;
      case '}':
        out += "\\x7d";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<std::string> EscapedSpellings(std::string_view value) {
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    if (s != value) out.push_back(std::move(s));
  };
  add(PythonLiteralEscaped(value));
  add(JsonStringBody(value));
  if (value.find_first_of("&<>\"'") != std::string_view::npos)
    for (std::string& s : HtmlEscaped(value)) add(std::move(s));
  add(PythonBytesRepr(value));
  if (std::string ascii = PythonAsciiEscaped(value); !ascii.empty()) add(std::move(ascii));
  for (std::string& s : UuidSpellings(value)) add(std::move(s));
  return out;
}

std::vector<std::string> CaseSpellings(std::string_view value) {
  std::vector<uint32_t> cps;
  if (!DecodeUtf8(value, &cps)) return {};
  std::string upper, lower;
  bool beyond_ascii = false;
  for (uint32_t cp : cps) {
    beyond_ascii = beyond_ascii || cp >= 0x80;
    if (cp == 0xDF) {
      upper += "SS";
    } else {
      AppendUtf8(ToUpper(cp), &upper);
    }
    AppendUtf8(ToLower(cp), &lower);
  }
  if (!beyond_ascii) return {};
  std::vector<std::string> out;
  if (upper != value) out.push_back(upper);
  if (lower != value && lower != upper) out.push_back(lower);
  return out;
}

}  // namespace ward
