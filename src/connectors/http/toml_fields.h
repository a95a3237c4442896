// Typed reads of a toml++ table for the `http` connector's parser, each failing
// with InvalidArgument "<where>: <key> must be …" when a key holds the wrong type.
// Internal to src/connectors/http. Pure; thread-compatible.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ward::http_config {

// A table being read, and how errors name it ("ward.toml: [connectors.x]" and a
// key prefix such as "routes[2]." for nested tables).
struct Fields {
  const toml::table& table;
  std::string where;
  std::string prefix;

  // "<where>: <prefix><key> <message>".
  Status Error(std::string_view key, std::string_view message) const;
  // InvalidArgument naming the first key not in `known`.
  Status CheckKnown(std::initializer_list<std::string_view> known) const;

  Result<std::optional<std::string>> String(std::string_view key) const;
  Result<std::optional<int64_t>> Integer(std::string_view key) const;
  Result<std::optional<bool>> Boolean(std::string_view key) const;
  Result<std::optional<std::vector<std::string>>> Strings(std::string_view key) const;
  // A string that must be present and non-empty.
  Result<std::string> RequiredString(std::string_view key) const;
  // An integer within [min, max] (inclusive), or `fallback` when absent.
  Result<int64_t> IntegerIn(std::string_view key, int64_t min, int64_t max, int64_t fallback) const;
};

}  // namespace ward::http_config
