// Test helpers (tests only): an HttpApiConfig from TOML text, and the
// appointment routes (with their compensations) that many tests share.
#pragma once

#include <string>

#include "connectors/http/http_api_config.h"

namespace ward::testing {

// GET/POST /appointments (a POST undone by DELETE {location}) and
// GET/PUT/DELETE /appointments/{id} (a PUT undone by a PUT of the pre-image).
inline constexpr char kAppointmentRoutes[] = R"(
[[routes]]
methods = ["GET", "POST"]
path = "/appointments"
undo.POST = "DELETE {location}"
[[routes]]
methods = ["GET", "PUT", "DELETE"]
path = "/appointments/{id}"
undo.PUT = { request = "PUT /appointments/{id}", pre_image = "GET /appointments/{id}" }
)";

// `text` parsed as the table of a connector named "vendor", errors naming `where`;
// InvalidArgument too when the TOML itself does not parse.
inline Result<HttpApiConfig> ParseTestConfig(const std::string& text,
                                             const std::string& where = "test") {
  toml::table table;
  try {
    table = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return InvalidArgument("test TOML does not parse: " + std::string(e.description()));
  }
  return ParseHttpApiConfig(table, "vendor", where);
}

}  // namespace ward::testing
