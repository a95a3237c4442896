// Fuzzes the http connector's settings reader: TOML text (within ward's TOML
// limits, through toml++) to ParseHttpApiConfig, then a few calls matched against
// whatever config it accepted.
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "connectors/http/http_api_config.h"
#include "connectors/http/http_route_match.h"
#include "util/toml_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (!ward::CheckTomlLimits(text, "fuzz.toml").ok()) return 0;
  toml::table table;
  try {
    table = toml::parse(std::string_view(text), std::string_view("fuzz.toml"));
  } catch (const toml::parse_error&) {
    return 0;
  }
  auto config = ward::ParseHttpApiConfig(table, "fuzz", "fuzz.toml");
  if (!config.ok()) return 0;
  for (const char* path : {"/", "/a", "/a/1", "/a/1/b", "/appointments/42"}) {
    auto match = ward::MatchHttpRoute(*config, "GET", path);
    auto write = ward::MatchHttpRoute(*config, "POST", path);
  }
  return 0;
}
