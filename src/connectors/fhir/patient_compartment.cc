// Patient sets: the R4 tables and the walk over resources and search parameters.
#include "connectors/fhir/patient_compartment.h"

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "connectors/fhir/fhir_client.h"

namespace ward {
namespace {

using nlohmann::json;

// R4 Patient CompartmentDefinition: resource type → the search parameters that put
// a resource of that type in a patient's compartment.
const std::unordered_map<std::string, std::vector<std::string>>& CompartmentParams() {
  static const auto* table = new std::unordered_map<std::string, std::vector<std::string>>{
      {"Account", {"subject"}},
      {"AdverseEvent", {"subject"}},
      {"AllergyIntolerance", {"patient", "recorder", "asserter"}},
      {"Appointment", {"actor"}},
      {"AppointmentResponse", {"actor"}},
      {"AuditEvent", {"patient"}},
      {"Basic", {"patient", "author"}},
      {"BodyStructure", {"patient"}},
      {"CarePlan", {"patient", "performer"}},
      {"CareTeam", {"patient", "participant"}},
      {"ChargeItem", {"subject"}},
      {"Claim", {"patient", "payee"}},
      {"ClaimResponse", {"patient"}},
      {"ClinicalImpression", {"subject"}},
      {"Communication", {"subject", "sender", "recipient"}},
      {"CommunicationRequest", {"subject", "sender", "recipient", "requester"}},
      {"Composition", {"subject", "author", "attester"}},
      {"Condition", {"patient", "asserter"}},
      {"Consent", {"patient"}},
      {"Coverage", {"policy-holder", "subscriber", "beneficiary", "payor"}},
      {"CoverageEligibilityRequest", {"patient"}},
      {"CoverageEligibilityResponse", {"patient"}},
      {"DetectedIssue", {"patient"}},
      {"DeviceRequest", {"subject", "performer"}},
      {"DeviceUseStatement", {"subject"}},
      {"DiagnosticReport", {"subject"}},
      {"DocumentManifest", {"subject", "author", "recipient"}},
      {"DocumentReference", {"subject", "author"}},
      {"Encounter", {"patient"}},
      {"EnrollmentRequest", {"subject"}},
      {"EpisodeOfCare", {"patient"}},
      {"ExplanationOfBenefit", {"patient", "payee"}},
      {"FamilyMemberHistory", {"patient"}},
      {"Flag", {"patient"}},
      {"Goal", {"patient"}},
      {"Group", {"member"}},
      {"ImagingStudy", {"patient"}},
      {"Immunization", {"patient"}},
      {"ImmunizationEvaluation", {"patient"}},
      {"ImmunizationRecommendation", {"patient"}},
      {"Invoice", {"subject", "patient", "recipient"}},
      {"List", {"subject", "source"}},
      {"MeasureReport", {"patient"}},
      {"Media", {"subject"}},
      {"MedicationAdministration", {"patient", "performer", "subject"}},
      {"MedicationDispense", {"subject", "patient", "receiver"}},
      {"MedicationRequest", {"subject"}},
      {"MedicationStatement", {"subject"}},
      {"MolecularSequence", {"patient"}},
      {"NutritionOrder", {"patient"}},
      {"Observation", {"subject", "performer"}},
      {"Patient", {"link"}},
      {"Person", {"patient"}},
      {"Procedure", {"patient", "performer"}},
      {"Provenance", {"patient"}},
      {"QuestionnaireResponse", {"subject", "author"}},
      {"RelatedPerson", {"patient"}},
      {"RequestGroup", {"subject", "participant"}},
      {"ResearchSubject", {"individual"}},
      {"RiskAssessment", {"subject"}},
      {"Schedule", {"actor"}},
      {"ServiceRequest", {"subject", "performer"}},
      {"Specimen", {"subject"}},
      {"SupplyDelivery", {"patient"}},
      {"SupplyRequest", {"subject"}},
      {"VisionPrescription", {"patient"}},
  };
  return *table;
}

// R4 resource types that are never in the Patient compartment.
const std::unordered_set<std::string>& OtherResourceTypes() {
  static const auto* types = new std::unordered_set<std::string>{
      "ActivityDefinition",
      "Binary",
      "BiologicallyDerivedProduct",
      "Bundle",
      "CapabilityStatement",
      "CatalogEntry",
      "ChargeItemDefinition",
      "CodeSystem",
      "CompartmentDefinition",
      "ConceptMap",
      "Contract",
      "Device",
      "DeviceDefinition",
      "DeviceMetric",
      "EffectEvidenceSynthesis",
      "Endpoint",
      "EnrollmentResponse",
      "EventDefinition",
      "Evidence",
      "EvidenceVariable",
      "ExampleScenario",
      "GraphDefinition",
      "GuidanceResponse",
      "HealthcareService",
      "ImplementationGuide",
      "InsurancePlan",
      "Library",
      "Linkage",
      "Location",
      "Measure",
      "Medication",
      "MedicationKnowledge",
      "MedicinalProduct",
      "MedicinalProductAuthorization",
      "MedicinalProductContraindication",
      "MedicinalProductIndication",
      "MedicinalProductIngredient",
      "MedicinalProductInteraction",
      "MedicinalProductManufactured",
      "MedicinalProductPackaged",
      "MedicinalProductPharmaceutical",
      "MedicinalProductUndesirableEffect",
      "MessageDefinition",
      "MessageHeader",
      "NamingSystem",
      "ObservationDefinition",
      "OperationDefinition",
      "OperationOutcome",
      "Organization",
      "OrganizationAffiliation",
      "Parameters",
      "PaymentNotice",
      "PaymentReconciliation",
      "PlanDefinition",
      "Practitioner",
      "PractitionerRole",
      "Questionnaire",
      "ResearchDefinition",
      "ResearchElementDefinition",
      "ResearchStudy",
      "RiskEvidenceSynthesis",
      "SearchParameter",
      "Slot",
      "SpecimenDefinition",
      "StructureDefinition",
      "StructureMap",
      "Subscription",
      "Substance",
      "SubstanceNucleicAcid",
      "SubstancePolymer",
      "SubstanceProtein",
      "SubstanceReferenceInformation",
      "SubstanceSourceMaterial",
      "SubstanceSpecification",
      "Task",
      "TerminologyCapabilities",
      "TestReport",
      "TestScript",
      "ValueSet",
      "VerificationResult",
  };
  return *types;
}

// Search parameters that never widen or redirect what a search returns.
bool IsHarmlessSpecialParam(const std::string& name) {
  static const std::unordered_set<std::string> kHarmless = {
      "_count",       "_sort",   "_summary", "_elements", "_total",
      "_lastUpdated", "_tag",    "_profile", "_security", "_format",
      "_pretty",      "_source", "_text",    "_content",  "_offset"};
  return kHarmless.count(name) > 0;
}

constexpr int kMaxDepth = 64;

struct ResourceWalk {
  const json& root;
  const LocalReferences& local;
  bool compartment;  // the root's type is in the compartment
  PatientSet out;

  // A reference whose target cannot be known: unknown when it could link the
  // resource to a patient.
  void Unresolved(const std::string& text, bool mentions_patient) {
    if (compartment || mentions_patient) out.MarkUnknown(text);
  }

  void Contained(const std::string& reference) {
    std::string id = reference.substr(1);
    for (const auto& c : root.value("contained", json::array())) {
      if (c.is_object() && c.value("id", "") == id) {
        if (c.value("resourceType", "") == "Patient") out.MarkUnknown(reference);
        return;
      }
    }
    Unresolved(reference, false);
  }

  void Reference(const json& ref) {
    std::string text = ref["reference"];
    std::string declared =
        ref.contains("type") && ref["type"].is_string() ? ref["type"].get<std::string>() : "";
    if (!text.empty() && text[0] == '#') return Contained(text);
    if (auto it = local.find(text); it != local.end()) {
      if (it->second.type == "Patient" && !it->second.id.empty()) out.Add(it->second.id);
      return;
    }
    if (auto lit = ParseLiteralReference(text)) {
      if (lit->type == "Patient") out.Add(lit->id);
      return;
    }
    if (declared == "Patient" && IsFhirId(text)) return out.Add(text);
    Unresolved(text, text.find("Patient") != std::string::npos || declared == "Patient");
  }

  void Walk(const json& node, int depth, bool is_resource) {
    if (depth > kMaxDepth) return out.MarkUnknown();
    if (node.is_array()) {
      for (const auto& item : node) Walk(item, depth + 1, false);
      return;
    }
    if (!node.is_object()) return;
    if (node.contains("reference") && node["reference"].is_string()) {
      Reference(node);
    } else if (!is_resource && node.contains("identifier") && node["identifier"].is_object()) {
      // A logical reference: its target is not known to ward.
      std::string declared =
          node.contains("type") && node["type"].is_string() ? node["type"].get<std::string>() : "";
      if (declared.empty() || declared == "Patient") Unresolved("", declared == "Patient");
    }
    for (const auto& [key, value] : node.items())
      Walk(value, depth + 1, value.is_object() && value.contains("resourceType"));
  }
};

std::vector<std::string> SplitOr(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = value.find(',', start);
    out.push_back(value.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// Whether the search parameter `base` of `type` can name a patient.
bool NamesPatients(const std::string& type, const std::string& base) {
  if (base == "patient" || base == "subject") return true;
  auto it = CompartmentParams().find(type);
  if (it == CompartmentParams().end()) return false;
  for (const auto& p : it->second)
    if (p == base) return true;
  return false;
}

}  // namespace

void PatientSet::MarkUnknown(const std::string& text) {
  if (!unknown || unverified.empty()) unverified = text;
  unknown = true;
}

void PatientSet::Merge(const PatientSet& other) {
  ids.insert(other.ids.begin(), other.ids.end());
  if (other.unknown) MarkUnknown(other.unverified);
}

bool IsKnownResourceType(const std::string& type) {
  return CompartmentParams().count(type) > 0 || OtherResourceTypes().count(type) > 0;
}

bool IsInPatientCompartment(const std::string& type) { return CompartmentParams().count(type) > 0; }

std::optional<LiteralReference> ParseLiteralReference(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() >= 4 && parts[parts.size() - 2] == "_history" && IsFhirId(parts.back()))
    parts.resize(parts.size() - 2);
  if (parts.size() < 2) return std::nullopt;
  const std::string& type = parts[parts.size() - 2];
  const std::string& id = parts.back();
  if (!IsKnownResourceType(type) || !IsFhirId(id)) return std::nullopt;
  if (parts.size() > 2) {  // an absolute URL: scheme://host/.../Type/id
    if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0) return std::nullopt;
  }
  return LiteralReference{type, id};
}

PatientSet PatientsOfResource(const json& resource, const LocalReferences& local) {
  std::string type = resource.is_object() ? resource.value("resourceType", "") : "";
  ResourceWalk walk{
      resource, local, IsInPatientCompartment(type) || !IsKnownResourceType(type), {}};
  if (!resource.is_object()) {
    walk.out.MarkUnknown();
    return walk.out;
  }
  if (type == "Patient" && resource.contains("id")) {
    const json& id = resource["id"];
    if (id.is_string() && IsFhirId(id.get<std::string>())) {
      walk.out.Add(id.get<std::string>());
    } else {
      walk.out.MarkUnknown(id.is_string() ? id.get<std::string>() : "");
    }
  }
  walk.Walk(resource, 0, true);
  return walk.out;
}

PatientSet PatientsOfSearch(const std::string& type,
                            const std::vector<std::pair<std::string, std::string>>& params) {
  PatientSet out;
  if (!IsKnownResourceType(type)) out.MarkUnknown(type);
  bool limited = false;
  for (const auto& [name, value] : params) {
    size_t colon = name.find(':');
    std::string base = name.substr(0, colon);
    std::string modifier = colon == std::string::npos ? "" : name.substr(colon + 1);
    if (name.find('.') != std::string::npos || base.rfind("_has", 0) == 0) {
      out.MarkUnknown(name);
      continue;
    }
    bool patient_ids = type == "Patient" && base == "_id" && modifier.empty();
    if (!base.empty() && base[0] == '_' && !patient_ids) {
      if (base != "_id" && !IsHarmlessSpecialParam(base)) out.MarkUnknown(name);
      continue;
    }
    if (!patient_ids && !NamesPatients(type, base) && modifier != "Patient") continue;
    if (!modifier.empty() && !IsKnownResourceType(modifier)) {
      out.MarkUnknown(name);  // :missing, :not, :identifier, ...: not a list of patients
      continue;
    }
    if (!modifier.empty() && modifier != "Patient") continue;  // another type's references
    bool all_resolved = true;
    {
      for (const auto& alternative : SplitOr(value)) {
        if (IsFhirId(alternative)) {  // a bare id: counted as a patient's
          out.Add(alternative);
        } else if (auto lit = ParseLiteralReference(alternative); lit && !patient_ids) {
          if (lit->type == "Patient") out.Add(lit->id);
        } else {
          out.MarkUnknown(alternative);
          all_resolved = false;
        }
      }
    }
    if (all_resolved &&
        (patient_ids || base == "patient" || base == "subject" || modifier == "Patient"))
      limited = true;
  }
  if (!limited && (type == "Patient" || IsInPatientCompartment(type))) out.MarkUnknown();
  return out;
}

PatientSet PatientsOfRead(const std::string& type, const std::string& id) {
  PatientSet out;
  if (type == "Patient") {
    out.Add(id);
  } else if (IsInPatientCompartment(type) || !IsKnownResourceType(type)) {
    out.MarkUnknown();  // whose it is shows only once it is read
  }
  return out;
}

}  // namespace ward
