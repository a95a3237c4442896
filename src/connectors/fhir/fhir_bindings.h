// The `fhir` bindings guest code calls: fhir.read, fhir.search,
// fhir.search_bundle, fhir.create, fhir.update, fhir.delete, fhir.transaction.
// Each handler checks its arguments, makes the FHIR interaction through the
// FhirClient, and returns the resource(s) as JSON or a FhirError carrying the
// server's OperationOutcome text. Audit details: method, URL, HTTP status,
// resource ids and the SHA-256 of the response body. The client must outlive the
// bindings; handlers are called from one session thread at a time.
#pragma once

#include <vector>

#include "connectors/fhir/fhir_client.h"
#include "gate/binding.h"
#include "journal/journal_writer.h"

namespace ward {

// `writes` (where writes are journaled, and whether they are only simulated) may
// be null only when no write binding will be called (they then fail closed).
std::vector<Binding> MakeFhirBindings(FhirClient* client, JournalScope* writes);

// The bindings of a FHIR connector named `name`: "fhir.read" becomes
// "<name>.read", and what each call's prepare tells the policy and approvers
// (binding, connector, summaries) names it so. Identity for "fhir".
std::vector<Binding> NameFhirBindings(const std::string& name, std::vector<Binding> bindings);

// "error/not-found: Resource Patient/x is not known (at Patient.id)" from an
// OperationOutcome body; the body's first 300 bytes when it is not one.
std::string OperationOutcomeText(const std::string& body);

}  // namespace ward
