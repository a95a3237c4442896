// The sql connector through the real ward binary: a statement acts only through
// `NAME.execute`, under the policy's decision on it (a query that tries to write,
// alone or after another statement, fails in the database); and `ward doctor`
// shows a PostgreSQL connector that would run as a privileged role as unusable,
// naming the setting that accepts the risk.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "connectors/sql/testing/pg_test_cluster.h"
#include "store/store.h"
#include "ward_process.h"

namespace ward::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class SqlConnectorCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() /
            ("ward_sql_cli_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(home_);
    fs::create_directories(home_);
    env_ = {{"HOME", home_.string()}, {"WARD_HOME", home_.string()}};
  }
  void TearDown() override { fs::remove_all(home_); }

  void WriteToml(const std::string& text) { std::ofstream(home_ / "ward.toml") << text; }

  std::string Transcript(const std::string& code) {
    std::string path = (home_ / "transcript.jsonl").string();
    std::ofstream(path) << json{{"content", "```python\n" + code + "\n```"}}.dump() << "\n";
    return path;
  }

  // Runs `sql` on the SQLite file `db` directly (as its owner would).
  static int64_t SqliteCount(const std::string& db, const std::string& sql) {
    sqlite3* conn = nullptr;
    sqlite3_open(db.c_str(), &conn);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(conn, sql.c_str(), -1, &st, nullptr);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(conn);
    return n;
  }

  std::vector<json> AuditEntries(const std::string& kind) {
    std::vector<json> out;
    auto store = OpenSqliteStore((home_ / "ward.db").string());
    if (!store.ok()) return out;
    auto entries = (*store)->ListAudit(0, 0);
    if (entries.ok())
      for (const auto& e : *entries)
        if (e.kind == kind) out.push_back(json::parse(e.body, nullptr, false));
    return out;
  }

  // `ward doctor --json`'s entry for connector `name` (null when absent).
  json DoctorEntry(const std::string& name) {
    json report = json::parse(RunWard({"doctor", "--json"}, env_).out, nullptr, false);
    if (report.is_object() && report["connectors"].is_array())
      for (const auto& c : report["connectors"])
        if (c.value("name", "") == name) return c;
    return json();
  }

  fs::path home_;
  std::map<std::string, std::string> env_;
};

TEST_F(SqlConnectorCliTest, AStatementActsOnlyThroughExecuteUnderItsPolicyDecision) {
  const std::string db = (home_ / "report.db").string();
  ASSERT_EQ(SqliteCount(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"), -1);
  ASSERT_EQ(SqliteCount(db, "INSERT INTO notes VALUES (1, 'keep')"), -1);
  WriteToml("[connectors.reporting]\ntype = \"sql\"\ndsn = \"" + db +
            "\"\ntables = [\"notes\"]\n\n"
            "[[policy.rule]]\nname = \"no-statements\"\nconnector = \"reporting\"\n"
            "operation = \"execute\"\ndecision = \"deny\"\nreason = \"statements are not "
            "automated\"\n");
  const std::string code =
      "import json\n"
      "out = []\n"
      "for sql in ['DELETE FROM notes', 'SELECT 1; DELETE FROM notes',\n"
      "            'COMMIT; DELETE FROM notes', 'PRAGMA query_only = 0']:\n"
      "    try:\n"
      "        reporting.query(sql)\n"
      "        out.append('ran')\n"
      "    except SqlError:\n"
      "        out.append('SqlError')\n"
      "try:\n"
      "    reporting.query('DELETE FROM notes')\n"
      "    out.append('ran')\n"
      "except SqlError:\n"
      "    out.append('SqlError')\n"
      "try:\n"
      "    reporting.execute('DELETE FROM notes')\n"
      "    out.append('ran')\n"
      "except PermissionDenied as e:\n"
      "    out.append('PermissionDenied')\n"
      "finish(json.dumps(out))";
  auto r = RunWard({"run", "--model", "scripted:" + Transcript(code), "x"}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      json::parse(r.out, nullptr, false),
      json::array({"SqlError", "SqlError", "SqlError", "SqlError", "SqlError", "PermissionDenied"}))
      << r.out;
  EXPECT_EQ(SqliteCount(db, "SELECT count(*) FROM notes"), 1) << "a row was deleted";
  std::vector<json> calls;
  for (const auto& c : AuditEntries("binding_call"))
    if (c["data"].value("binding", "").rfind("reporting.", 0) == 0) calls.push_back(c["data"]);
  ASSERT_EQ(calls.size(), 6u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(calls[i]["binding"], "reporting.query") << calls[i].dump();
    EXPECT_FALSE(calls[i]["ok"].get<bool>()) << calls[i].dump();
  }
  EXPECT_EQ(calls[5]["binding"], "reporting.execute");
  EXPECT_EQ(calls[5]["decision"], "deny");
  EXPECT_EQ(calls[5]["rule"], "no-statements");
}

TEST_F(SqlConnectorCliTest, DoctorShowsAConnectorThatWouldRunAsAPrivilegedRole) {
  auto cluster = sql::testing::SharedPgTestCluster();
  if (!cluster.ok() && cluster.status().code() == StatusCode::kNotFound)
    GTEST_SKIP() << "*** PostgreSQL NOT TESTED: " << cluster.status().message();
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const std::string name = "doctor" + std::to_string(getpid());
  auto ordinary = (*cluster)->CreateDatabase(name);
  ASSERT_TRUE(ordinary.ok()) << ordinary.status().ToString();
  auto toml = [&](const std::string& dsn, const std::string& extra) {
    return "[connectors.warehouse]\ntype = \"sql\"\ndsn = \"" + dsn + "\"\ntables = [\"*\"]\n" +
           extra;
  };

  WriteToml(toml((*cluster)->SuperuserSocketDsn(name), ""));
  json refused = DoctorEntry("warehouse");
  ASSERT_TRUE(refused.is_object());
  EXPECT_FALSE(refused["ok"].get<bool>());
  const std::string problem = refused["problem"];
  EXPECT_NE(problem.find("is a superuser"), std::string::npos) << problem;
  EXPECT_NE(problem.find("allow_privileged_role = true"), std::string::npos) << problem;
  auto text = RunWard({"doctor"}, env_);
  EXPECT_NE(text.out.find("CANNOT BE USED"), std::string::npos) << text.out;
  EXPECT_NE(text.exit_code, 0);

  WriteToml(toml((*cluster)->SuperuserSocketDsn(name), "allow_privileged_role = true\n"));
  EXPECT_TRUE(DoctorEntry("warehouse")["ok"].get<bool>()) << DoctorEntry("warehouse").dump();
  WriteToml(toml(*ordinary, ""));
  EXPECT_TRUE(DoctorEntry("warehouse")["ok"].get<bool>()) << DoctorEntry("warehouse").dump();
}

}  // namespace
}  // namespace ward::testing
