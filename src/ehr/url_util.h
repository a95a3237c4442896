// Query strings: parsing (application/x-www-form-urlencoded) and building.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ward::ehr {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=x%20y&c" → {{"a","1"},{"b","x y"},{"c",""}}; '+' decodes to a space.
QueryParams ParseQueryString(std::string_view query);

// Percent-encodes everything but unreserved characters and those listed in `keep`.
std::string UrlEncode(std::string_view s, std::string_view keep = "");

// {{"a","1"},{"b","x y"}} → "a=1&b=x%20y" (':' '|' ',' kept readable).
std::string BuildQueryString(const QueryParams& params);

}  // namespace ward::ehr
