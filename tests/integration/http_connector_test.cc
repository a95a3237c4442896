// The `http` connector end to end: the real ward binary, a ward.toml with a
// `[connectors.vendor]` http table pointing at a fake vendor API on loopback
// (started by the test), and a scripted model calling vendor.post(...). The
// policy decides on the connector and route, the calls are audited and
// journaled, and `ward rollback` sends the declared undo (a DELETE of the
// Location) — or reports a route without one as irreversible.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "connectors/http/fake_vendor_api.h"
#include "store/store.h"
#include "ward_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

class HttpConnectorEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() /
            ("ward_http_e2e_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(home_);
    std::filesystem::create_directories(home_);
    env_ = {{"HOME", home_.string()}, {"WARD_HOME", home_.string()}};
    std::ofstream(home_ / "ward.toml")
        << "[connectors.vendor]\ntype = \"http\"\nbase_url = \"" << api_.Url("/v1") << "\"\n\n"
        << "[[connectors.vendor.routes]]\nmethods = [\"GET\", \"POST\"]\n"
           "path = \"/appointments\"\nundo.POST = \"DELETE {location}\"\n\n"
           "[[connectors.vendor.routes]]\nmethods = [\"GET\", \"DELETE\"]\n"
           "path = \"/appointments/{id}\"\n\n"
           "[[connectors.vendor.routes]]\nmethods = [\"POST\"]\npath = \"/notes\"\n\n"
           "[[policy.rule]]\nname = \"vendor-calls\"\nconnector = \"vendor\"\n"
           "decision = \"allow\"\n";
  }
  void TearDown() override {
    stall_.Release();
    std::filesystem::remove_all(home_);
  }

  // Adds `lines` to the [connectors.vendor] table of ward.toml.
  void AddVendorSettings(const std::string& lines) {
    std::string toml;
    {
      std::ifstream in(home_ / "ward.toml");
      toml.assign(std::istreambuf_iterator<char>(in), {});
    }
    toml.insert(toml.find("\n\n") + 1, lines);
    std::ofstream(home_ / "ward.toml") << toml;
  }

  std::string Transcript(const std::vector<std::string>& codes) {
    std::string path = (home_ / "transcript.jsonl").string();
    std::ofstream out(path);
    for (const auto& code : codes)
      out << json{{"content", "```python\n" + code + "\n```"}}.dump() << "\n";
    return path;
  }
  std::vector<json> AuditEntries(const std::string& kind) {
    auto store = OpenSqliteStore((home_ / "ward.db").string());
    std::vector<json> out;
    if (!store.ok()) return out;
    auto entries = (*store)->ListAudit(0, 0);
    if (entries.ok())
      for (const auto& e : *entries)
        if (e.kind == kind) out.push_back(json::parse(e.body));
    return out;
  }
  std::string LastSession() {
    auto sessions = json::parse(RunWard({"sessions", "list", "--json"}, env_).out, nullptr, false);
    return sessions.is_array() && !sessions.empty() ? sessions[0].value("id", "") : "";
  }

  RequestStall stall_;  // outlives api_, whose handlers may wait on it
  FakeVendorApi api_;
  std::filesystem::path home_;
  std::map<std::string, std::string> env_;
};

TEST_F(HttpConnectorEndToEnd, AGuestPostIsDecidedAuditedJournaledAndRolledBack) {
  auto r = RunWard(
      {"run", "--model",
       "scripted:" + Transcript({"r = vendor.post('/appointments', json={'time': '09:00'})\n"
                                 "print(r['status'], r['headers'].get('location'))\n"
                                 "finish(r['body']['id'])"}),
       "book"},
      env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "42\n");
  EXPECT_NE(r.err.find("201 /v1/appointments/42"), std::string::npos) << r.err;
  ASSERT_TRUE(api_.Get("42").has_value());
  json call;
  for (const auto& c : AuditEntries("binding_call"))
    if (c["data"].value("binding", "") == "vendor.post") call = c;
  ASSERT_TRUE(call.is_object()) << "no vendor.post in the audit log";
  EXPECT_EQ(call["data"]["rule"], "vendor-calls");
  EXPECT_EQ(call["data"]["http_status"], 201);

  std::string session = LastSession();
  ASSERT_FALSE(session.empty());
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_EQ(undo.exit_code, 0) << undo.err << undo.out;
  EXPECT_FALSE(api_.Get("42").has_value()) << "rollback did not delete the Location";
  auto sent = api_.received();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back().method, "DELETE");
  EXPECT_EQ(sent.back().path, "/v1/appointments/42");
  auto steps = AuditEntries("rollback_step");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]["data"]["connector"], "vendor");
  EXPECT_EQ(steps[0]["data"]["outcome"], "undone");
}

TEST_F(HttpConnectorEndToEnd, RollbackListsARouteWithoutUndoAsIrreversible) {
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"r = vendor.post('/notes', json={'text': 'hi'})\n"
                                              "finish(r['status'])"}),
                    "note"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t before = api_.received_count();
  auto undo = RunWard({"rollback", LastSession()}, env_);
  EXPECT_NE((undo.out + undo.err).find("irreversible"), std::string::npos) << undo.out << undo.err;
  EXPECT_EQ(api_.received_count(), before) << "rollback sent something for an irreversible write";
  auto steps = AuditEntries("rollback_step");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]["data"]["outcome"], "irreversible");
}

// A create whose route declares DELETE {location} but whose answer names no
// Location took effect and cannot be undone: the guest is warned, the audit entry
// and the journal say so, and `ward rollback` lists it as irreversible (sending
// nothing) instead of calling it undone or passing over it.
TEST_F(HttpConnectorEndToEnd, ACreateWithoutALocationIsListedAsIrreversible) {
  std::ofstream(home_ / "ward.toml", std::ios::app)
      << "\n[[connectors.vendor.routes]]\nmethods = [\"POST\"]\npath = \"/tasks\"\n"
         "undo.POST = \"DELETE {location}\"\n\n"
         "[[connectors.vendor.routes]]\nmethods = [\"DELETE\"]\npath = \"/tasks/{id}\"\n";
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"r = vendor.post('/tasks', json={'x': 1})\n"
                                              "finish(r['status'])"}),
                    "task"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "201\n");
  EXPECT_NE(r.err.find("cannot be undone"), std::string::npos) << r.err;
  json call;
  for (const auto& c : AuditEntries("binding_call"))
    if (c["data"].value("binding", "") == "vendor.post") call = c;
  ASSERT_TRUE(call.is_object()) << "no vendor.post in the audit log";
  EXPECT_NE(call["data"].value("irreversible", "").find("Location"), std::string::npos)
      << call.dump();
  std::string session = LastSession();
  {
    auto store = OpenSqliteStore((home_ / "ward.db").string());
    ASSERT_TRUE(store.ok());
    auto journal = (*store)->ListJournal(session, JournalMode::kLive);
    ASSERT_TRUE(journal.ok());
    ASSERT_EQ(journal->size(), 1u);
    EXPECT_EQ((*journal)[0].state, JournalState::kDone);
    EXPECT_EQ((*journal)[0].detail.rfind("irreversible: ", 0), 0u) << (*journal)[0].detail;
  }
  size_t before = api_.received_count();
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_NE(undo.exit_code, 0) << "an irreversible effect was left in place: " << undo.out;
  EXPECT_EQ(undo.out.rfind("irreversible", 0), 0u) << undo.out;
  EXPECT_NE(undo.out.find("Location"), std::string::npos) << undo.out;
  EXPECT_EQ(undo.out.find("undone"), std::string::npos) << undo.out;
  EXPECT_EQ(api_.received_count(), before) << "rollback sent something";
  auto steps = AuditEntries("rollback_step");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]["data"]["outcome"], "irreversible");
}

// An API that stops answering is cut off at call_timeout_seconds: the session
// goes on, the guest gets an HttpApiError saying why, and the write (which
// reached the API) is left at intent, so rollback stops there instead of
// pretending it failed or undoing it.
TEST_F(HttpConnectorEndToEnd, AStalledApiIsCutOffAtTheCallTimeout) {
  AddVendorSettings("call_timeout_seconds = 1\n");
  api_.on_request = [this](const httplib::Request& req) {
    if (req.method == "POST") stall_.Wait();
  };
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"try:\n    vendor.post('/appointments', "
                                              "json={'time': '09:00'})\n"
                                              "except HttpApiError as e:\n"
                                              "    print('cut off:', e)\n"
                                              "finish('done')"}),
                    "stall"},
                   env_);
  stall_.Release();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("cut off:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("call_timeout_seconds"), std::string::npos) << r.err;
  std::string session = LastSession();
  auto store = OpenSqliteStore((home_ / "ward.db").string());
  ASSERT_TRUE(store.ok());
  auto journal = (*store)->ListJournal(session, JournalMode::kLive);
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ((*journal)[0].state, JournalState::kIntent) << (*journal)[0].detail;
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_NE(undo.exit_code, 0);
  EXPECT_EQ(undo.out.rfind("unknown", 0), 0u) << undo.out;
}

// A dry run sends no write (the guest is told so), and applying its changeset
// replays the planned POST as the same call.
TEST_F(HttpConnectorEndToEnd, ADryRunSendsNothingAndItsChangesetApplies) {
  auto r = RunWard({"run", "--dry-run", "--model",
                    "scripted:" + Transcript({"r = vendor.post('/appointments', json={'time': "
                                              "'09:00'}, params={'notify': True})\n"
                                              "finish(r['status'])"}),
                    "plan"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
  EXPECT_NE(r.err.find("was not sent"), std::string::npos) << r.err;
  EXPECT_EQ(api_.received_count(), 0u) << "a dry run sent a write";
  auto apply = RunWard({"changeset", "apply", LastSession()}, env_);
  EXPECT_EQ(apply.exit_code, 0) << apply.err << apply.out;
  EXPECT_NE(apply.out.find("vendor.post /appointments"), std::string::npos) << apply.out;
  ASSERT_TRUE(api_.Get("42").has_value()) << "the changeset's POST did not arrive";
  EXPECT_EQ(api_.Get("42")->at("time"), "09:00");
  EXPECT_EQ(api_.received().back().params.find("notify")->second, "true");
}

// The policy decides on the route pattern (target) and on reversibility: a deny
// on irreversible vendor writes stops the notes POST, not the appointment's.
TEST_F(HttpConnectorEndToEnd, ThePolicySeesTheRouteAndWhetherItCanBeUndone) {
  std::ofstream(home_ / "ward.toml", std::ios::app)
      << "\n[[policy.rule]]\nname = \"no-irreversible\"\nconnector = \"vendor\"\n"
         "reversible = false\ndecision = \"deny\"\n"
         "reason = \"cannot be undone\"\n\n"
         "[[policy.rule]]\nname = \"no-listing\"\ntarget = \"/appointments\"\n"
         "operation = \"read\"\ndecision = \"deny\"\n"
         "reason = \"no listing\"\n";
  auto r = RunWard(
      {"run", "--model",
       "scripted:" +
           Transcript({"try:\n    vendor.post('/notes', json={'text': 'x'})\n"
                       "except PermissionDenied:\n    print('notes denied')\n"
                       "try:\n    vendor.get('/appointments')\n"
                       "except PermissionDenied:\n    print('listing denied')\n"
                       "finish(vendor.post('/appointments', json={'time': '09:00'})['status'])"}),
       "policy"},
      env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "201\n");
  EXPECT_NE(r.err.find("notes denied"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("listing denied"), std::string::npos) << r.err;
  for (const auto& sent : api_.received()) {
    EXPECT_NE(sent.path, "/v1/notes") << "a denied call reached the API";
    EXPECT_FALSE(sent.method == "GET" && sent.path == "/v1/appointments");
  }
}

// An approver is shown the route, the model's path (quoted), the target as it is
// (the route's pre-image) and the body to be sent; once approved the PUT is sent,
// and rollback puts the pre-image back.
TEST_F(HttpConnectorEndToEnd, AnApproverSeesBeforeAndAfterAndRollbackRestoresIt) {
  std::ofstream(home_ / "ward.toml")
      << "[connectors.vendor]\ntype = \"http\"\nbase_url = \"" << api_.Url("/v1") << "\"\n\n"
      << "[[connectors.vendor.routes]]\nmethods = [\"GET\", \"PUT\"]\n"
         "path = \"/appointments/{id}\"\nundo.PUT = { request = \"PUT /appointments/{id}\", "
         "pre_image = \"GET /appointments/{id}\" }\n";
  api_.Put("7", {{"id", "7"}, {"time", "09:00"}});
  WardProcess run({"run", "--model",
                   "scripted:" + Transcript({"r = vendor.put('/appointments/7', json={'id': '7', "
                                             "'time': '10:00'})\nfinish(r['status'])"}),
                   "move"},
                  env_);
  json pending;
  for (int i = 0; i < 200 && !pending.is_object(); ++i) {
    json list = json::parse(RunWard({"approvals", "list", "--json"}, env_).out, nullptr, false);
    if (list.is_array() && !list.empty()) pending = list[0];
    if (!pending.is_object()) usleep(50'000);
  }
  ASSERT_TRUE(pending.is_object()) << run.Wait(10'000).err;
  EXPECT_EQ(pending["summary"],
            "vendor.put /appointments/{id} (path model text \"/appointments/7\")");
  EXPECT_EQ(pending["action"]["before"], json({{"id", "7"}, {"time", "09:00"}}));
  EXPECT_EQ(pending["action"]["after"], json({{"id", "7"}, {"time", "10:00"}}));
  EXPECT_EQ(api_.Get("7")->at("time"), "09:00") << "sent before it was approved";
  auto ok = RunWard({"approve", pending["id"], "--hash", pending["hash"]}, env_);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto r = run.Wait(30'000);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "200\n");
  EXPECT_EQ(api_.Get("7")->at("time"), "10:00");
  auto undo = RunWard({"rollback", LastSession()}, env_);
  EXPECT_EQ(undo.exit_code, 0) << undo.err << undo.out;
  EXPECT_EQ(api_.Get("7")->at("time"), "09:00") << "rollback did not restore the pre-image";
}

// Attacker: the API's token goes to the API and nowhere else — not to the guest,
// the audit log or the journal — and a missing token names only its variable.
TEST_F(HttpConnectorEndToEnd, TheTokenReachesOnlyTheApi) {
  AddVendorSettings("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n");
  std::string code =
      "r = vendor.post('/appointments', json={'time': '09:00'})\n"
      "import json\nprint(json.dumps(r))\nfinish(r['status'])";
  auto missing = RunWard({"run", "--model", "scripted:" + Transcript({code}), "no token"}, env_);
  EXPECT_NE((missing.out + missing.err).find("VENDOR_TOKEN"), std::string::npos) << missing.err;
  EXPECT_EQ(api_.received_count(), 0u);

  env_["VENDOR_TOKEN"] = "tok-3f9a-very-secret";
  auto r = RunWard({"run", "--model", "scripted:" + Transcript({code}), "with token"}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "201\n");
  ASSERT_FALSE(api_.received().empty());
  EXPECT_EQ(api_.received().back().Header("Authorization"), "Bearer tok-3f9a-very-secret");
  EXPECT_EQ((r.out + r.err).find("tok-3f9a"), std::string::npos) << "the guest saw the token";
  for (const char* file : {"ward.db", "ward.db-wal"}) {
    std::ifstream in(home_ / file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(bytes.find("tok-3f9a"), std::string::npos) << "the token is stored in " << file;
  }
}

// Attacker: a model asking for a path no route allows is refused before the
// policy and nothing reaches the API.
TEST_F(HttpConnectorEndToEnd, APathNoRouteAllowsNeverReachesTheApi) {
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"try:\n    vendor.post('/admin/users', json={})\n"
                                              "except PermissionDenied as e:\n"
                                              "    print('refused', e)\n"
                                              "finish('done')"}),
                    "escape"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("refused"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/appointments/{id}"), std::string::npos) << r.err;
  EXPECT_EQ(api_.received_count(), 0u);
}

}  // namespace
}  // namespace ward::testing
