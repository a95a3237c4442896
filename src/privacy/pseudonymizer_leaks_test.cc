// Attacker's tests of pseudonymisation: the spellings in which ordinary agent
// code prints a known identifier (tracebacks echoing re-identified code, upper
// case of accented names, HTML narrative, bytes reprs, day-first and E.164
// formats), and EHR values crafted to escape their Python literal when
// re-identified into the model's code. Each must reach the model as a token.
#include <gtest/gtest.h>

#include "privacy/pseudonymizer.h"

namespace ward {
namespace {

std::unique_ptr<Pseudonymizer> Learned(const std::string& patient) {
  PrivacyOptions options;
  options.mode = PrivacyMode::kPseudonymise;
  auto p = Pseudonymizer::Create(options);
  EXPECT_TRUE(p.ok()) << p.status().message();
  (*p)->Learn(patient);
  return std::move(p).value();
}

const char* kOKeefe = R"({"resourceType":"Patient","id":"p1",
  "name":[{"family":"O'Keefe","given":["Renée"]}],
  "telecom":[{"system":"phone","value":"555-397-1190"}],
  "address":[{"text":"12 Elm St\nApt 3\nSpringfield","city":"Muñoz Ærø"}],
  "birthDate":"1992-09-20"})";

// A traceback or a SyntaxError prints the source line, and the source holds the
// value as ReIdentifyCode escaped it.
TEST(PseudonymizerLeaksTest, ValuesAsEscapedInCodeAreCaughtInTracebacks) {
  auto p = Learned(kOKeefe);
  std::string code = p->ReIdentifyCode("x = lookup['[[PATIENT_1.family]]']");
  ASSERT_EQ(code, "x = lookup['O\\'Keefe']");
  std::string traceback = "  File \"<action>\", line 1\n    " + code + "\nKeyError: \"O'Keefe\"";
  std::string out = p->Pseudonymise(traceback);
  EXPECT_EQ(out.find("Keefe"), std::string::npos) << out;
  std::string lines = p->ReIdentifyCode("a = '[[PATIENT_1.address]]'");
  out = p->Pseudonymise("    " + lines);
  EXPECT_EQ(out.find("Elm"), std::string::npos) << out;
  EXPECT_EQ(out.find("Springfield"), std::string::npos) << out;
}

// str.upper() / str.lower() of names with accents.
TEST(PseudonymizerLeaksTest, AccentedNamesAreCaughtInOtherCase) {
  auto p = Learned(kOKeefe);
  for (const std::string text : {"RENÉE", "renée", "MUÑOZ ÆRØ", "muñoz ærø", "REN\\u00c9E"}) {
    std::string out = p->Pseudonymise(text);
    EXPECT_EQ(out.find_first_not_of("[]PATIENT_1.givencyt"), std::string::npos)
        << text << " -> " << out;
  }
}

// json.dumps(ensure_ascii) and repr(bytes) of accented names; HTML narrative.
TEST(PseudonymizerLeaksTest, EscapedSpellingsAreCaught) {
  auto p = Learned(kOKeefe);
  for (const std::string text :
       {"b'Ren\\xc3\\xa9e'", "<div>O&#39;Keefe</div>", "<div>O&#x27;Keefe</div>", "O&apos;Keefe",
        "\"12 Elm St\\nApt 3\\nSpringfield\"", "O\\u0027Keefe"}) {
    std::string out = p->Pseudonymise(text);
    EXPECT_EQ(out.find("Keefe"), std::string::npos) << text << " -> " << out;
    EXPECT_EQ(out.find("Ren"), std::string::npos) << text << " -> " << out;
    EXPECT_EQ(out.find("Elm"), std::string::npos) << text << " -> " << out;
  }
}

// strftime("%d/%m/%Y"), "%d-%m-%Y", "%d-%b-%Y", "%Y.%m.%d"; E.164 phones.
TEST(PseudonymizerLeaksTest, DayFirstDatesAndE164PhonesAreCaught) {
  auto p = Learned(kOKeefe);
  for (const std::string text : {"20/09/1992", "20-09-1992", "20-Sep-1992", "1992.09.20",
                                 "+15553971190", "15553971190", "+1 555 397 1190"}) {
    std::string out = p->Pseudonymise(text);
    EXPECT_EQ(out.find_first_of("0123456789", out.find("]]")), std::string::npos)
        << text << " -> " << out;
    EXPECT_NE(out.find("[[PATIENT_1."), std::string::npos) << text << " -> " << out;
  }
  // Dates of that shape never learned are found by their shape too.
  auto fresh = Learned("{}");
  for (const std::string text : {"31/12/2019", "31-12-2019", "03-Feb-2019", "2019.02.03"}) {
    EXPECT_EQ(fresh->Pseudonymise(text).find("2019"), std::string::npos) << text;
  }
}

// Synthea-style numbered names printed cleaned; an address given only as text,
// printed one line at a time or joined with commas; a self link that
// percent-encodes the identifier search (system%7Cvalue).
TEST(PseudonymizerLeaksTest, CleanedNamesAddressLinesAndEncodedSearchLinks) {
  auto p = Learned(R"({"resourceType":"Patient","id":"6d23a95e-7e18-4201-90ec-9501fa89fbd2",
    "name":[{"family":"Wyman904","given":["Alfreda123"]}],
    "identifier":[{"type":{"coding":[{"code":"MR"}]},"value":"3287b938-4670-47eb-91e5-e0ce3df71405"}],
    "address":[{"text":"924 Osinski Meadow\nApt 7\nWilmington MA"}]})");
  std::string out = p->Pseudonymise(
      "Alfreda Wyman | Wyman, Alfreda | 924 Osinski Meadow, Apt 7, Wilmington MA | "
      "Patient?identifier=http%3A%2F%2Fhospital.org%7C3287b938-4670-47eb-91e5-e0ce3df71405 "
      "subject=Patient%2F6d23a95e-7e18-4201-90ec-9501fa89fbd2");
  for (const char* leak : {"Alfreda", "Wyman", "Osinski", "Wilmington", "3287b938", "6d23a95e"})
    EXPECT_EQ(out.find(leak), std::string::npos) << leak << " in " << out;
}

// ascii() of accented names, astral characters included; short and dashless
// UUIDs (id[:8], uuid.hex, a pandas cell cut at 50 characters); a phone with an
// extension printed in another format.
TEST(PseudonymizerLeaksTest, AsciiReprsShortIdsAndPhoneExtensions) {
  auto p = Learned(R"({"resourceType":"Patient","id":"6d23a95e-7e18-4201-90ec-9501fa89fbd2",
    "name":[{"family":"Zoë𝔸","given":["Łukasz"]}],
    "telecom":[{"system":"phone","value":"555-397-1190 ext. 42"}]})");
  std::string out = p->Pseudonymise(
      "'Zo\\xeb\\U0001d538' '\\u0141ukasz' 6d23a95e 6d23a95e7e18420190ec9501fa89fbd2 "
      "http://localhost:8080/fhir/Patient/6d23a95e-7e1... (555) 397-1190 5553971190");
  for (const char* leak : {"Zo", "ukasz", "6d23", "397", "5553971190"})
    EXPECT_EQ(out.find(leak), std::string::npos) << leak << " in " << out;
}

// A Patient never read, referenced from an Observation by urn:uuid with
// Reference.type, or logically by its MRN (Reference.identifier).
TEST(PseudonymizerLeaksTest, TypedAndLogicalReferencesTeachThePatient) {
  auto p = Learned(R"({"resourceType":"Bundle","entry":[
    {"resource":{"resourceType":"Observation","subject":{"type":"Patient",
      "reference":"urn:uuid:6d23a95e-7e18-4201-90ec-9501fa89fbd2","display":"Alfreda Wyman"}}},
    {"resource":{"resourceType":"Observation","subject":{"type":"Patient",
      "identifier":{"type":{"coding":[{"code":"MR"}]},"value":"MRN-0042917"}}}}]})");
  std::string out = p->Pseudonymise(
      "subject urn:uuid:6d23a95e-7e18-4201-90ec-9501fa89fbd2 Alfreda Wyman, MRN-0042917");
  for (const char* leak : {"6d23a95e", "Alfreda", "0042917"})
    EXPECT_EQ(out.find(leak), std::string::npos) << leak << " in " << out;
  EXPECT_NE(out.find("[[PATIENT_1]]"), std::string::npos) << out;
}

// A contact sorts before the name in a Patient: the patient's own name still
// gets the first name tokens. A ZIP+4 printed as its five-digit ZIP.
TEST(PseudonymizerLeaksTest, OwnNameTokensFirstAndFiveDigitZip) {
  auto p = Learned(R"({"resourceType":"Patient","id":"p1",
    "contact":[{"name":{"family":"Smithers","given":["Waylon"]}}],
    "name":[{"family":"van der Berg","given":["Anne-Marie"]}],
    "address":[{"city":"Springfield","postalCode":"01103-2211"}]})");
  EXPECT_EQ(p->Pseudonymise("VAN DER BERG / Smithers"),
            "[[PATIENT_1.family]] / [[PATIENT_1.family2]]");
  EXPECT_EQ(p->Pseudonymise("Springfield 01103"), "[[PATIENT_1.city]] [[PATIENT_1.postalCode]]");
}

// A Patient that comes back as JSON text inside a result (an SQL json column,
// a text/plain body) passed the gate as much as a parsed one.
TEST(PseudonymizerLeaksTest, ResourcesHeldAsJsonTextAreLearned) {
  auto p = Learned(
      R"({"rows":[{"resource":"{\"resourceType\":\"Patient\",\"id\":\"p1\",\"name\":[{\"family\":\"Wyman\"}]}"}]})");
  EXPECT_EQ(p->Pseudonymise("Wyman"), "[[PATIENT_1.family]]");
}

// A full name marked whole in the task; the code splits it to search, and the
// search link or an error echoes each part.
TEST(PseudonymizerLeaksTest, PartsOfAFullNameMarkedInTheTaskAreNames) {
  auto p = Learned("{}");
  EXPECT_EQ(p->PseudonymiseTask("Find [[Alfreda Wyman]]"), "Find [[NAME_1]]");
  std::string out = p->Pseudonymise("Patient?given=Alfreda&family=WYMAN: no match");
  EXPECT_EQ(out, "Patient?given=[[NAME_2]]&family=[[NAME_3]]: no match");
  EXPECT_EQ(p->ReIdentify("[[NAME_3]], [[NAME_2]]"), "Wyman, Alfreda");
}

// A crafted value re-identified into an f-string must not become an expression.
TEST(PseudonymizerLeaksTest, BracesInAValueStayTextInsideAnFString) {
  auto p = Learned(R"({"resourceType":"Patient","id":"p1",
    "name":[{"family":"{__import__(chr(111)+chr(115)).system(chr(105)+chr(100))}"}]})");
  std::string code = p->ReIdentifyCode("print(f'Patient [[PATIENT_1.family]] ok')");
  EXPECT_EQ(code.find('{'), std::string::npos) << code;
  EXPECT_EQ(code.find('}'), std::string::npos) << code;
  EXPECT_NE(code.find("\\x7b__import__"), std::string::npos) << code;
  // The escaped form, echoed back in a traceback, is still a token.
  EXPECT_EQ(p->Pseudonymise(code).find("__import__"), std::string::npos);
}

}  // namespace
}  // namespace ward
