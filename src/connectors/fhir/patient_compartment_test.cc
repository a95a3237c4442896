// Patient sets for reads and writes: every way the issue's reproductions named a
// patient must be counted, and whatever cannot be resolved must be unknown.
#include "connectors/fhir/patient_compartment.h"

#include <gtest/gtest.h>

#include "connectors/fhir/fhir_common.h"
#include "gate/binding.h"

namespace ward {
namespace {

using nlohmann::json;
using Ids = std::set<std::string>;

// Through the same reading of the guest's arguments the request uses.
PatientSet Search(const std::string& type, const std::string& params) {
  auto pairs = fhir_internal::SearchParams(json::parse(params));
  EXPECT_TRUE(pairs.ok()) << params;
  return PatientsOfSearch(type, pairs.ok() ? *pairs : FhirSearchParams{});
}

TEST(PatientsOfSearch, EveryValueOfEveryPatientParameterCounts) {
  EXPECT_EQ(Search("Observation", R"({"patient": ["p1"]})").ids, Ids{"p1"});
  EXPECT_EQ(Search("Observation", R"({"subject:Patient": "p1"})").ids, Ids{"p1"});
  EXPECT_EQ(Search("Observation", R"({"patient": "p1,p2"})").ids, (Ids{"p1", "p2"}));
  EXPECT_EQ(Search("Observation", R"({"subject": "Patient/p1/_history/1"})").ids, Ids{"p1"});
  EXPECT_EQ(Search("Observation", R"({"subject": "http://h/fhir/Patient/p1"})").ids, Ids{"p1"});
  EXPECT_EQ(Search("Patient", R"({"_id": ["p1"]})").ids, Ids{"p1"});
  EXPECT_EQ(Search("Patient", R"({"_id": "p1,p2"})").ids, (Ids{"p1", "p2"}));
  EXPECT_EQ(Search("Appointment", R"({"actor": "Patient/p1", "patient": "p2"})").ids,
            (Ids{"p1", "p2"}));
  for (auto params : {R"({"patient": ["p1"]})", R"({"subject:Patient": "p1"})",
                      R"({"patient": "p1,p2", "_count": 5})"})
    EXPECT_FALSE(Search("Observation", params).unknown) << params;
}

TEST(PatientsOfSearch, WhatCannotBeKnownIsUnknown) {
  for (auto params :
       {R"({"patient": "p1", "_include": "Observation:subject"})",
        R"({"patient": "p1", "_revinclude": "Provenance:target"})", R"({"subject.name": "Smith"})",
        R"({"_has:Observation:patient:code": "x"})", R"({"patient:missing": "true"})",
        R"({"patient:identifier": "mrn|1"})", R"({"code": "1234-5"})",
        R"({"performer": "Patient/p1"})", R"({"patient": "Jane Doe, DOB 1970"})",
        R"({"patient": "p1", "_filter": "x"})"})
    EXPECT_TRUE(Search("Observation", params).unknown) << params;
  EXPECT_TRUE(Search("Patient", R"({"name": "Smith"})").unknown);
  EXPECT_TRUE(Search("Patient", R"({"_id": "Patient/p1"})").unknown);
  EXPECT_FALSE(Search("Practitioner", R"({"name": "Smith"})").unknown);
  EXPECT_TRUE(Search("Practitioner", R"({"_revinclude": "Encounter:practitioner"})").unknown);
  EXPECT_TRUE(Search("NotAType", R"({})").unknown);
}

TEST(PatientsOfRead, APatientIsItselfOtherCompartmentTypesAreUnknown) {
  EXPECT_EQ(PatientsOfRead("Patient", "p1").ids, Ids{"p1"});
  EXPECT_TRUE(PatientsOfRead("Observation", "o1").unknown);
  auto practitioner = PatientsOfRead("Practitioner", "d1");
  EXPECT_FALSE(practitioner.unknown);
  EXPECT_TRUE(practitioner.ids.empty());
}

TEST(PatientsOfResource, ReferencesInAnyFormAndAnyCompartmentElement) {
  auto ids = [](const std::string& text) { return PatientsOfResource(json::parse(text)).ids; };
  EXPECT_EQ(ids(R"({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}})"),
            Ids{"p1"});
  EXPECT_EQ(ids(R"({"resourceType": "Observation",
                    "subject": {"reference": "Patient/p1/_history/1"}})"),
            Ids{"p1"});
  EXPECT_EQ(ids(R"({"resourceType": "Observation",
                    "subject": {"reference": "https://ehr/fhir/Patient/p1"}})"),
            Ids{"p1"});
  EXPECT_EQ(ids(R"({"resourceType": "Appointment", "participant": [
                      {"actor": {"reference": "Practitioner/d1"}},
                      {"actor": {"reference": "Patient/p1"}}]})"),
            Ids{"p1"});
  EXPECT_EQ(ids(R"({"resourceType": "Observation", "subject": {"reference": "Patient/p1"},
                    "performer": [{"reference": "Patient/p2"}]})"),
            (Ids{"p1", "p2"}));
  EXPECT_EQ(ids(R"({"resourceType": "Patient", "id": "p1",
                    "link": [{"other": {"reference": "Patient/p2"}}]})"),
            (Ids{"p1", "p2"}));
  EXPECT_EQ(
      ids(R"({"resourceType": "Encounter", "subject": {"reference": "p1", "type": "Patient"}})"),
      Ids{"p1"});
}

TEST(PatientsOfResource, UnresolvableReferencesAreUnknown) {
  auto unknown = [](const std::string& text) {
    return PatientsOfResource(json::parse(text)).unknown;
  };
  EXPECT_TRUE(unknown(R"({"resourceType": "Observation",
      "subject": {"reference": "Patient/Jane Doe, DOB 1970-01-01, MRN 12345, HIV+"}})"));
  EXPECT_TRUE(unknown(R"({"resourceType": "Observation", "subject": {"reference": "#p"},
      "contained": [{"resourceType": "Patient", "id": "p"}]})"));
  EXPECT_TRUE(unknown(R"({"resourceType": "Observation",
      "subject": {"identifier": {"system": "mrn", "value": "1"}}})"));
  EXPECT_TRUE(
      unknown(R"({"resourceType": "Observation", "subject": {"reference": "urn:uuid:1"}})"));
  EXPECT_TRUE(unknown(R"({"resourceType": "Observation", "subject": {"reference": "p1"}})"));
  EXPECT_FALSE(unknown(R"({"resourceType": "Observation", "subject": {"reference": "Patient/p1"},
      "hasMember": [{"reference": "Observation/o2"}]})"));
  EXPECT_FALSE(unknown(R"({"resourceType": "Practitioner", "name": [{"family": "X"}]})"));
  LocalReferences local{{"urn:uuid:1", {"Patient", "p9"}}, {"urn:uuid:2", {"Patient", ""}}};
  auto in_bundle = PatientsOfResource(
      json::parse(R"({"resourceType": "Observation", "subject": {"reference": "urn:uuid:1"}})"),
      local);
  EXPECT_EQ(in_bundle.ids, Ids{"p9"});
  EXPECT_FALSE(in_bundle.unknown);
}

TEST(PatientSet, UnverifiedTextIsKeptForQuotingOnly) {
  auto set = PatientsOfResource(json::parse(R"({"resourceType": "Observation",
      "subject": {"reference": "Patient/Jane Doe, DOB 1970-01-01, MRN 12345, HIV+"}})"));
  EXPECT_TRUE(set.ids.empty());
  EXPECT_EQ(QuoteModelText(set.unverified), "model text \"Patient/Jane Doe, DOB 19…\"");
  EXPECT_EQ(QuoteModelText("a\"b\nc"), "model text \"a?b?c\"");
}

}  // namespace
}  // namespace ward
