#include "journal/json_diff.h"

#include <nlohmann/json.hpp>

#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

std::string Show(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

void Walk(const std::string& path, const json& a, const json& b, std::vector<std::string>& out) {
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (path.empty() && k == "meta") continue;
      if (!b.contains(k)) {
        out.push_back("- " + Join(path, k) + ": " + Show(v));
      } else {
        Walk(Join(path, k), v, b[k], out);
      }
    }
    for (const auto& [k, v] : b.items())
      if (!a.contains(k) && !(path.empty() && k == "meta"))
        out.push_back("+ " + Join(path, k) + ": " + Show(v));
    return;
  }
  if (a.is_array() && b.is_array()) {
    size_t n = std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      if (i >= a.size()) {
        out.push_back("+ " + p + ": " + Show(b[i]));
      } else if (i >= b.size()) {
        out.push_back("- " + p + ": " + Show(a[i]));
      } else {
        Walk(p, a[i], b[i], out);
      }
    }
    return;
  }
  out.push_back("~ " + (path.empty() ? std::string("(document)") : path) + ": " + Show(a) + " → " +
                Show(b));
}

json Parse(const std::string& text) {
  if (text.empty()) return json();
  json j = ParseJsonOrDiscarded(text);
  return j.is_discarded() ? json(text) : j;
}

}  // namespace

std::vector<std::string> JsonDiff(const std::string& before, const std::string& after) {
  std::vector<std::string> out;
  json a = Parse(before), b = Parse(after);
  if (a.is_null() && b.is_object()) a = json::object();
  if (b.is_null() && a.is_object()) b = json::object();
  Walk("", a, b, out);
  return out;
}

}  // namespace ward
