// A nesting bound for TOML text, checked before toml++ parses it.
//
// toml++ limits nested arrays and inline tables (TOML_MAX_NESTED_VALUES, 256) but
// not tables nested by dotted keys: one line `a.a.a.…a = 1` with 100,000 parts
// overflows the stack inside toml++. CheckTomlLimits counts the dots of the keys on
// each line (table headers, dotted keys, the keys of inline tables; never dots in
// strings, comments or values such as 1.5) and refuses a line whose keys have more
// than `max_dots`, and a text over `max_bytes`. Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "util/status.h"

namespace ward {

struct TomlLimits {
  size_t max_bytes = 16u << 20;
  int max_dots = 128;  // in the keys of one line
};

// OK within `limits`; otherwise InvalidArgument naming `source`, the line and the limit.
Status CheckTomlLimits(std::string_view text, std::string_view source,
                       const TomlLimits& limits = {});

}  // namespace ward
