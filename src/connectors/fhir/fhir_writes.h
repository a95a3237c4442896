// The write side of the fhir bindings: create, update, delete and transaction,
// each journaled with its pre-image before it happens and its result after (so
// `ward rollback` can undo it), sent with If-Match on the version it read, or — in
// a dry run — simulated and recorded in the session's changeset. Internal to the
// connector.
#pragma once

#include <string>

#include "connectors/fhir/fhir_bindings.h"

namespace ward::fhir_internal {

BindingOutcome Create(FhirClient* client, FhirWriteContext* ctx, const std::string& args_json);
BindingOutcome Update(FhirClient* client, FhirWriteContext* ctx, const std::string& args_json);
BindingOutcome Delete(FhirClient* client, FhirWriteContext* ctx, const std::string& args_json);
BindingOutcome Transaction(FhirClient* client, FhirWriteContext* ctx, const std::string& args_json);

// The current version of a resource (for pre-images and approval diffs): its JSON
// and version, or empty strings when it does not exist (404/410).
struct Current {
  std::string json;             // empty when the resource does not exist (now)
  std::string version;          // of `json`
  std::string deleted_version;  // when the server says it was deleted: that version, if given
};
Result<Current> ReadCurrent(FhirClient* client, const std::string& type, const std::string& id);

// Policy descriptor and approval preview for any fhir binding's arguments.
ActionDescriptor Describe(const std::string& binding, const std::string& operation,
                          const std::string& args_json);
WritePreview Preview(FhirClient* client, const std::string& binding, const std::string& args_json);

}  // namespace ward::fhir_internal
