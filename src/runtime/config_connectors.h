// Reading the `[connectors.NAME]` tables of ward.toml (internal to src/runtime).
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "runtime/config.h"

namespace ward {

// Reads the `[connectors.*]` tables of a parsed ward.toml into `out`, in name
// order. InvalidArgument naming the file, line and key: a name that is not a
// lowercase identifier (or is a Python keyword, or "finish"), an unknown or
// missing type, an unknown key for the type, a value of the wrong kind.
Status ReadConnectorTables(const toml::table& document, const std::string& file,
                           std::vector<ConnectorSettings>* out);

}  // namespace ward
