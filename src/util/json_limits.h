// Bounded JSON parsing: every JSON text that reaches the host from outside (the
// guest, API and EHR clients, FHIR servers, model providers, stored rows) is
// parsed through here.
//
// nlohmann::json parses iteratively, but copying, comparing, dumping and walking a
// value recurse once per nesting level, so a text of 100,000 nested brackets
// (200 KB) overflows the stack of whatever touches the parsed value. These helpers
// refuse a text that is larger than `max_bytes` or nests arrays and objects deeper
// than `max_depth` with one linear scan before nlohmann sees it, so no value deeper
// than the limit ever exists. Stateless and thread-safe; they never throw.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ward {

struct JsonLimits {
  // Default limits: deep enough for any FHIR resource, Bundle or API body ward
  // meets, shallow enough that recursing over a value costs a few hundred KB of
  // stack at most.
  static constexpr size_t kDefaultMaxBytes = 64u << 20;
  static constexpr int kDefaultMaxDepth = 128;

  size_t max_bytes = kDefaultMaxBytes;
  int max_depth = kDefaultMaxDepth;  // arrays and objects; a scalar alone is depth 0
};

// OK when `text` is within `limits`; otherwise InvalidArgument naming the limit.
// Does not check that `text` is valid JSON (brackets inside strings are skipped).
Status CheckJsonLimits(std::string_view text, const JsonLimits& limits = {});

// Parses `text` after CheckJsonLimits. InvalidArgument when it is over a limit or
// is not valid JSON.
Result<nlohmann::json> ParseJson(std::string_view text, const JsonLimits& limits = {});

// Compact JSON text of `value`; invalid UTF-8 in its strings is replaced rather
// than thrown on, so this never throws.
std::string DumpJson(const nlohmann::json& value);

// The drop-in for `json::parse(text, nullptr, false)`: the parsed value, or a
// discarded value (is_discarded()) when `text` is over a limit or not valid JSON.
nlohmann::json ParseJsonOrDiscarded(std::string_view text, const JsonLimits& limits = {});

}  // namespace ward
