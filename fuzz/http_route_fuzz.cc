// Fuzzes the http connector's path checks: the input (its first byte picks the
// method) as a call's path matched against a fixed route list, and as a Location
// header turned into an undo request.
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "connectors/http/http_api_config.h"
#include "connectors/http/http_compensation.h"
#include "connectors/http/http_route_match.h"

namespace {

const ward::HttpApiConfig& Config() {
  static const ward::HttpApiConfig config = [] {
    toml::table table = toml::parse(R"(
base_url = "https://api.example.com/v1"
[[routes]]
methods = ["GET", "POST"]
path = "/appointments"
undo.POST = "DELETE {location}"
[[routes]]
methods = ["GET", "PUT", "DELETE"]
path = "/appointments/{id}"
undo.PUT = { request = "PUT /appointments/{id}", pre_image = "GET /appointments/{id}" }
[[routes]]
methods = ["GET"]
path = "/patients/{pid}/appointments/{id}/"
)");
    return *ward::ParseHttpApiConfig(table, "fuzz", "fuzz");
  }();
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  std::string method = kMethods[data[0] % 5];
  std::string path(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto match = ward::MatchHttpRoute(Config(), method, path);
  if (match.ok()) {
    auto pre_image = ward::ResolveHttpPreImageRequest(Config(), *match);
    auto undo = ward::ResolveHttpUndoRequest(Config(), *match, path);
  }
  auto created = ward::MatchHttpRoute(Config(), "POST", "/appointments");
  auto undo_created = ward::ResolveHttpUndoRequest(Config(), *created, path);
  return 0;
}
