// Fuzzes how `ward serve` reads a request body: ParseJsonObject, then the string
// fields and the nested `options` object its handlers take, then a dump of the
// value (as an audit entry or an error echo would).
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/api_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto parsed = ward::server::ParseJsonObject(body);
  if (!parsed.ok()) return 0;
  const nlohmann::json& object = *parsed;
  for (const char* name : {"task", "model", "reason", "name", "role", "password", "user"}) {
    auto field = ward::server::StringField(object, name);
    if (field.ok()) field->size();
  }
  nlohmann::json options = object.value("options", nlohmann::json::object());
  if (options.is_object()) {
    auto mode = ward::server::StringField(options, "mode");
    if (mode.ok()) mode->size();
  }
  ward::DumpJson(object).size();
  nlohmann::json copy = object;
  return copy == object ? 0 : 1;
}
