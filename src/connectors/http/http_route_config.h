// Reads the `routes` of an `http` connector's table: path patterns, methods and
// each write's compensation (`undo`). Internal to src/connectors/http.
#pragma once

#include <vector>

#include "connectors/http/http_api_config.h"
#include "connectors/http/toml_fields.h"

namespace ward::http_config {

// The routes under `f.table["routes"]` (an array of tables), validated: at least
// one route; each compensation targets a method and path some route allows and
// uses only parameters its forward route binds.
Result<std::vector<HttpRoute>> ReadRoutes(const Fields& f);

}  // namespace ward::http_config
