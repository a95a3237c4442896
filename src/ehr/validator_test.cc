#include "ehr/validator.h"

#include <gtest/gtest.h>

#include "ehr/date_range.h"
#include "ehr/ehr_test_util.h"
#include "ehr/text_fold.h"

namespace ward::ehr {
namespace {

using nlohmann::json;
using testing::SharedValidator;

// The expressions of the issues found in `resource`.
std::vector<std::string> Paths(const json& resource) {
  std::vector<std::string> out;
  for (const auto& i : SharedValidator().Validate(resource)) out.push_back(i.expression);
  return out;
}

json Patient() {
  return json::parse(R"({"resourceType":"Patient","id":"p1","gender":"female",
    "birthDate":"1980-10-28","name":[{"family":"Wyman","given":["Alfreda"]}],
    "managingOrganization":{"reference":"Organization/o1"}})");
}

TEST(ValidatorTest, AcceptsAValidPatient) { EXPECT_TRUE(Paths(Patient()).empty()); }

struct Bad {
  const char* name;
  std::function<void(json&)> edit;
  const char* path;
};

TEST(ValidatorTest, RefusesInvalidResourcesNamingThePath) {
  const Bad cases[] = {
      {"enum", [](json& p) { p["gender"] = "f"; }, "Patient.gender"},
      {"pattern", [](json& p) { p["birthDate"] = "1980/10/28"; }, "Patient.birthDate"},
      {"calendar", [](json& p) { p["birthDate"] = "2019-02-29"; }, "Patient.birthDate"},
      {"unknown property", [](json& p) { p["colour"] = "blue"; }, "Patient.colour"},
      {"array expected",
       [](json& p) {
         p["name"] = json{{"family", "X"}};
       },
       "Patient.name"},
      {"string expected", [](json& p) { p["name"][0]["family"] = 7; }, "Patient.name[0].family"},
      {"complex type as string", [](json& p) { p["maritalStatus"] = "married"; },
       "Patient.maritalStatus"},
      {"reference", [](json& p) { p["managingOrganization"]["reference"] = "Organization/ bad"; },
       "Patient.managingOrganization.reference"},
      {"reference type", [](json& p) { p["managingOrganization"]["reference"] = "Nope/1"; },
       "Patient.managingOrganization.reference"},
      {"id", [](json& p) { p["id"] = "has space"; }, "Patient.id"},
      {"boolean", [](json& p) { p["active"] = "yes"; }, "Patient.active"},
      {"integer", [](json& p) { p["multipleBirthInteger"] = 1.5; }, "Patient.multipleBirthInteger"},
      {"nested unknown", [](json& p) { p["name"][0]["surname"] = "X"; }, "Patient.name[0].surname"},
      {"contained type",
       [](json& p) {
         p["contained"] = json::array({{{"resourceType", "Nope"}}});
       },
       "Patient.contained[0]"},
  };
  for (const auto& c : cases) {
    json p = Patient();
    c.edit(p);
    EXPECT_EQ(Paths(p), std::vector<std::string>{c.path}) << c.name;
  }
}

TEST(ValidatorTest, ObservationCodeMustBeACodeableConcept) {
  json obs = {{"resourceType", "Observation"}, {"status", "final"}, {"code", "4548-4"}};
  EXPECT_EQ(Paths(obs), std::vector<std::string>{"Observation.code"});
  obs["code"] = {{"coding", {{{"system", "http://loinc.org"}, {"code", "4548-4"}}}}};
  EXPECT_TRUE(Paths(obs).empty());
  obs.erase("code");
  EXPECT_EQ(Paths(obs), std::vector<std::string>{"Observation.code"});  // required
}

TEST(ValidatorTest, RefusesNonResources) {
  EXPECT_FALSE(SharedValidator().Validate(json::array()).empty());
  EXPECT_FALSE(SharedValidator().Validate(json{{"id", "x"}}).empty());
  EXPECT_FALSE(SharedValidator().Validate(json{{"resourceType", "Patientt"}}).empty());
}

TEST(ReferenceTest, WellFormed) {
  auto is_type = [](std::string_view t) { return SharedValidator().IsResourceType(t); };
  for (const char* ok : {"Patient/1", "Patient/a.b-c/_history/2", "#c1",
                         "urn:uuid:6d23a95e-7e18-4201-90ec-9501fa89fbd2", "urn:oid:1.2.3",
                         "http://x.org/fhir/Patient/1"}) {
    EXPECT_TRUE(IsWellFormedReference(ok, is_type)) << ok;
  }
  for (const char* bad : {"", "Patient", "patient/1", "Patient/1/2", "urn:uuid:XYZ", "Patient/",
                          "Foo/1", "urn:oid:1.02"}) {
    EXPECT_FALSE(IsWellFormedReference(bad, is_type)) << bad;
  }
}

TEST(DateRangeTest, PartialDatesAreRanges) {
  auto y = ParseFhirDate("2019");
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->low_ms, DaysFromCivil(2019, 1, 1) * 86400000);
  EXPECT_EQ(y->high_ms, DaysFromCivil(2020, 1, 1) * 86400000 - 1);
  auto m = ParseFhirDate("2020-02");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->high_ms - m->low_ms + 1, 29LL * 86400000);
  auto t = ParseFhirDate("2019-05-01T04:23:40+02:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->low_ms, DaysFromCivil(2019, 5, 1) * 86400000 + (2 * 3600 + 23 * 60 + 40) * 1000LL);
  EXPECT_EQ(t->high_ms, t->low_ms + 999);
  auto ms = ParseFhirDate("2019-05-01T00:00:00.5Z");
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(ms->high_ms, ms->low_ms);
  for (const char* bad : {"19", "2019-13", "2019-02-29", "2019-01-01T25:00:00Z",
                          "2019-01-01T10:00:00+1", "2019-01-01X"}) {
    EXPECT_FALSE(ParseFhirDate(bad).ok()) << bad;
  }
}

TEST(TextFoldTest, CaseAndAccentInsensitive) {
  EXPECT_EQ(FoldForSearch("Délagarza"), "delagarza");
  EXPECT_EQ(FoldForSearch("ÆSØP Straße Łódź"), "aesop strasse lodz");
  EXPECT_EQ(FoldForSearch("Zoë"), "zoe");
  EXPECT_EQ(FoldForSearch("e\xCC\x81"), "e");  // e + combining acute
  EXPECT_EQ(FoldForSearch("日本"), "日本");
}

}  // namespace
}  // namespace ward::ehr
