// EhrService interactions: create, read, vread, update, delete, history,
// conditional create, If-Match, Prefer, bundles and errors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "ehr/ehr_test_util.h"

namespace ward::ehr {
namespace {

using nlohmann::json;
using testing::kBase;
using testing::TestEhr;

const char* kPatient = R"({"resourceType":"Patient","name":[{"family":"Test","given":["Ann"]}],
  "identifier":[{"system":"urn:ward:mrn","value":"42"}],"gender":"female"})";

std::string IdFromLocation(const std::string& loc) {
  std::string prefix = std::string(kBase) + "/Patient/";
  EXPECT_EQ(loc.rfind(prefix, 0), 0u) << loc;
  std::string rest = loc.substr(prefix.size());
  return rest.substr(0, rest.find('/'));
}

TEST(CrudTest, CreateReadVersionsAndHeaders) {
  TestEhr ehr;
  EhrResponse created = ehr.Call("POST", "/Patient", kPatient);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("ETag"), "W/\"1\"");
  EXPECT_FALSE(created.Header("Last-Modified").empty());
  std::string id = IdFromLocation(created.Header("Location"));
  EXPECT_NE(created.Header("Location").find("/_history/1"), std::string::npos);
  json body = json::parse(created.body);
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(body["meta"]["versionId"], "1");

  EhrResponse read = ehr.Call("GET", "/Patient/" + id);
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(json::parse(read.body), body);

  body["gender"] = "other";
  EhrResponse updated = ehr.Call("PUT", "/Patient/" + id, body.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Header("ETag"), "W/\"2\"");
  EXPECT_EQ(ehr.Json("GET", "/Patient/" + id + "/_history/1")["gender"], "female");
  json v2 = ehr.Json("GET", "/Patient/" + id + "/_history/2");
  EXPECT_EQ(v2["gender"], "other") << v2;
  EXPECT_EQ(ehr.Call("GET", "/Patient/" + id + "/_history/3").status, 404);
}

TEST(CrudTest, ServerAssignsIdsAndIgnoresBodyIdOnCreate) {
  TestEhr ehr;
  json p = json::parse(kPatient);
  p["id"] = "client-chosen";
  EhrResponse r = ehr.Call("POST", "/Patient", p.dump());
  ASSERT_EQ(r.status, 201);
  EXPECT_NE(IdFromLocation(r.Header("Location")), "client-chosen");
}

TEST(CrudTest, UpdateAsCreateAndIdChecks) {
  TestEhr ehr;
  json p = json::parse(kPatient);
  p["id"] = "mine";
  EhrResponse r = ehr.Call("PUT", "/Patient/mine", p.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("ETag"), "W/\"1\"");
  EXPECT_EQ(ehr.Call("PUT", "/Patient/other", p.dump()).status, 400);
  p.erase("id");
  EXPECT_EQ(ehr.Call("PUT", "/Patient/mine", p.dump()).status, 400);
}

TEST(CrudTest, IfMatchAndStaleVersions) {
  TestEhr ehr;
  json p = json::parse(kPatient);
  p["id"] = "im";
  ASSERT_EQ(ehr.Call("PUT", "/Patient/im", p.dump()).status, 201);
  EXPECT_EQ(ehr.Call("PUT", "/Patient/im", p.dump(), {{"if-match", "W/\"1\""}}).status, 200);
  EhrResponse stale = ehr.Call("PUT", "/Patient/im", p.dump(), {{"if-match", "W/\"1\""}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(json::parse(stale.body)["resourceType"], "OperationOutcome");
  p["meta"] = {{"versionId", "1"}};
  EXPECT_EQ(ehr.Call("PUT", "/Patient/im", p.dump()).status, 409);
  p["meta"]["versionId"] = "2";
  EXPECT_EQ(ehr.Call("PUT", "/Patient/im", p.dump()).status, 200);
  EXPECT_EQ(ehr.Call("DELETE", "/Patient/im", "", {{"if-match", "W/\"1\""}}).status, 412);
}

// If-None-Match: * on an update: create only while the id is free (or deleted).
TEST(CrudTest, IfNoneMatchStarCreatesButNeverOverwrites) {
  TestEhr ehr;
  json p = json::parse(kPatient);
  p["id"] = "inm";
  ASSERT_EQ(ehr.Call("PUT", "/Patient/inm", p.dump(), {{"if-none-match", "*"}}).status, 201);
  EhrResponse taken = ehr.Call("PUT", "/Patient/inm", p.dump(), {{"if-none-match", "*"}});
  EXPECT_EQ(taken.status, 412);
  EXPECT_EQ(json::parse(taken.body)["resourceType"], "OperationOutcome");
  EXPECT_EQ(ehr.Call("GET", "/Patient/inm").Header("ETag"), "W/\"1\"");
  ASSERT_EQ(ehr.Call("DELETE", "/Patient/inm").status, 204);
  EXPECT_EQ(ehr.Call("PUT", "/Patient/inm", p.dump(), {{"if-none-match", "*"}}).status, 201);
  // The same in a transaction entry.
  json bundle = {
      {"resourceType", "Bundle"},
      {"type", "transaction"},
      {"entry",
       {{{"resource", p},
         {"request", {{"method", "PUT"}, {"url", "Patient/inm"}, {"ifNoneMatch", "*"}}}}}}};
  EXPECT_EQ(ehr.Call("POST", "", bundle.dump()).status, 412);
}

TEST(CrudTest, DeleteIsVersionedAndReadGives410) {
  TestEhr ehr;
  std::string id = IdFromLocation(ehr.Call("POST", "/Patient", kPatient).Header("Location"));
  EhrResponse del = ehr.Call("DELETE", "/Patient/" + id);
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(del.Header("ETag"), "W/\"2\"");
  EhrResponse gone = ehr.Call("GET", "/Patient/" + id);
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(json::parse(gone.body)["resourceType"], "OperationOutcome");
  EXPECT_EQ(ehr.Call("GET", "/Patient/" + id + "/_history/1").status, 200);
  EXPECT_EQ(ehr.Call("GET", "/Patient/" + id + "/_history/2").status, 410);
  EXPECT_EQ(ehr.Json("GET", "/Patient?_id=" + id)["total"], 0);
  EXPECT_EQ(ehr.Call("GET", "/Patient/never").status, 404);
  json history = ehr.Json("GET", "/Patient/" + id + "/_history");
  EXPECT_EQ(history["type"], "history");
  EXPECT_EQ(history["total"], 2);
  EXPECT_EQ(history["entry"][0]["request"]["method"], "DELETE");
  EXPECT_FALSE(history["entry"][0].contains("resource"));
  EXPECT_EQ(history["entry"][1]["request"]["method"], "POST");
  EXPECT_EQ(history["entry"][1]["resource"]["meta"]["versionId"], "1");
}

TEST(CrudTest, TypeAndSystemHistory) {
  TestEhr ehr;
  ehr.Call("POST", "/Patient", kPatient);
  ehr.Call("POST", "/Patient", kPatient);
  ehr.Call("POST", "/Organization", R"({"resourceType":"Organization","name":"O"})");
  EXPECT_EQ(ehr.Json("GET", "/Patient/_history")["total"], 2);
  EXPECT_EQ(ehr.Json("GET", "/_history")["total"], 3);
  EXPECT_EQ(ehr.Json("GET", "/_history?_count=1")["entry"].size(), 1u);
}

TEST(CrudTest, ConditionalCreate) {
  TestEhr ehr;
  HeaderList h = {{"if-none-exist", "identifier=urn:ward:mrn|42"}};
  EhrResponse first = ehr.Call("POST", "/Patient", kPatient, h);
  EXPECT_EQ(first.status, 201);
  EhrResponse again = ehr.Call("POST", "/Patient", kPatient, h);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(IdFromLocation(again.Header("Location")), IdFromLocation(first.Header("Location")));
  EXPECT_EQ(ehr.Json("GET", "/Patient?identifier=42")["total"], 1);
  ehr.Call("POST", "/Patient", kPatient);  // a second match, created unconditionally
  EXPECT_EQ(ehr.Call("POST", "/Patient", kPatient, h).status, 412);
  EXPECT_EQ(ehr.Call("POST", "/Patient", kPatient, {{"if-none-exist", "bogus=1"}}).status, 400);
}

TEST(CrudTest, PreferReturn) {
  TestEhr ehr;
  EhrResponse minimal = ehr.Call("POST", "/Patient", kPatient, {{"prefer", "return=minimal"}});
  EXPECT_EQ(minimal.status, 201);
  EXPECT_TRUE(minimal.body.empty());
  EXPECT_FALSE(minimal.Header("Location").empty());
  EhrResponse outcome =
      ehr.Call("POST", "/Patient", kPatient, {{"prefer", "return=OperationOutcome"}});
  EXPECT_EQ(json::parse(outcome.body)["resourceType"], "OperationOutcome");
  EhrResponse rep = ehr.Call("POST", "/Patient", kPatient, {{"prefer", "return=representation"}});
  EXPECT_EQ(json::parse(rep.body)["resourceType"], "Patient");
}

TEST(CrudTest, ErrorsAreOperationOutcomesWithTheRightStatus) {
  TestEhr ehr;
  struct Case {
    const char* method;
    const char* target;
    const char* body;
    int status;
  } cases[] = {
      {"GET", "/Nope/1", "", 404},
      {"GET", "/Patient/missing", "", 404},
      {"PATCH", "/Patient/1", "{}", 405},
      {"POST", "/Patient/1", kPatient, 405},
      {"PUT", "/Patient", kPatient, 405},
      {"POST", "/Patient", "{not json", 400},
      {"POST", "/Patient", R"({"resourceType":"Observation"})", 400},
      {"POST", "/Patient", R"({"resourceType":"Patient","gender":"f"})", 422},
      {"GET", "/Patient?unknown=1", "", 400},
      {"GET", "/Patient?birthdate=notadate", "", 400},
      {"GET", "/Patient?_format=xml", "", 406},
      {"GET", "/Patient?_getpages=expired", "", 410},
      {"POST", "", R"({"resourceType":"Bundle","type":"collection"})", 400},
      {"GET", "/Patient/$everything", "", 501},
  };
  for (const auto& c : cases) {
    EhrResponse r = ehr.Call(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    json body = json::parse(r.body, nullptr, false);
    EXPECT_EQ(body.value("resourceType", ""), "OperationOutcome") << c.target;
    EXPECT_FALSE(body["issue"][0].value("diagnostics", "").empty()) << c.target;
  }
  EXPECT_EQ(ehr.Call("GET", "/Patient?unknown=1", "", {{"prefer", "handling=lenient"}}).status,
            200);
  EXPECT_EQ(ehr.Call("GET", "/Patient?_format=json").status, 200);
  EXPECT_EQ(ehr.Call("GET", "/metadata?_format=application/fhir%2Bjson").status, 200);
}

TEST(CrudTest, ValidationNamesThePath) {
  TestEhr ehr;
  EhrResponse r = ehr.Call("POST", "/Observation",
                           R"({"resourceType":"Observation","status":"final","code":"4548-4"})");
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body)["issue"][0]["expression"][0], "Observation.code");
}

TEST(CrudTest, CapabilityStatementListsWhatIsSupported) {
  TestEhr ehr;
  json cs = ehr.Json("GET", "/metadata");
  EXPECT_EQ(cs["resourceType"], "CapabilityStatement");
  EXPECT_EQ(cs["fhirVersion"], "4.0.1");
  const json& rest = cs["rest"][0];
  EXPECT_EQ(rest["resource"].size(), 146u);
  for (const auto& r : rest["resource"]) {
    if (r["type"] != "Observation") continue;
    std::set<std::string> names;
    for (const auto& p : r["searchParam"]) names.insert(p["name"]);
    for (const char* n : {"_id", "_lastUpdated", "patient", "subject", "code", "category", "date",
                          "status", "value-quantity"}) {
      EXPECT_TRUE(names.count(n)) << n;
    }
    EXPECT_EQ(r["conditionalCreate"], true);
    EXPECT_EQ(r["conditionalUpdate"], false);
    EXPECT_EQ(r["versioning"], "versioned-update");
  }
  EXPECT_EQ(ehr.Call("POST", "/metadata", "{}").status, 405);
}

// The statement is true: every search parameter and _include it lists is
// accepted, and what it leaves out is refused.
TEST(CrudTest, CapabilityStatementClaimsHold) {
  TestEhr ehr;
  json cs = ehr.Json("GET", "/metadata");
  const json& rest = cs["rest"][0];
  size_t params = 0, includes = 0;
  for (const auto& r : rest["resource"]) {
    std::string type = r["type"];
    for (const auto& p : r["searchParam"]) {
      std::string q = "/" + type + "?" + p["name"].get<std::string>() + ":missing=true";
      EhrResponse resp = ehr.Call("GET", q);
      EXPECT_EQ(resp.status, 200) << q << ": " << resp.body;
      ++params;
    }
    for (const auto& inc : r.value("searchInclude", json::array())) {
      std::string q = "/" + type + "?_include=" + inc.get<std::string>();
      EXPECT_EQ(ehr.Call("GET", q).status, 200) << q;
      ++includes;
    }
    std::set<std::string> codes;
    for (const auto& i : r["interaction"]) codes.insert(i["code"]);
    EXPECT_FALSE(codes.count("patch")) << type;
  }
  EXPECT_GT(params, 2 * rest["resource"].size());
  EXPECT_GT(includes, 0u);
  // The modifiers the documentation names.
  for (const char* q :
       {"/Patient?family:exact=X", "/Patient?name:contains=x", "/Observation?status:not=final",
        "/Observation?subject:Patient=x", "/Observation?code:missing=false"}) {
    EXPECT_EQ(ehr.Call("GET", q).status, 200) << q;
  }
  std::set<std::string> system;
  for (const auto& i : rest["interaction"]) system.insert(i["code"]);
  EXPECT_EQ(system, (std::set<std::string>{"transaction", "batch", "history-system"}));
  EXPECT_EQ(ehr.Call("GET", "/_history").status, 200);
  // Not listed, so not served.
  EXPECT_EQ(ehr.Call("GET", "/Patient?_revinclude=Observation:patient").status, 400);
  EXPECT_EQ(ehr.Call("PATCH", "/Patient/x", "{}").status, 405);
  EXPECT_EQ(ehr.Call("GET", "/?_type=Patient").status, 405);              // no search-system
  EXPECT_EQ(ehr.Call("PUT", "/Patient?identifier=x", "{}").status, 405);  // conditionalUpdate
  EXPECT_EQ(ehr.Call("DELETE", "/Patient?identifier=x").status, 405);     // conditionalDelete
  EXPECT_EQ(ehr.Call("GET", "/Patient/$everything").status, 501);         // no operations
}

json Entry(const std::string& full_url, const json& resource, const std::string& method,
           const std::string& url) {
  return {{"fullUrl", full_url},
          {"resource", resource},
          {"request", {{"method", method}, {"url", url}}}};
}

TEST(BundleTest, TransactionResolvesUrnUuidsAndAnswersPerEntry) {
  TestEhr ehr;
  std::string pu = "urn:uuid:11111111-2222-4333-8444-555555555555";
  json obs = {{"resourceType", "Observation"},
              {"status", "final"},
              {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", "4548-4"}}}}}},
              {"subject", {{"reference", pu}}}};
  json bundle = {
      {"resourceType", "Bundle"},
      {"type", "transaction"},
      {"entry",
       {Entry("urn:uuid:aaaaaaaa-2222-4333-8444-555555555555", obs, "POST", "Observation"),
        Entry(pu, json::parse(kPatient), "POST", "Patient")}}};
  EhrResponse r = ehr.Call("POST", "", bundle.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json resp = json::parse(r.body);
  EXPECT_EQ(resp["type"], "transaction-response");
  ASSERT_EQ(resp["entry"].size(), 2u);
  EXPECT_EQ(resp["entry"][0]["response"]["status"], "201 Created");
  EXPECT_EQ(resp["entry"][1]["response"]["etag"], "W/\"1\"");
  json stored = ehr.Json("GET", "/Observation/aaaaaaaa-2222-4333-8444-555555555555");
  EXPECT_EQ(stored["subject"]["reference"], "Patient/11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(ehr.Json("GET", "/Observation?patient=11111111-2222-4333-8444-555555555555")["total"],
            1);
}

TEST(BundleTest, TransactionIsAllOrNothing) {
  TestEhr ehr;
  json bad = {{"resourceType", "Patient"}, {"gender", "nonsense"}};
  json bundle = {
      {"resourceType", "Bundle"},
      {"type", "transaction"},
      {"entry",
       {Entry("", json::parse(kPatient), "POST", "Patient"), Entry("", bad, "POST", "Patient")}}};
  EhrResponse r = ehr.Call("POST", "", bundle.dump());
  EXPECT_EQ(r.status, 422);
  json outcome = json::parse(r.body);
  EXPECT_EQ(outcome["resourceType"], "OperationOutcome");
  json exprs = outcome["issue"][0]["expression"];
  EXPECT_NE(std::find(exprs.begin(), exprs.end(), "Bundle.entry[1]"), exprs.end()) << exprs;
  EXPECT_EQ(ehr.Json("GET", "/Patient")["total"], 0);
  EXPECT_EQ(ehr.Json("GET", "/_history")["total"], 0);
}

TEST(BundleTest, BatchEntriesSucceedOrFailAlone) {
  TestEhr ehr;
  json bad = {{"resourceType", "Patient"}, {"gender", "nonsense"}};
  json bundle = {{"resourceType", "Bundle"},
                 {"type", "batch"},
                 {"entry",
                  {Entry("", json::parse(kPatient), "POST", "Patient"),
                   Entry("", bad, "POST", "Patient"),
                   {{"request", {{"method", "GET"}, {"url", "Patient?identifier=42"}}}}}}};
  json resp = ehr.Json("POST", "", bundle.dump());
  EXPECT_EQ(resp["type"], "batch-response");
  EXPECT_EQ(resp["entry"][0]["response"]["status"], "201 Created");
  EXPECT_EQ(resp["entry"][1]["response"]["status"], "422 Unprocessable Entity");
  EXPECT_EQ(resp["entry"][1]["response"]["outcome"]["resourceType"], "OperationOutcome");
  EXPECT_EQ(resp["entry"][2]["resource"]["total"], 1);
}

TEST(BundleTest, TransactionOrderDeleteBeforeCreate) {
  TestEhr ehr;
  json p = json::parse(kPatient);
  p["id"] = "x1";
  ASSERT_EQ(ehr.Call("PUT", "/Patient/x1", p.dump()).status, 201);
  json bundle = {{"resourceType", "Bundle"},
                 {"type", "transaction"},
                 {"entry",
                  {Entry("", json::parse(kPatient), "POST", "Patient"),
                   {{"request", {{"method", "DELETE"}, {"url", "Patient/x1"}}}},
                   {{"request", {{"method", "GET"}, {"url", "Patient/x1"}}}}}}};
  // GET runs last, after the DELETE: the read fails, so the whole transaction does.
  EXPECT_EQ(ehr.Call("POST", "", bundle.dump()).status, 410);
  EXPECT_EQ(ehr.Call("GET", "/Patient/x1").status, 200);
}

}  // namespace
}  // namespace ward::ehr

namespace ward::ehr {
namespace {

TEST(EhrStoreFilesTest, TheDatabaseAndItsSidecarsAreOwnerOnly) {
  auto dir =
      std::filesystem::temp_directory_path() / ("ward_ehr_files_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "ehr.db").string();
  mode_t saved = umask(0);
  auto store = Store::Open({path});
  umask(saved);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE(std::filesystem::exists(path));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    if (stat((path + suffix).c_str(), &st) != 0) continue;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "ehr.db" << suffix;
  }
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ward::ehr
