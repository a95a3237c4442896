// Preparing a fhir binding call for the gate (see PreparedCall in gate/binding.h):
// its arguments' shape is checked with the same functions the handlers use, the
// current version of every resource an update or delete (or transaction entry)
// touches is read once, and each action gets its resource type, operation, the
// patients it touches (patient_compartment.h), its before/after and a summary
// built from validated parts. A transaction gets one action for the whole bundle
// and one per entry, as the create/update/delete/read/search it is. Internal to the
// connector.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "connectors/fhir/fhir_bindings.h"

namespace ward::fhir_internal {

PreparedCall Prepare(FhirClient* client, const std::string& binding, const std::string& args_json);

// The Bundle a prepared transaction submits: the guest's entries, each PUT and
// DELETE with If-Match on the version prepared for it. `args` must have prepared
// without refusal.
nlohmann::json TransactionBundle(const nlohmann::json& args, const PreparedCall& prepared);

}  // namespace ward::fhir_internal
