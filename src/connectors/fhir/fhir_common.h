// Helpers shared by the fhir bindings' read and write halves. Internal.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "connectors/fhir/fhir_bindings.h"

namespace ward::fhir_internal {

using nlohmann::json;

std::string Dump(const json& j);
// The audit details every FHIR call records.
AuditData CallAudit(const FhirResponse& r, const std::vector<std::string>& ids);
std::string ResourceRef(const json& resource);
Result<json> ParseBody(const FhirResponse& r);
BindingOutcome HttpFailure(const FhirResponse& r);
BindingOutcome TransportFailure(const Status& s);
// Parses the arguments object; nullopt with an error outcome in *failure when malformed.
std::optional<json> Args(const std::string& args_json, const char* binding,
                         BindingOutcome* failure);
// Validates resource_type (and id when `with_id`); empty string when fine.
std::string CheckTypeAndId(const json& args, const char* binding, bool with_id);
// The resource argument of create/update; empty string when fine.
std::string CheckResource(const json& args, const char* binding, bool need_id);

// Search parameters from the guest's **params: str/int/float/bool values, lists for
// AND; InvalidArgument for any other shape. The one reading of them that both the
// policy's patient set and the request use.
Result<FhirSearchParams> SearchParams(const json& params);

}  // namespace ward::fhir_internal
