// End to end in a real browser: `ward run` (another process) works on the embedded
// EHR; the phone-sized web UI of `ward serve` signs in, watches the session's
// output, approves its pending FHIR write, sees it finish, and rolls the write back
// (tests/web/e2e.js). The write is asked about by the real gate (the default policy:
// writes ask); that it was undone is checked on the EHR itself.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/hash.h"
#include "ward_server_process.h"

extern char** environ;

namespace ward::testing {
namespace {

using nlohmann::json;

std::string Transcript(const std::filesystem::path& dir) {
  std::vector<std::string> steps = {
      "print('Reconciling medications for the test patient')\nprint('3 active orders found')",
      "p = fhir.create({'resourceType': 'Patient', 'name': [{'family': 'Approved', "
      "'given': ['Phone']}]})\nprint('created Patient', p['id'])",
      "finish('Created the Patient after approval')"};
  std::string path = (dir / "e2e.jsonl").string();
  std::ofstream out(path);
  for (const auto& code : steps)
    out << json{{"content", "```python\n" + code + "\n```"}}.dump() << "\n";
  return path;
}

pid_t SpawnNode(const std::map<std::string, std::string>& vars) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  for (const auto& [k, v] : vars) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string script = std::string(WARD_TEST_SOURCE_DIR) + "/tests/web/run_e2e.sh";
  char* argv[] = {script.data(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, script.c_str(), nullptr, nullptr, argv, envp.data()) != 0) return -1;
  return pid;
}

TEST(WebE2eTest, PhoneApprovesAFhirWriteSeesTheSessionFinishAndRollsItBack) {
  ServedHome served("web_e2e");
  served.AddUser("ann", "approver", "ann-password-1");
  WardProcess ehr({"ehr", "serve", "--port", "0"}, served.Env());
  std::string ehr_line = ehr.ReadLine(60'000);
  ASSERT_NE(ehr_line.find("http://"), std::string::npos) << ehr_line;
  std::string fhir_url = ehr_line.substr(ehr_line.find("http://"));
  ASSERT_FALSE(served.Serve().empty());

  std::filesystem::path workspace = served.home() / "workspace";
  std::filesystem::create_directories(workspace);
  auto env = served.Env();
  env["WARD_FHIR_URL"] = fhir_url;
  WardProcess run({"exec", "--json", "--model", "scripted:" + Transcript(served.home()),
                   "--workspace", workspace.string(), "--action-timeout", "300", "--actor", "ops",
                   "Reconcile medications and record the patient"},
                  env);
  json started = json::parse(run.ReadLine(60'000));
  std::string session = started["session"];

  // The gate asks a person before the write; wait until it has.
  auto store = std::move(OpenSqliteStore((served.home() / "ward.db").string())).value();
  ApprovalRecord a;
  for (int i = 0; i < 600 && a.id.empty(); ++i) {
    auto pending = store->ListApprovals("pending", 10, SystemClock::Default()->NowMillis());
    for (const auto& p : *pending)
      if (p.session == session) a = p;
    if (a.id.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(a.id.empty()) << "the gate did not ask for approval";

  std::string shot = std::string(WARD_TEST_BUILD_DIR) + "/web-e2e-phone.png";
  std::string rolled_shot = std::string(WARD_TEST_BUILD_DIR) + "/web-e2e-phone-rollback.png";
  std::filesystem::remove(shot);
  std::filesystem::remove(rolled_shot);
  pid_t node = SpawnNode({{"WARD_URL", served.url()},
                          {"WARD_USER", "ann"},
                          {"WARD_PASSWORD", "ann-password-1"},
                          {"WARD_SESSION", session},
                          {"WARD_SCREENSHOT", shot}});
  ASSERT_GT(node, 0);
  int status = 0;
  waitpid(node, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "e2e.js failed";
  ProcessResult result = run.Wait(120'000);
  EXPECT_EQ(result.exit_code, 0) << result.err;

  auto decided = store->GetApproval(a.id);
  EXPECT_EQ(decided->decided_by, "ann");
  EXPECT_EQ(decided->reason, "checked on my phone");
  EXPECT_EQ(store->GetSession(session)->status, "succeeded");
  EXPECT_TRUE(std::filesystem::exists(shot)) << shot;
  EXPECT_TRUE(std::filesystem::exists(rolled_shot)) << rolled_shot;

  // The write happened (version 1 is in the EHR's history) and is undone now.
  auto writes = store->ListJournal(session, JournalMode::kLive);
  ASSERT_TRUE(writes.ok());
  ASSERT_EQ(writes->size(), 1u);
  const JournalEntry& created = (*writes)[0];
  EXPECT_EQ(created.operation, "create");
  EXPECT_EQ(created.state, JournalState::kCompensated);
  std::string patient = fhir_url + "/Patient/" + created.target_id;
  auto http = NewHttpClient();
  HttpRequest read;
  read.url = patient + "/_history/1";
  auto v1 = http->Send(read);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->status, 200) << v1->body;
  EXPECT_NE(v1->body.find("Phone"), std::string::npos) << v1->body;
  read.url = patient;
  auto now = http->Send(read);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->status, 410) << now->body;

  bool login = false, decision = false, rollback = false;
  auto audit = store->ListAudit(0, 0);
  ASSERT_TRUE(audit.ok());
  for (const auto& e : *audit) {
    json body = json::parse(e.body);
    if (body["actor"] != "ann") continue;
    login |= e.kind == "api_login";
    decision |= e.kind == "api_approval_decision" && body["data"]["approval"] == a.id;
    rollback |= e.kind == "api_session_rollback" && e.session == session &&
                body["data"]["via"] == "web" && body["data"]["complete"] == "true";
  }
  EXPECT_TRUE(login);
  EXPECT_TRUE(decision);
  EXPECT_TRUE(rollback);
  ehr.Signal(SIGTERM);
  ehr.Wait(10'000);
}

}  // namespace
}  // namespace ward::testing
