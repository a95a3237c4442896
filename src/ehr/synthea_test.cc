// The Synthea data: each bundle loads as a transaction, and a table of searches
// over it with expected ids. Expected results were worked out from the R4 search
// rules against the bundle contents (patients by name, gender and birth date;
// HbA1c observations by date and value) and checked by hand.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "ehr/ehr_test_util.h"

namespace ward::ehr {
namespace {

using nlohmann::json;
using testing::TestEhr;

// Patient ids are the uuids of the bundles' urn:uuid fullUrls.
const std::string kAlfreda = "6d23a95e-7e18-4201-90ec-9501fa89fbd2";  // F 1980-10-28 Wyman/Deckow
const std::string kCameron = "c4cbfddf-6f87-4acd-a34b-670178c3e535";  // M 1992-10-13 Greenfelder
const std::string kFloyd = "6f8ccac9-41a3-42a2-a97b-06bfc0a91c26";    // M 1979-12-19 Connelly
const std::string kHunter = "2dd6fdd7-8270-4f4c-ac1c-b7f81aec6178";   // M 1995-07-29 Herman
const std::string kLupe = "31052ccc-7804-4268-b953-741322eed47e";     // M 1982-04-07 Little
const std::string kMarcos = "963dabe4-84e7-4751-b432-e34bdbdbde05";   // M 1992-09-20 Delagarza
const std::string kMatt = "beaf00da-c197-4e72-8b27-7ee1131348f1";     // M 1994-07-02 Mosciski

class SyntheaTest : public ::testing::Test {
 protected:
  // One copy of the loaded data for the suite: these tests only read.
  static void SetUpTestSuite() { ehr_ = TestEhr::WithSynthea().release(); }
  static void TearDownTestSuite() { delete ehr_; }

  static std::vector<std::string> Ids(const json& bundle, const char* mode = "match") {
    std::vector<std::string> ids;
    for (const auto& e : bundle.value("entry", json::array())) {
      if (e["search"]["mode"] == mode) ids.push_back(e["resource"]["id"]);
    }
    return ids;
  }
  static TestEhr* ehr_;
};
TestEhr* SyntheaTest::ehr_ = nullptr;

TEST(SyntheaLoadTest, EachBundleLoadsAsATransaction) {
  TestEhr ehr;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(testing::DataDir() + "/synthea")) {
    files.push_back(e.path().string());
  }
  ASSERT_EQ(files.size(), 9u);
  for (const auto& f : files) {
    std::ifstream in(f);
    json bundle = json::parse(in);
    ASSERT_EQ(bundle["type"], "transaction");
    EhrResponse r = ehr.service().ProcessBundle(bundle, testing::kBase);
    ASSERT_EQ(r.status, 200) << f << ": " << r.body.substr(0, 500);
    json resp = json::parse(r.body);
    EXPECT_EQ(resp["type"], "transaction-response");
    ASSERT_EQ(resp["entry"].size(), bundle["entry"].size()) << f;
    for (const auto& e : resp["entry"]) EXPECT_EQ(e["response"]["status"], "201 Created") << f;
  }
  EXPECT_EQ(ehr.Json("GET", "/Patient?_summary=count")["total"], 7);
  EXPECT_EQ(ehr.Json("GET", "/Observation?_summary=count")["total"], 544);
  // Every urn:uuid reference was resolved.
  json obs = ehr.Json("GET", "/Observation?_count=1000");
  for (const auto& e : obs["entry"]) {
    EXPECT_EQ(e["resource"]["subject"]["reference"].get<std::string>().rfind("Patient/", 0), 0u);
  }
}

struct Query {
  std::string query;
  std::vector<std::string> ids;  // expected matches, any order
};

TEST_F(SyntheaTest, SearchTable) {
  const std::string hba1c = "Observation?code=http://loinc.org|4548-4";
  const std::vector<Query> table = {
      // token: code, system|code, |code, system|, :not, comma = OR
      {"Patient?gender=female", {kAlfreda}},
      {"Patient?gender=male,female", {kAlfreda, kCameron, kFloyd, kHunter, kLupe, kMarcos, kMatt}},
      {"Patient?gender:not=male", {kAlfreda}},
      {"Patient?identifier=http://hospital.smarthealthit.org|3287b938-4670-47eb-91e5-e0ce3df71405",
       {kAlfreda}},
      {"Patient?identifier=999-98-7415", {kAlfreda}},
      {"Patient?identifier=|999-98-7415", {}},
      {"Patient?identifier=http://hl7.org/fhir/sid/us-ssn|",
       {kAlfreda, kCameron, kFloyd, kHunter, kLupe, kMarcos, kMatt}},
      {"Patient?_id=" + kMatt + "," + kLupe, {kMatt, kLupe}},
      // string: prefix, case and accents, :exact, :contains, all name parts
      {"Patient?family=wy", {kAlfreda}},
      {"Patient?family=DECKOW", {kAlfreda}},
      {"Patient?family=D%C3%A9lagarza", {kMarcos}},
      {"Patient?family:exact=Wyman", {kAlfreda}},
      {"Patient?family:exact=wyman", {}},
      {"Patient?name:contains=agar", {kMarcos}},
      {"Patient?given=matt", {kMatt}},
      {"Patient?name=hunter", {kHunter}},
      {"Patient?name=yman", {}},
      // date: partial dates are ranges; every prefix
      {"Patient?birthdate=1992", {kCameron, kMarcos}},
      {"Patient?birthdate=1992-10", {kCameron}},
      {"Patient?birthdate=eq1980-10-28", {kAlfreda}},
      {"Patient?birthdate=ne1992-10-13", {kAlfreda, kFloyd, kHunter, kLupe, kMarcos, kMatt}},
      {"Patient?birthdate=lt1980", {kFloyd}},
      {"Patient?birthdate=le1980-10-28", {kFloyd, kAlfreda}},
      {"Patient?birthdate=gt1994-07-02", {kHunter}},
      {"Patient?birthdate=ge1994-07-02", {kHunter, kMatt}},
      {"Patient?birthdate=sa1994", {kHunter}},
      {"Patient?birthdate=eb1980", {kFloyd}},
      // ap widens by 10% of the gap to "now" (the test clock: 2023-11-14): ~3.1 years.
      {"Patient?birthdate=ap1992-10-10", {kCameron, kMarcos, kMatt, kHunter}},
      {"Patient?birthdate=ap1985-01-01", {kLupe}},
      // repeated parameter = AND
      {"Patient?birthdate=ge1990&birthdate=lt1993", {kCameron, kMarcos}},
      {"Patient?gender=male&family=c", {kFloyd}},
      // reference: id, Type/id, absolute URL, :Type
      {"AllergyIntolerance?patient=" + kMarcos + "&_summary=count", {}},
      {"MedicationRequest?patient=Patient/" + kAlfreda,
       {"f3a4fea5-5cb1-46a8-bc8e-cdabc83d4c5a", "c986e594-895a-4084-8f7c-04026d0112d2"}},
      {"MedicationRequest?subject:Patient=" + kAlfreda + "&status=active",
       {"f3a4fea5-5cb1-46a8-bc8e-cdabc83d4c5a"}},
      {"MedicationRequest?subject=http://elsewhere.example/fhir/Patient/" + kAlfreda +
           "&status=stopped",
       {"c986e594-895a-4084-8f7c-04026d0112d2"}},
      {"MedicationRequest?patient=Practitioner/" + kAlfreda, {}},
      {"MedicationRequest?code=316049&intent=order",
       {"f3a4fea5-5cb1-46a8-bc8e-cdabc83d4c5a", "303e1d1e-4412-45c2-b4f3-eea6c6bfc3de"}},
      {"MedicationRequest?authoredon=1993-03-20",
       {"de22187d-5392-495a-92fb-57737b0fe9c3", "aca31e30-5280-4bd1-bfb9-2fd72f01e077"}},
      // quantity with prefixes and precision
      {hba1c + "&value-quantity=lt5.5", {"a6c04cf6-c117-465e-b8f0-a7010375581b"}},
      {hba1c + "&value-quantity=5.04|http://unitsofmeasure.org|%25",
       {"a6c04cf6-c117-465e-b8f0-a7010375581b"}},
      {hba1c + "&value-quantity=5.04||mg", {}},
      {hba1c + "&value-quantity=gt6.37",
       {"b3c10bd0", "6b4beebf"}},  // prefixes of the ids, see below
      // dates on observations; eq on a dateTime needs the day to contain it
      {hba1c + "&date=ge2020",
       {"67741b19-c462-4860-85ca-64cd183ce5ab", "18402d10-a1b2-45f7-b086-792566df25a9",
        "5a71d2b8-6c76-43ff-9adb-79a49defb2da", "f1a0bfda-11c7-4b9a-a175-cc3027c70527"}},
      {hba1c + "&date=2021-01-10&patient=" + kMarcos, {"f1a0bfda-11c7-4b9a-a175-cc3027c70527"}},
      {"Immunization?date=2019-04",
       {"19a968c4-3805-4003-b1be-979ec0930033", "b01a0eb3-b1d6-4572-a174-2cf43e4336be"}},
      {"Condition?onset-date=2019",
       {"32a24da5-569d-4638-abcb-0060221cd83a", "7a039fb1-18c9-4262-bd91-ff7a9bd70e2b",
        "a21037e5-8ffe-45f8-8bc6-95d887d3dceb"}},
      {"Procedure?date=2019-03-23&code=117015009", {"d41dd95c-bbb3-42c2-aec1-33e80c96e9fe"}},
      {"Procedure?date=sa2021-01-01", {"bce6b63a-b5f0-4cc9-8017-3c88baf0f55f"}},
  };
  for (const auto& q : table) {
    EhrResponse r = ehr_->Call("GET", "/" + q.query);
    ASSERT_EQ(r.status, 200) << q.query << " " << r.body;
    json b = json::parse(r.body);
    std::vector<std::string> got = Ids(b);
    std::multiset<std::string> want(q.ids.begin(), q.ids.end());
    if (q.query.find("gt6.37") != std::string::npos) {  // match on id prefixes
      ASSERT_EQ(got.size(), 2u) << q.query;
      for (auto& id : got) id = id.substr(0, 8);
    }
    if (q.query.find("_summary=count") != std::string::npos) {
      EXPECT_EQ(b["total"], 7) << q.query;
      EXPECT_FALSE(b.contains("entry")) << q.query;
      continue;
    }
    EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()), want) << q.query;
    EXPECT_EQ(b["total"], q.ids.size()) << q.query;
  }
}

TEST_F(SyntheaTest, CountsByTokenOverWholeTypes) {
  EXPECT_EQ(ehr_->Json("GET", "/Observation?code=4548-4")["total"], 22);
  EXPECT_EQ(ehr_->Json("GET", "/Observation?category=vital-signs")["total"], 160);
  EXPECT_EQ(ehr_->Json("GET", "/Condition?clinical-status=active")["total"], 20);
  EXPECT_EQ(ehr_->Json("GET", "/Encounter?class=EMER")["total"], 3);
  EXPECT_EQ(ehr_->Json("GET", "/DiagnosticReport?code=51990-0")["total"], 17);
  EXPECT_EQ(ehr_->Json("GET", "/Observation?code:missing=false")["total"], 544);
  EXPECT_EQ(ehr_->Json("GET", "/Observation?value-quantity:missing=true&code=4548-4")["total"], 0);
}

TEST_F(SyntheaTest, SortOnSeveralKeys) {
  json b = ehr_->Json("GET", "/Patient?_sort=gender,-birthdate");
  EXPECT_EQ(Ids(b),
            (std::vector<std::string>{kAlfreda, kHunter, kMatt, kCameron, kMarcos, kLupe, kFloyd}));
  b = ehr_->Json("GET", "/Observation?code=4548-4&_sort=-date&_count=3");
  EXPECT_EQ(Ids(b), (std::vector<std::string>{"f1a0bfda-11c7-4b9a-a175-cc3027c70527",
                                              "5a71d2b8-6c76-43ff-9adb-79a49defb2da",
                                              "18402d10-a1b2-45f7-b086-792566df25a9"}));
  b = ehr_->Json("GET", "/Patient?_sort=family&_count=2");
  // Alfreda's second name is Deckow: ascending sorts on the smallest value.
  EXPECT_EQ(Ids(b), (std::vector<std::string>{kFloyd, kAlfreda}));  // Connelly, Deckow
}

TEST_F(SyntheaTest, IncludeTheReferencedPatient) {
  json b = ehr_->Json(
      "GET", "/Observation?code=4548-4&patient=" + kFloyd + "&_include=Observation:patient");
  EXPECT_EQ(Ids(b).size(), 4u);
  EXPECT_EQ(Ids(b, "include"), std::vector<std::string>{kFloyd});
  EXPECT_EQ(ehr_->Call("GET", "/Observation?_include=Observation:code").status, 400);
}

TEST_F(SyntheaTest, SummaryCountAndTotal) {
  json b = ehr_->Json("GET", "/Observation?code=4548-4&_summary=count");
  EXPECT_EQ(b["total"], 22);
  EXPECT_FALSE(b.contains("entry"));
  b = ehr_->Json("GET", "/Observation?code=4548-4&_total=none&_count=5");
  EXPECT_FALSE(b.contains("total"));
  EXPECT_EQ(b["entry"].size(), 5u);
}

TEST_F(SyntheaTest, PostSearchEqualsGetSearch) {
  EhrResponse r = ehr_->Call("POST", "/Patient/_search", "gender=male&birthdate=1992",
                             {{"content-type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(r.status, 200);
  std::vector<std::string> ids = Ids(json::parse(r.body));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()),
            (std::set<std::string>{kCameron, kMarcos}));
}

TEST(PagingTest, StablePagesWithSelfAndNextLinks) {
  auto owned = TestEhr::WithSynthea();  // this test writes: its own copy
  TestEhr& ehr = *owned;
  std::string url = "/Observation?code=4548-4&_count=10";
  std::vector<std::string> seen;
  json first = ehr.Json("GET", url);
  EXPECT_EQ(first["link"][0]["relation"], "self");
  EXPECT_NE(first["link"][0]["url"].get<std::string>().find("code=4548-4"), std::string::npos);
  // A new matching observation after the first page does not shift later pages.
  json obs = {{"resourceType", "Observation"},
              {"status", "final"},
              {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", "4548-4"}}}}}}};
  ASSERT_EQ(ehr.Call("POST", "/Observation", obs.dump()).status, 201);
  json page = first;
  int pages = 0;
  while (true) {
    ++pages;
    for (const auto& e : page["entry"]) seen.push_back(e["resource"]["id"]);
    EXPECT_EQ(page["total"], 22);
    std::string next;
    for (const auto& l : page["link"]) {
      if (l["relation"] == "next") next = l["url"];
    }
    if (next.empty()) break;
    ASSERT_EQ(next.rfind(testing::kBase, 0), 0u);
    page = ehr.Json("GET", next.substr(std::string(testing::kBase).size()));
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 22u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 22u);
  EXPECT_EQ(ehr.Json("GET", url)["total"], 23);
}

}  // namespace
}  // namespace ward::ehr
