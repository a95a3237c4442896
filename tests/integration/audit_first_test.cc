// "Nothing happens that the audit log does not already hold", end to end: the real
// ward binary runs a scripted agent whose fhir.create must not reach the embedded
// EHR when the audit log cannot take its entry first — because the audit log
// refuses it, or because another process holds the store's write lock.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ehr_fixture.h"
#include "store/store.h"
#include "ward_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

class AuditFirstTest : public EhrFixture {
 protected:
  void SetUp() override {
    EhrFixture::SetUp();
    std::ofstream(home_ / "ward.toml") << "[[policy.rule]]\nname = \"allow-all\"\n"
                                          "binding = \"*\"\ndecision = \"allow\"\n";
    ASSERT_TRUE(OpenSqliteStore(db()).ok());  // the store exists before the run
  }

  std::string db() const { return (home_ / "ward.db").string(); }

  // A family name no other test uses, so the EHR can be asked whether it was created.
  std::string Family(const std::string& tag) const {
    return "AuditFirst" + tag + std::to_string(getpid());
  }

  // Creates a Patient of `family` (printing "created" or "refused: ..."), then finishes
  // with how many such patients the EHR holds.
  std::vector<std::string> CreateThenCount(const std::string& family, const std::string& before,
                                           const std::string& after) {
    return {before + "try:\n    fhir.create({'resourceType': 'Patient', 'name': [{'family': '" +
                family + "'}]})\n    print('created')\nexcept Exception as e:\n" +
                "    print('refused:', e)\n" + after,
            "finish(len(fhir.search('Patient', family='" + family + "')))"};
  }

  static void Exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err ? err : "");
    sqlite3_free(err);
  }

  // Waits (bounded) for a file the guest writes in its workspace.
  static bool AwaitFile(const std::filesystem::path& path) {
    for (int i = 0; i < 6000 && !std::filesystem::exists(path); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return std::filesystem::exists(path);
  }
};

TEST_F(AuditFirstTest, AWriteTheAuditLogCannotRecordFirstNeverReachesTheEhr) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  Exec(raw,
       "CREATE TRIGGER no_intents BEFORE INSERT ON audit WHEN NEW.kind='binding_intent' "
       "BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
  sqlite3_close(raw);
  std::string family = Family("Refused");
  auto r = RunWard(
      {"run", "--model", "scripted:" + Transcript(CreateThenCount(family, "", "")), "create"},
      env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");  // the EHR never received the create
  EXPECT_NE(r.err.find("refused:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("was not run"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\n    created\n"), std::string::npos) << r.err;  // printed output
  EXPECT_TRUE(AuditEntries("binding_intent").empty());
}

TEST_F(AuditFirstTest, AWriteWhileAnotherProcessHoldsTheStoreIsRefusedAndNeverSent) {
  std::filesystem::path ws = home_ / "ws";
  std::filesystem::create_directories(ws);
  // Under a root ward the guest is an unprivileged host id: the workspace must let it write.
  std::filesystem::permissions(ws, std::filesystem::perms::all);
  std::string family = Family("Locked");
  // The guest waits for the lock to be taken, tries the create, then waits for the
  // lock to be let go before its step ends (so the rest of the session can be stored).
  std::string wait_go =
      "import os, time\nopen('ready', 'w').close()\nwhile not os.path.exists('go'):\n"
      "    time.sleep(0.01)\n";
  std::string wait_released =
      "open('tried', 'w').close()\nwhile not os.path.exists('released'):\n    time.sleep(0.01)\n";
  auto env = env_;
  env["WARD_STORE_BUSY_TIMEOUT_MS"] = "300";
  WardProcess ward(
      {"exec", "--workspace", ws.string(), "--model",
       "scripted:" + Transcript(CreateThenCount(family, wait_go, wait_released)), "create"},
      env);
  // Once the guest runs, the host has stored everything before the call.
  ASSERT_TRUE(AwaitFile(ws / "ready")) << "the guest never started";
  sqlite3* lock = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &lock), SQLITE_OK);
  sqlite3_busy_timeout(lock, 10'000);
  Exec(lock, "BEGIN IMMEDIATE");  // the store's write lock, held by another connection
  std::ofstream(ws / "go").close();
  bool tried = AwaitFile(ws / "tried");
  Exec(lock, "ROLLBACK");
  sqlite3_close(lock);
  std::ofstream(ws / "released").close();
  ASSERT_TRUE(tried) << "the guest never tried the create";
  auto r = ward.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("refused: refused: fhir.create was not run"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"answer\":\"0\""), std::string::npos) << r.out;  // never sent
  EXPECT_TRUE(AuditEntries("binding_intent").empty());
  EXPECT_EQ(RunWard({"audit", "verify"}, env_).exit_code, 0);
}

// The write reaches the EHR but neither its audit outcome nor its journal result can
// be stored (as when another process takes the store's lock at that moment): the code
// is told it happened, the session fails, `audit verify` shows the unfinished effect
// and rollback finds the write on the server and undoes it.
TEST_F(AuditFirstTest, AnEffectWhoseOutcomeIsLostIsReportedSeenAndRolledBack) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  Exec(raw,
       "CREATE TRIGGER no_outcomes BEFORE INSERT ON audit WHEN NEW.kind='binding_call' "
       "BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
       "CREATE TRIGGER no_results BEFORE UPDATE ON journal "
       "BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
  // Basic: a type the Synthea data has none of, so the create is easy to find again.
  std::string code = "AuditFirstLost" + std::to_string(getpid());
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"try:\n    fhir.create({'resourceType': 'Basic', "
                                              "'code': {'text': '" +
                                                  code +
                                                  "'}})\nexcept Exception as e:\n"
                                                  "    print('told:', e)",
                                              "finish('went on')"}),
                    "create"},
                   env_);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("told: fhir.create ran and its effect happened"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.find("went on"), std::string::npos) << r.out;
  Exec(raw, "DROP TRIGGER no_outcomes; DROP TRIGGER no_results;");
  sqlite3_close(raw);

  auto verify = RunWard({"audit", "verify"}, env_);
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_NE(verify.out.find("unfinished effect"), std::string::npos) << verify.out;
  auto sessions = json::parse(RunWard({"sessions", "list", "--json"}, env_).out);
  std::string session = sessions[0]["id"];
  EXPECT_EQ(sessions[0]["status"], "failed");
  auto show = RunWard({"sessions", "show", session}, env_);
  EXPECT_NE(show.out.find("UNFINISHED EFFECT: fhir.create"), std::string::npos) << show.out;
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_EQ(undo.exit_code, 0) << undo.err << undo.out;
  EXPECT_NE(undo.out.find("undone"), std::string::npos) << undo.out;
  EXPECT_NE(undo.out.find("delete fhir Basic/"), std::string::npos) << undo.out;
}

}  // namespace
}  // namespace ward::testing
