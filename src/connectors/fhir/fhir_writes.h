// The write side of the fhir bindings: create, update, delete and transaction,
// each journaled with its pre-image before it happens and its result after (so
// `ward rollback` can undo it), sent with If-Match on the version prepared (and
// approved), or — in
// a dry run — simulated and recorded in the session's changeset. Internal to the
// connector.
#pragma once

#include <string>

#include "connectors/fhir/fhir_bindings.h"

namespace ward::fhir_internal {

BindingOutcome Create(FhirClient* client, JournalScope* ctx, const std::string& args_json);
// Update, delete and transaction execute `prepared` (Prepare's result, as the gate
// decided on it; prepared here when null): If-Match on the versions it holds, and
// a ConflictError (with `stale` set) when the server has moved on.
BindingOutcome Update(FhirClient* client, JournalScope* ctx, const std::string& args_json,
                      const PreparedCall* prepared);
BindingOutcome Delete(FhirClient* client, JournalScope* ctx, const std::string& args_json,
                      const PreparedCall* prepared);
BindingOutcome Transaction(FhirClient* client, JournalScope* ctx, const std::string& args_json,
                           const PreparedCall* prepared);

// The current version of a resource (for pre-images and approval diffs): its JSON
// and version, or empty strings when it does not exist (404/410).
struct Current {
  std::string json;             // empty when the resource does not exist (now)
  std::string version;          // of `json`
  std::string deleted_version;  // when the server says it was deleted: that version, if given
};
Result<Current> ReadCurrent(FhirClient* client, const std::string& type, const std::string& id);

}  // namespace ward::fhir_internal
