// JSON views of store records for the API (the edge: JSON stays here).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"
#include "util/json_limits.h"
#include "util/status.h"

namespace ward::server {

nlohmann::json SessionJson(const SessionRecord& r);
// With the action (parsed from action_json when it is JSON) and its hash.
nlohmann::json ApprovalJson(const ApprovalRecord& a);
// Parses a request body that must be a JSON object; InvalidArgument otherwise.
Result<nlohmann::json> ParseJsonObject(const std::string& body);
// A string member of `object` ("" when absent); InvalidArgument when not a string.
Result<std::string> StringField(const nlohmann::json& object, const char* name);

}  // namespace ward::server
