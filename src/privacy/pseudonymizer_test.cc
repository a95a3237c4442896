#include "privacy/pseudonymizer.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

using nlohmann::json;

const char* kPatient = R"({
  "resourceType": "Patient", "id": "6d23a95e-7e18-4201-90ec-9501fa89fbd2",
  "extension": [
    {"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
     "valueString": "Amada Ullrich"},
    {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
     "valueAddress": {"city": "Milton", "state": "Massachusetts", "country": "US"}}],
  "identifier": [
    {"type": {"coding": [{"code": "MR"}]}, "value": "3287b938-4670-47eb-91e5-e0ce3df71405"},
    {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-98-7415"},
    {"type": {"coding": [{"code": "DL"}]}, "value": "S99958856"}],
  "name": [{"family": "O'Keefe", "given": ["Alfreda", "Jo"], "prefix": ["Mrs."]},
           {"use": "maiden", "family": "Deckow", "given": ["Alfreda"]}],
  "telecom": [{"system": "phone", "value": "555-397-1190"},
              {"system": "email", "value": "alfreda@example.org"}],
  "gender": "female", "birthDate": "1960-03-01",
  "address": [{"line": ["924 Osinski Meadow"], "city": "Wilmington", "state": "Massachusetts",
               "postalCode": "01887", "extension": [{"url": "geolocation", "extension": [
                 {"url": "latitude", "valueDecimal": 42.564647}]}]}]})";

std::unique_ptr<Pseudonymizer> Make(PrivacyMode mode = PrivacyMode::kPseudonymise) {
  PrivacyOptions options;
  options.mode = mode;
  auto p = Pseudonymizer::Create(options);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

const std::vector<std::string> kIdentifiers = {"6d23a95e-7e18-4201-90ec-9501fa89fbd2",
                                               "3287b938-4670-47eb-91e5-e0ce3df71405",
                                               "999-98-7415",
                                               "S99958856",
                                               "O'Keefe",
                                               "Alfreda",
                                               "Deckow",
                                               "Amada Ullrich",
                                               "Milton",
                                               "555-397-1190",
                                               "alfreda@example.org",
                                               "1960-03-01",
                                               "924 Osinski Meadow",
                                               "Wilmington",
                                               "01887",
                                               "42.564647"};

TEST(PseudonymizerTest, KnownIdentifiersBecomeStableTokens) {
  auto p = Make();
  p->Learn(kPatient);
  SubstitutionCounts counts;
  std::string text = std::string("Patient ") + kPatient;
  std::string out = p->Pseudonymise(text, &counts);
  for (const auto& id : kIdentifiers)
    EXPECT_EQ(out.find(id), std::string::npos) << id << "\n" << out;
  EXPECT_NE(out.find("[[PATIENT_1]]"), std::string::npos);
  EXPECT_NE(out.find("[[PATIENT_1.family]]"), std::string::npos);
  EXPECT_NE(out.find("[[PATIENT_1.mrn]]"), std::string::npos);
  EXPECT_NE(out.find("[[PATIENT_1.birthDate]]"), std::string::npos);
  EXPECT_NE(out.find("Massachusetts"), std::string::npos);  // state level stays
  EXPECT_NE(out.find("female"), std::string::npos);
  EXPECT_GT(counts.by_category["name"], 0);
  EXPECT_GT(counts.by_category["identifier"], 0);
  EXPECT_GT(counts.by_category["date"], 0);
  // The same value gets the same token every time.
  EXPECT_EQ(p->Pseudonymise("O'Keefe"), "[[PATIENT_1.family]]");
  EXPECT_EQ(p->Pseudonymise("OKEEFE o'keefe"), "OKEEFE [[PATIENT_1.family]]");
}

TEST(PseudonymizerTest, CommonVariantsAreCaught) {
  auto p = Make();
  p->Learn(kPatient);
  for (const std::string text :
       {"ALFREDA JO O'KEEFE", "O'Keefe, Alfreda Jo", "alfreda jo o'keefe", "03/01/1960", "3/1/1960",
        "March 1, 1960", "19600301", "datetime.date(1960, 3, 1)", "(555) 397-1190", "5553971190",
        "999987415", "Amada%20Ullrich", "Amada+Ullrich",
        "Patient/6d23a95e-7e18-4201-90ec-9501fa89fbd2",
        "urn:uuid:3287B938-4670-47EB-91E5-E0CE3DF71405"}) {
    std::string out = p->Pseudonymise(text);
    EXPECT_NE(out.find("[[PATIENT_1"), std::string::npos) << text << " -> " << out;
    EXPECT_EQ(out.find_first_of("0123456789", out.rfind("]]")), std::string::npos) << out;
  }
  // The full name in its other orders is the one token of the name as written.
  std::string name = p->Pseudonymise("Alfreda Jo O'Keefe");
  EXPECT_EQ(p->Pseudonymise("O'Keefe, Alfreda Jo"), name);
  EXPECT_EQ(p->ReIdentify(name), "Alfreda Jo O'Keefe");
}

TEST(PseudonymizerTest, NonAsciiNamesAreCaughtInJsonEscapes) {
  auto p = Make();
  p->Learn(R"({"resourceType":"Patient","id":"p1","name":[{"family":"Muñoz","given":["José"]}]})");
  EXPECT_EQ(p->Pseudonymise(R"({"family": "Mu\u00f1oz"})"),
            R"({"family": "[[PATIENT_1.family]]"})");
  EXPECT_EQ(p->Pseudonymise("JOSÉ"), "[[PATIENT_1.given]]");  // str.upper() beyond ASCII
  EXPECT_EQ(p->Pseudonymise("José"), "[[PATIENT_1.given]]");
}

TEST(PseudonymizerTest, ReferencesOutsideThePatientTokeniseItsIdAndDisplay) {
  auto p = Make();
  p->Learn(R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation",
    "subject":{"reference":"Patient/abc-123","display":"Mr. Floyd Connelly"},
    "valueQuantity":{"value":7.2}}}]})");
  EXPECT_EQ(p->Pseudonymise("subject Patient/abc-123 (Mr. Floyd Connelly): 7.2"),
            "subject Patient/[[PATIENT_1]] ([[PATIENT_1.name]]): 7.2");
}

TEST(PseudonymizerTest, PatternsCatchWhatWasNeverLearned) {
  auto p = Make();
  SubstitutionCounts counts;
  std::string out = p->Pseudonymise(
      "note: call 617-555-0100 on 2019-02-01 re SSN 123-45-6789, bob@x.org; "
      "HbA1c 4548-4 = 7.2 % in 2019",
      &counts);
  EXPECT_EQ(out,
            "note: call [[PHONE_1]] on [[DATE_1]] re SSN [[SSN_1]], [[EMAIL_1]]; "
            "HbA1c 4548-4 = 7.2 % in 2019");
  EXPECT_EQ(counts.total(), 4);
  // And later spellings of the same values map to the same tokens.
  EXPECT_EQ(p->Pseudonymise("02/01/2019"), "[[DATE_1]]");
}

TEST(PseudonymizerTest, ReIdentifiesTokensInTextCodeAndJson) {
  auto p = Make();
  p->Learn(kPatient);
  EXPECT_EQ(p->ReIdentify("[[PATIENT_1.family]] born [[PATIENT_1.birthDate]], [[PATIENT_9]]"),
            "O'Keefe born 1960-03-01, [[PATIENT_9]]");
  // In code the value stays inside its literal.
  EXPECT_EQ(p->ReIdentifyCode("x = '[[PATIENT_1.family]]'"), "x = 'O\\'Keefe'");
  auto args = p->ReIdentifyJson(R"({"family":"[[PATIENT_1.family]]","n":1})");
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(json::parse(*args)["family"], "O'Keefe");
  EXPECT_FALSE(p->ReIdentifyJson("{[[").ok());
}

TEST(PseudonymizerTest, TaskMarkupIsTokenised) {
  auto p = Make();
  EXPECT_EQ(p->PseudonymiseTask("How old is [[Alfreda Wyman]] (born [[1960-03-01]], MRN "
                                "[[A1234]])? [[PATIENT_4]] stays"),
            "How old is [[NAME_1]] (born [[DATE_1]], MRN [[ID_1]])? [[PATIENT_4]] stays");
  EXPECT_EQ(p->ReIdentify("[[NAME_1]]"), "Alfreda Wyman");
  EXPECT_EQ(p->Pseudonymise("alfreda wyman"), "[[NAME_1]]");
}

TEST(PseudonymizerTest, OffChangesNothing) {
  auto p = Make(PrivacyMode::kOff);
  p->Learn(kPatient);
  EXPECT_EQ(p->Pseudonymise("O'Keefe 1960-03-01"), "O'Keefe 1960-03-01");
  EXPECT_EQ(p->known_values(), 0u);
}

TEST(PseudonymizerTest, StrictTokenisesStringsOutsideTheAllowedElements) {
  auto p = Make(PrivacyMode::kStrict);
  p->Learn(R"({"resourceType":"Observation","id":"o1","status":"final",
    "code":{"text":"Hemoglobin A1c"},"note":[{"text":"patient travels to Lisbon"}],
    "valueQuantity":{"value":7.2,"unit":"%"}})");
  EXPECT_EQ(p->Pseudonymise("final Hemoglobin A1c 7.2 %: patient travels to Lisbon"),
            "final Hemoglobin A1c 7.2 %: [[VALUE_1]]");
}

TEST(PseudonymizerTest, TokensInTextAreNeverRewrittenByPatterns) {
  PrivacyOptions options;
  options.mode = PrivacyMode::kPseudonymise;
  options.identifier_patterns = {"[A-Z]+_\\d+"};
  auto p = Pseudonymizer::Create(options);
  ASSERT_TRUE(p.ok());
  (*p)->Learn(kPatient);
  EXPECT_EQ((*p)->Pseudonymise("O'Keefe ABC_12"), "[[PATIENT_1.family]] [[ID_1]]");
}

TEST(PseudonymizerTest, ValuesSpelledLikeTokenPartsNeverBreakTokens) {
  auto p = Make();
  p->Learn(R"({"resourceType":"Patient","id":"p1","name":[{"family":"Date","given":["Patient"]}],
    "address":[{"city":"Name"}]})");
  std::string once = p->Pseudonymise("Patient Date of Name, [[DATE_1]] [[PATIENT_1.name]]");
  EXPECT_EQ(once, "[[PATIENT_1.name]] of [[PATIENT_1.city]], [[DATE_1]] [[PATIENT_1.name]]");
  EXPECT_EQ(p->Pseudonymise(once), once);
}

TEST(PseudonymizerTest, HostileValuesStayInsideTheirPythonLiteral) {
  auto p = Make();
  p->Learn(
      R"({"resourceType":"Patient","id":"p1","name":[{"family":"x'); import os #\n\\\"\"\"","given":["Al"]}]})");
  std::string code =
      p->ReIdentifyCode("v = '[[PATIENT_1.family]]'\nw = \"\"\"[[PATIENT_1.family]]\"\"\"");
  EXPECT_EQ(code,
            "v = 'x\\'); import os #\\n\\\\\\\"\\\"\\\"'\n"
            "w = \"\"\"x\\'); import os #\\n\\\\\\\"\\\"\\\"\"\"\"");
}

}  // namespace
}  // namespace ward
