// Which patients a FHIR interaction touches, worked out from what will execute —
// for the policy's patient rules, which must fail closed. Facts from FHIR R4: the
// resource types, and the Patient CompartmentDefinition (which search parameters
// of each resource type link it to a patient).
//
// Reads: every value of every parameter that can name a patient counts (patient,
// subject, any `:Patient` modifier, the type's compartment parameters, `_id` on
// Patient), comma-separated alternatives and repeated values alike. A search of a
// type in the compartment (or of Patient) not limited by patient/subject/`:Patient`
// (or `_id` on Patient), a read of such a type other than Patient, `_include`,
// `_revinclude`, `_has`, chained parameters, modifiers other than a type, and any
// special parameter not known to be harmless make the set unknown.
//
// Writes: every reference in the resource, in any form (`Patient/ID`,
// `Patient/ID/_history/N`, an absolute URL, a `urn:uuid:` of a transaction entry,
// a `#contained` resource), that resolves to a Patient names it; a Patient resource
// names itself. A reference that cannot be resolved for certain (a contained or
// logical Patient, a malformed reference, an unknown `urn:`) in a resource of the
// compartment makes the set unknown. This is a superset of R4's compartment.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ward {

struct PatientSet {
  std::set<std::string> ids;  // valid FHIR ids only
  bool unknown = false;
  // The first text from the model that made the set unknown ("" when none did);
  // raw, unvalidated: quote it (QuoteModelText) before showing it to anyone.
  std::string unverified;

  void Add(const std::string& id) { ids.insert(id); }
  void MarkUnknown(const std::string& text = "");
  void Merge(const PatientSet& other);
};

// A FHIR R4 resource type name ("Patient", "Observation", ...).
bool IsKnownResourceType(const std::string& type);
// Patient, or a type with parameters in R4's Patient CompartmentDefinition.
bool IsInPatientCompartment(const std::string& type);

// A literal reference: "Patient/1", "Patient/1/_history/2",
// "https://host/fhir/Patient/1". nullopt for anything else.
struct LiteralReference {
  std::string type;
  std::string id;
};
std::optional<LiteralReference> ParseLiteralReference(const std::string& text);

// fullUrl ("urn:uuid:...") of a transaction entry → its type and id (id empty for
// an entry that creates a new resource).
using LocalReferences = std::map<std::string, LiteralReference>;

PatientSet PatientsOfResource(const nlohmann::json& resource, const LocalReferences& local = {});
// `params` as they will be sent (name, value) — one pair per repetition.
PatientSet PatientsOfSearch(const std::string& type,
                            const std::vector<std::pair<std::string, std::string>>& params);
// Unknown for a type in the compartment other than Patient (fhir.read then reads
// the resource before the policy runs and uses PatientsOfResource).
PatientSet PatientsOfRead(const std::string& type, const std::string& id);

}  // namespace ward
