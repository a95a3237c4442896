// `ward serve` rolls back a session's real FHIR writes: a scripted session started
// through the API updates, deletes and creates Patients on the embedded EHR (the
// real `ward ehr serve`, its own process), then POST /sessions/{id}/rollback puts
// back exactly what was there before — checked on the EHR itself, not on ward's
// word. Viewers may not roll back; someone else's later edit stops the rollback.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/store.h"
#include "ward_server_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

class ServerRollbackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    served_ = new ServedHome("server_rollback");
    // Writes are allowed outright: these tests are about undoing them.
    std::ofstream(served_->home() / "ward.toml") << "[[policy.rule]]\nname = \"allow-all\"\n"
                                                    "binding = \"*\"\ndecision = \"allow\"\n";
    RoleTokens tokens = served_->AddOneUserPerRole();
    admin_ = new std::string(tokens.admin);
    approver_ = new std::string(tokens.approver);
    viewer_ = new std::string(tokens.viewer);
    ehr_ = new WardProcess(
        {"ehr", "serve", "--port", "0", "--db", (served_->home() / "ehr.db").string()},
        served_->Env());
    std::string line = ehr_->ReadLine(60'000);
    ASSERT_NE(line.find("http://"), std::string::npos) << "no URL from ward ehr serve: " << line;
    ehr_url_ = new std::string(line.substr(line.find("http://")));
    ASSERT_FALSE(served_->Serve().empty());
  }
  static void TearDownTestSuite() {
    ehr_->Signal(SIGTERM);
    ehr_->Wait(10'000);
    delete ehr_;
    delete served_;
    delete admin_;
    delete approver_;
    delete viewer_;
    delete ehr_url_;
  }

  static ApiReply Call(const std::string& method, const std::string& path,
                       const std::string& token) {
    return served_->Call(method, path, "", token);
  }

  // A request straight to the EHR, bypassing ward.
  static HttpResponse Ehr(const std::string& method, const std::string& path,
                          const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.url = *ehr_url_ + "/" + path;
    req.body = body;
    req.content_type = "application/fhir+json";
    auto res = served_->http()->Send(req);
    EXPECT_TRUE(res.ok()) << method << " " << path << ": " << res.status().ToString();
    return res.ok() ? *res : HttpResponse{};
  }
  static json EhrRead(const std::string& ref) {
    HttpResponse r = Ehr("GET", ref);
    EXPECT_EQ(r.status, 200) << ref << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  static std::string CreateOnEhr(const json& resource) {
    HttpResponse r = Ehr("POST", resource["resourceType"].get<std::string>(), resource.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body, nullptr, false).value("id", "");
  }
  // The resource without what the server manages (its version and time); security
  // labels, tags and the rest of meta are content.
  static json Content(json resource) {
    resource["meta"].erase("versionId");
    resource["meta"].erase("lastUpdated");
    return resource;
  }

  // Starts a scripted session through the API (as the admin), pointed at the EHR,
  // and waits for it to end; returns its id.
  static std::string RunSession(const std::vector<std::string>& codes) {
    static int counter = 0;
    std::string path =
        (served_->home() / ("rollback_" + std::to_string(++counter) + ".jsonl")).string();
    std::ofstream out(path);
    for (const auto& code : codes)
      out << json{{"content", "```python\n" + code + "\n```"}}.dump() << "\n";
    out.close();
    json start = {{"task", "edit patients"},
                  {"model", "scripted:" + path},
                  {"options", {{"fhir_url", *ehr_url_}}}};
    ApiReply r = served_->Call("POST", "/api/v1/sessions", start.dump(), *admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    std::string id = json::parse(r.body, nullptr, false).value("id", "");
    for (int i = 0; i < 600 && !id.empty(); ++i) {
      json s = json::parse(Call("GET", "/api/v1/sessions/" + id, *viewer_).body, nullptr, false);
      if (s.value("status", "") != "running") {
        EXPECT_EQ(s.value("status", ""), "succeeded") << s.dump();
        return id;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "session " << id << " did not end";
    return id;
  }

  static json Writes(const std::string& session) {
    ApiReply r = Call("GET", "/api/v1/sessions/" + session + "/changeset?mode=live", *viewer_);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  static inline ServedHome* served_ = nullptr;
  static inline WardProcess* ehr_ = nullptr;
  static inline std::string *admin_ = nullptr, *approver_ = nullptr, *viewer_ = nullptr;
  static inline std::string* ehr_url_ = nullptr;
};

TEST_F(ServerRollbackTest, RestoresTheExactPriorResourcesOnTheEhr) {
  json restricted = {{"system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"},
                     {"code", "R"}};
  std::string edited = CreateOnEhr({{"resourceType", "Patient"},
                                    {"meta", {{"security", {restricted}}}},
                                    {"name", {{{"family", "Edited"}, {"given", {"Before"}}}}},
                                    {"gender", "male"},
                                    {"birthDate", "1961-04-12"}});
  std::string removed =
      CreateOnEhr({{"resourceType", "Patient"},
                   {"meta", {{"tag", {{{"system", "urn:ward:test"}, {"code", "keep-me"}}}}}},
                   {"name", {{{"family", "Removed"}}}},
                   {"gender", "female"}});
  ASSERT_FALSE(edited.empty());
  ASSERT_FALSE(removed.empty());
  json edited_before = EhrRead("Patient/" + edited);
  json removed_before = EhrRead("Patient/" + removed);

  std::string session =
      RunSession({"p = fhir.read('Patient', '" + edited +
                      "')\np['gender'] = 'other'\np['name'][0]['given'] = ['After']\n"
                      "del p['birthDate']\ndel p['meta']['security']\nfhir.update(p)",
                  "fhir.delete('Patient', '" + removed + "')",
                  "n = fhir.create({'resourceType': 'Patient', 'name': [{'family': 'Created'}]})",
                  "finish(n['id'])"});
  json s = json::parse(Call("GET", "/api/v1/sessions/" + session, *viewer_).body);
  std::string created = s["answer"];
  ASSERT_FALSE(created.empty());

  // The session's writes landed on the EHR.
  json edited_by_session = EhrRead("Patient/" + edited);
  EXPECT_EQ(edited_by_session["meta"]["versionId"], "2");
  EXPECT_FALSE(edited_by_session["meta"].contains("security"));
  EXPECT_EQ(Ehr("GET", "Patient/" + removed).status, 410);
  EXPECT_EQ(Ehr("GET", "Patient/" + created).status, 200);
  json writes = Writes(session);
  ASSERT_EQ(writes.size(), 3u) << writes.dump();
  EXPECT_EQ(writes[0]["operation"], "update");
  EXPECT_EQ(writes[0]["id"], edited);
  EXPECT_EQ(writes[0]["base_version"], "1");
  EXPECT_EQ(writes[0]["before"]["gender"], "male");
  EXPECT_EQ(writes[0]["after"]["gender"], "other");
  EXPECT_EQ(writes[1]["operation"], "delete");
  EXPECT_EQ(writes[2]["operation"], "create");
  EXPECT_EQ(writes[2]["id"], created);
  for (const auto& w : writes) EXPECT_EQ(w["state"], "done") << w.dump();
  // The default changeset is the dry run's: a live session has none.
  EXPECT_TRUE(json::parse(Call("GET", "/api/v1/sessions/" + session + "/changeset", *viewer_).body)
                  .empty());

  // A viewer may not roll back; nothing changes.
  ApiReply refused = Call("POST", "/api/v1/sessions/" + session + "/rollback", *viewer_);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(Ehr("GET", "Patient/" + created).status, 200);

  // A dry run plans the three undos, newest first, and changes nothing.
  ApiReply dry = Call("POST", "/api/v1/sessions/" + session + "/rollback?dry_run=true", *approver_);
  ASSERT_EQ(dry.status, 200) << dry.body;
  json planned = json::parse(dry.body);
  EXPECT_EQ(planned["dry_run"], true);
  ASSERT_EQ(planned["steps"].size(), 3u) << dry.body;
  for (const auto& step : planned["steps"]) EXPECT_EQ(step["outcome"], "planned") << step.dump();
  EXPECT_EQ(Ehr("GET", "Patient/" + created).status, 200);
  EXPECT_EQ(Ehr("GET", "Patient/" + removed).status, 410);

  ApiReply undo = Call("POST", "/api/v1/sessions/" + session + "/rollback", *approver_);
  ASSERT_EQ(undo.status, 200) << undo.body;
  json report = json::parse(undo.body);
  EXPECT_EQ(report["complete"], true);
  EXPECT_EQ(report["dry_run"], false);
  ASSERT_EQ(report["steps"].size(), 3u) << undo.body;
  const json& steps = report["steps"];
  EXPECT_EQ(steps[0]["resource"], "Patient/" + created);
  EXPECT_EQ(steps[0]["operation"], "create");
  EXPECT_EQ(steps[0]["action"], "delete");
  EXPECT_EQ(steps[1]["resource"], "Patient/" + removed);
  EXPECT_EQ(steps[1]["action"], "restore");
  EXPECT_EQ(steps[1]["version_before"], "1");
  EXPECT_EQ(steps[2]["resource"], "Patient/" + edited);
  EXPECT_EQ(steps[2]["action"], "restore");
  EXPECT_EQ(steps[2]["version_before"], "1");
  EXPECT_EQ(steps[2]["version_left"], "2");
  for (const auto& step : steps) EXPECT_EQ(step["outcome"], "undone") << step.dump();

  // On the EHR: the created Patient is gone, the others hold their exact prior
  // content again, security label and tag included (as a new version: FHIR
  // versions only move forward).
  EXPECT_EQ(Ehr("GET", "Patient/" + created).status, 410);
  json edited_after = EhrRead("Patient/" + edited);
  EXPECT_EQ(Content(edited_after), Content(edited_before)) << edited_after.dump();
  EXPECT_EQ(edited_after["meta"]["security"][0]["code"], "R");  // the label is back
  EXPECT_EQ(edited_after["meta"]["versionId"], "3");
  json removed_after = EhrRead("Patient/" + removed);
  EXPECT_EQ(Content(removed_after), Content(removed_before)) << removed_after.dump();
  EXPECT_EQ(removed_after["meta"]["versionId"], "3");
  for (const auto& w : Writes(session)) EXPECT_EQ(w["state"], "compensated") << w.dump();

  // Nothing is left to undo; the rollback and each step are in the audit log.
  ApiReply again = Call("POST", "/api/v1/sessions/" + session + "/rollback", *admin_);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(json::parse(again.body)["steps"].empty());
  auto store = std::move(OpenSqliteStore((served_->home() / "ward.db").string())).value();
  int rollbacks = 0, undone = 0;
  auto audit = store->ListAudit(0, 0);
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  for (const auto& e : *audit) {
    if (e.session != session) continue;
    json body = json::parse(e.body);
    rollbacks += e.kind == "api_session_rollback" && body["actor"] == "abe" &&
                 body["data"]["dry_run"] == "false";
    undone += e.kind == "rollback_step" && body["data"]["outcome"] == "undone";
  }
  EXPECT_EQ(rollbacks, 1);
  EXPECT_EQ(undone, 3);
}

TEST_F(ServerRollbackTest, SomeoneElsesLaterEditStopsTheRollbackWith409) {
  std::string shared = CreateOnEhr(
      {{"resourceType", "Patient"}, {"name", {{{"family", "Shared"}}}}, {"gender", "male"}});
  std::string session =
      RunSession({"n = fhir.create({'resourceType': 'Patient', 'name': [{'family': 'Mine'}]})\n"
                  "p = fhir.read('Patient', '" +
                      shared + "')\np['gender'] = 'female'\nfhir.update(p)",
                  "finish(n['id'])"});
  std::string created =
      json::parse(Call("GET", "/api/v1/sessions/" + session, *viewer_).body)["answer"];
  // Someone else edits the same Patient afterwards, directly on the EHR.
  json theirs = EhrRead("Patient/" + shared);
  theirs["gender"] = "unknown";
  ASSERT_EQ(Ehr("PUT", "Patient/" + shared, theirs.dump()).status, 200);

  ApiReply undo = Call("POST", "/api/v1/sessions/" + session + "/rollback", *approver_);
  EXPECT_EQ(undo.status, 409) << undo.body;
  json report = json::parse(undo.body);
  EXPECT_EQ(report["complete"], false);
  ASSERT_EQ(report["steps"].size(), 1u) << undo.body;
  EXPECT_EQ(report["steps"][0]["outcome"], "conflict");
  EXPECT_NE(report["steps"][0]["detail"].get<std::string>().find(
                "the session left version 2 but the server now has version 3"),
            std::string::npos)
      << undo.body;
  // Their edit stands, and the earlier create was not undone either.
  EXPECT_EQ(EhrRead("Patient/" + shared)["gender"], "unknown");
  EXPECT_EQ(Ehr("GET", "Patient/" + created).status, 200);
  json writes = Writes(session);
  ASSERT_EQ(writes.size(), 2u);
  for (const auto& w : writes) EXPECT_EQ(w["state"], "done") << w.dump();
}

}  // namespace
}  // namespace ward::testing
