// The sql connector on the seam, on a real SQLite file and a real PostgreSQL
// cluster: what prepare tells the policy and refuses before it, the one journal
// protocol (no journal, no write), the compare-and-set on the row as prepared
// (a change made after the approver saw it is never overwritten), dry runs that
// write nothing but still surface constraint errors, and rollback through its
// compensator — conflicts, settlement and irreversible statements included.
#include "connectors/sql/sql_connector.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "audit/audit_log.h"
#include "connectors/sql/testing/pg_test_cluster.h"
#include "journal/rollback.h"
#include "util/json_limits.h"

namespace ward::sql {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class SqlConnectorTest : public ::testing::TestWithParam<SqlEngine> {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "ward-sqlc-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    SqlConnectorConfig c;
    c.name = "reporting";
    c.tables = {"report", "notes"};
    c.columns["report"] = {"patient", "measure", "value"};
    if (GetParam() == SqlEngine::kPostgres) {
      auto cluster = testing::SharedPgTestCluster();
      if (!cluster.ok() && cluster.status().code() == StatusCode::kNotFound)
        GTEST_SKIP() << "*** PostgreSQL NOT TESTED: " << cluster.status().message();
      ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
      static std::atomic<int> counter{0};
      auto dsn = (*cluster)->CreateDatabase("c" + std::to_string(counter++));
      ASSERT_TRUE(dsn.ok()) << dsn.status().ToString();
      c.dsn = *dsn;
    } else {
      c.dsn = dir_ + "/report.db";
      sqlite3* raw = nullptr;
      ASSERT_EQ(sqlite3_open(c.dsn.c_str(), &raw), SQLITE_OK);
      sqlite3_close(raw);
    }
    config_ = c;
    auto connector = SqlConnector::Open(c, &clock_);
    ASSERT_TRUE(connector.ok()) << connector.status().ToString();
    connector_ = std::move(connector).value();
    for (const char* sql :
         {"CREATE TABLE report (patient TEXT NOT NULL, measure TEXT NOT NULL, value "
          "DOUBLE PRECISION NOT NULL, secret TEXT, PRIMARY KEY (patient, measure))",
          "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)",
          "CREATE TABLE hidden (id INTEGER PRIMARY KEY)"})
      ASSERT_TRUE(connector_->database()->Execute(sql, json::array()).ok());
    store_ = std::move(OpenSqliteStore(dir_ + "/ward.db")).value();
    SessionRecord s{"s1", "task", "scripted:x", "code", "ann", "running", 1, 1};
    ASSERT_TRUE(store_->CreateSession(s).ok());
    audit_ = std::make_unique<AuditLog>(store_.get(), &clock_, "ann");
    scope_ = JournalScope{store_.get(), "s1", false, &clock_};
    for (auto& b : connector_->Bindings(&scope_)) ASSERT_TRUE(registry_.Add(std::move(b)).ok());
  }
  void TearDown() override {
    connector_.reset();
    fs::remove_all(dir_);
  }

  PreparedCall Prepare(const std::string& binding, const json& args) {
    return registry_.Find("reporting." + binding)->prepare(args.dump());
  }
  // Prepares and runs a call, as the gate does once the policy allowed it.
  GuestCallReply Call(const std::string& binding, const json& args) {
    PreparedCall p = Prepare(binding, args);
    if (!p.refusal.ok) return p.refusal;
    return registry_.Find("reporting." + binding)
        ->handler(BindingContext{"s1", 1, &p}, args.dump())
        .reply;
  }
  json Row(const json& key) { return *connector_->database()->ReadRow("report", key); }
  std::vector<JournalEntry> Journal(JournalMode mode = JournalMode::kLive) {
    auto j = store_->ListJournal("s1", mode);
    return j.ok() ? *j : std::vector<JournalEntry>{};
  }
  RollbackReport Rollback() {
    CompensatorLookup lookup = [this](const JournalEntry& e) {
      return connector_->NewCompensator(e);
    };
    auto r = RollbackSession(store_.get(), audit_.get(), lookup, "s1", {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RollbackReport{};
  }

  // Bindings of another connector on the same database, with `config`.
  std::pair<std::unique_ptr<SqlConnector>, BindingRegistry> Reopened(
      const SqlConnectorConfig& config) {
    auto connector = SqlConnector::Open(config, &clock_);
    EXPECT_TRUE(connector.ok()) << connector.status().ToString();
    BindingRegistry registry;
    if (connector.ok())
      for (auto& b : (*connector)->Bindings(&scope_)) EXPECT_TRUE(registry.Add(std::move(b)).ok());
    return {connector.ok() ? std::move(connector).value() : nullptr, std::move(registry)};
  }

  const json kKey = {{"patient", "p1"}, {"measure", "hba1c"}};
  const json kRow = {{"patient", "p1"}, {"measure", "hba1c"}, {"value", 6.2}};
  std::string dir_;
  SqlConnectorConfig config_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<SqlConnector> connector_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> audit_;
  JournalScope scope_;
  BindingRegistry registry_;
};

TEST_P(SqlConnectorTest, PrepareDescribesEachCallAndRefusesWhatTheAllowlistsDoNot) {
  PreparedCall insert = Prepare("insert", {{"table", "report"}, {"row", kRow}});
  ASSERT_TRUE(insert.refusal.ok) << insert.refusal.error_message;
  const ActionDescriptor& d = insert.actions[0].descriptor;
  EXPECT_EQ(d.binding, "reporting.insert");
  EXPECT_EQ(d.connector, "reporting");
  EXPECT_EQ(d.operation, "write");
  EXPECT_EQ(d.resource_type, "report");
  EXPECT_TRUE(d.reversible);
  EXPECT_TRUE(d.patient_unknown) << "a row may name anyone: patient rules must match it";
  EXPECT_EQ(ParseJsonOrDiscarded(insert.actions[0].after), kRow);

  PreparedCall execute = Prepare("execute", {{"sql", "DELETE FROM notes"}});
  ASSERT_TRUE(execute.refusal.ok);
  EXPECT_EQ(execute.actions[0].descriptor.operation, "execute");
  EXPECT_FALSE(execute.actions[0].descriptor.reversible);
  EXPECT_NE(execute.summary.find("model text \"DELETE FROM notes\""), std::string::npos)
      << execute.summary;
  EXPECT_EQ(Prepare("query", {{"sql", "SELECT 1"}}).actions[0].descriptor.operation, "read");

  auto refused = [&](const std::string& binding, const json& args) {
    PreparedCall p = Prepare(binding, args);
    EXPECT_FALSE(p.refusal.ok) << binding << " " << args.dump();
    return p.refusal.error_type + ": " + p.refusal.error_message;
  };
  EXPECT_NE(refused("insert", {{"table", "hidden"}, {"row", {{"id", 1}}}}).find("PermissionDenied"),
            std::string::npos);
  EXPECT_NE(refused("insert",
                    {{"table", "report"},
                     {"row", {{"patient", "p"}, {"measure", "m"}, {"value", 1}, {"secret", "x"}}}})
                .find("column secret of report is not among the columns"),
            std::string::npos);
  EXPECT_NE(refused("insert", {{"table", "report"}, {"row", {{"nope", 1}}}}).find("no column"),
            std::string::npos);
  EXPECT_NE(refused("insert", {{"table", "report"}, {"row", {{"patient", {{"$gt", ""}}}}}})
                .find("values must be"),
            std::string::npos);
  EXPECT_NE(
      refused("update",
              {{"table", "report"}, {"key", {{"patient", "p1"}}}, {"changes", {{"value", 1}}}})
          .find("key must be a dict of the primary key's columns"),
      std::string::npos);
  EXPECT_NE(refused("query", {{"sql", "SELECT 1"}, {"params", "p1"}}).find("params must be a list"),
            std::string::npos);
  EXPECT_NE(refused("update", {{"table", "report"}, {"key", kKey}, {"changes", {{"value", 1}}}})
                .find("no row"),
            std::string::npos);
  // Other spellings of an allowed table would pass the column allowlist and the
  // policy's target: SQLite ignores case, PostgreSQL takes schema and quotes.
  for (const char* table : {"REPORT", "Report", "public.report", "\"report\"", "main.report"})
    EXPECT_NE(
        refused("insert",
                {{"table", table},
                 {"row", {{"patient", "p"}, {"measure", "m"}, {"value", 1}, {"secret", "x"}}}})
            .find("lowercase identifier"),
        std::string::npos)
        << table;
}

TEST_P(SqlConnectorTest, WritesAreJournaledAndQueriesReadThemBack) {
  GuestCallReply inserted = Call("insert", {{"table", "report"}, {"row", kRow}});
  ASSERT_TRUE(inserted.ok) << inserted.error_message;
  GuestCallReply q =
      Call("query", {{"sql", "SELECT value FROM report WHERE patient = $1"}, {"params", {"p1"}}});
  ASSERT_TRUE(q.ok) << q.error_message;
  EXPECT_EQ(ParseJsonOrDiscarded(q.value_json)["rows"][0]["value"], 6.2);
  GuestCallReply write_in_query = Call("query", {{"sql", "DELETE FROM report"}});
  EXPECT_FALSE(write_in_query.ok);
  EXPECT_EQ(write_in_query.error_type, "SqlError");
  EXPECT_FALSE(Row(kKey).is_null()) << "a query deleted a row";

  auto journal = Journal();
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].connector, "reporting");
  EXPECT_EQ(journal[0].operation, "insert");
  EXPECT_EQ(journal[0].target_type, "report");
  EXPECT_EQ(ParseJsonOrDiscarded(journal[0].target_id), kKey);
  EXPECT_EQ(journal[0].state, JournalState::kDone);
  // The database, never the DSN's user or password.
  if (GetParam() == SqlEngine::kPostgres) {
    EXPECT_EQ(journal[0].endpoint.rfind("postgresql://", 0), 0u) << journal[0].endpoint;
    EXPECT_EQ(journal[0].endpoint.find('@'), std::string::npos) << journal[0].endpoint;
    EXPECT_EQ(journal[0].endpoint.find("password"), std::string::npos) << journal[0].endpoint;
  }
}

// No journal, no write: a store that refuses the intent keeps the database as it was.
TEST_P(SqlConnectorTest, AWriteWhoseIntentCannotBeJournaledDoesNotHappen) {
  JournalScope nowhere{nullptr, "s1", false, &clock_};
  BindingRegistry other;
  for (auto& b : connector_->Bindings(&nowhere)) ASSERT_TRUE(other.Add(std::move(b)).ok());
  json args = {{"table", "report"}, {"row", kRow}};
  const Binding* insert = other.Find("reporting.insert");
  PreparedCall p = insert->prepare(args.dump());
  GuestCallReply r = insert->handler(BindingContext{"s1", 1, &p}, args.dump()).reply;
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(Row(kKey).is_null()) << "written without a journal entry";
}

// The approver saw value 6.2; someone sets 7.0 before the approved update runs:
// nothing is written, the code gets SqlConflictError, the call is stale.
TEST_P(SqlConnectorTest, AnUpdateNeverOverwritesAChangeMadeAfterItWasPrepared) {
  ASSERT_TRUE(Call("insert", {{"table", "report"}, {"row", kRow}}).ok);
  json args = {{"table", "report"}, {"key", kKey}, {"changes", {{"value", 5.0}}}};
  const Binding* update = registry_.Find("reporting.update");
  PreparedCall p = update->prepare(args.dump());
  ASSERT_TRUE(p.refusal.ok);
  EXPECT_EQ(ParseJsonOrDiscarded(p.actions[0].before)["value"], 6.2);
  ASSERT_TRUE(connector_->database()->Update("report", kKey, {{"value", 7.0}}).ok());
  BindingOutcome out = update->handler(BindingContext{"s1", 1, &p}, args.dump());
  EXPECT_FALSE(out.reply.ok);
  EXPECT_EQ(out.reply.error_type, "SqlConflictError");
  EXPECT_TRUE(out.stale);
  EXPECT_EQ(Row(kKey)["value"], 7.0) << "the later change was overwritten";
  EXPECT_EQ(Journal().back().state, JournalState::kFailed);
  for (const auto& d : out.reply.warnings) ADD_FAILURE() << d;
}

// Someone else deletes (or makes the same change to) the row while the call waits:
// nothing is written, and the entry is not the session's to undo — rollback must
// not bring back a row another deleted.
TEST_P(SqlConnectorTest, AChangeSomeoneElseAlreadyMadeIsNotTheSessionsToUndo) {
  ASSERT_TRUE(connector_->database()->Insert("report", kRow).ok());
  json args = {{"table", "report"}, {"key", kKey}};
  const Binding* del = registry_.Find("reporting.delete");
  PreparedCall p = del->prepare(args.dump());
  ASSERT_TRUE(p.refusal.ok);
  ASSERT_TRUE(connector_->database()->Delete("report", kKey).ok());  // someone else
  BindingOutcome out = del->handler(BindingContext{"s1", 1, &p}, args.dump());
  EXPECT_TRUE(out.reply.ok) << out.reply.error_message;
  EXPECT_EQ(Journal().back().state, JournalState::kFailed);
  Rollback();
  EXPECT_TRUE(Row(kKey).is_null()) << "rollback brought back a row someone else deleted";
}

TEST_P(SqlConnectorTest, RollbackRestoresEveryRowAndStopsAtAConflict) {
  ASSERT_TRUE(Call("insert", {{"table", "notes"}, {"row", {{"id", 1}, {"text", "keep"}}}}).ok);
  // A fresh session's writes: insert a row, update one, delete one.
  ASSERT_TRUE(
      store_->CreateSession({"s2", "t", "scripted:x", "code", "ann", "running", 1, 1}).ok());
  scope_.session = "s2";
  ASSERT_TRUE(Call("insert", {{"table", "report"}, {"row", kRow}}).ok);
  ASSERT_TRUE(
      Call("update", {{"table", "notes"}, {"key", {{"id", 1}}}, {"changes", {{"text", "new"}}}})
          .ok);
  ASSERT_TRUE(Call("execute", {{"sql", "INSERT INTO notes (id, text) VALUES (2, 'x')"}}).ok);
  ASSERT_TRUE(Call("delete", {{"table", "notes"}, {"key", {{"id", 2}}}}).ok);
  CompensatorLookup lookup = [this](const JournalEntry& e) {
    return connector_->NewCompensator(e);
  };
  auto r = RollbackSession(store_.get(), audit_.get(), lookup, "s2", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->steps.size(), 4u);
  EXPECT_EQ(r->steps[0].outcome, "undone");        // the delete of note 2: restored
  EXPECT_EQ(r->steps[1].outcome, "irreversible");  // the execute: listed, not pretended
  EXPECT_EQ(r->steps[2].outcome, "undone");        // the update of note 1
  EXPECT_EQ(r->steps[3].outcome, "undone");        // the insert: deleted
  EXPECT_FALSE(r->complete);
  EXPECT_TRUE(Row(kKey).is_null());
  EXPECT_EQ((*connector_->database()->ReadRow("notes", {{"id", 1}}))["text"], "keep");
  EXPECT_FALSE(connector_->database()->ReadRow("notes", {{"id", 2}})->is_null());

  // A third session's insert that someone else then changes: rollback stops there.
  ASSERT_TRUE(
      store_->CreateSession({"s3", "t", "scripted:x", "code", "ann", "running", 1, 1}).ok());
  scope_.session = "s3";
  ASSERT_TRUE(Call("insert", {{"table", "report"}, {"row", kRow}}).ok);
  ASSERT_TRUE(connector_->database()->Update("report", kKey, {{"value", 9.9}}).ok());
  auto stopped = RollbackSession(store_.get(), audit_.get(), lookup, "s3", {});
  ASSERT_TRUE(stopped.ok());
  ASSERT_EQ(stopped->steps.size(), 1u);
  EXPECT_EQ(stopped->steps[0].outcome, "conflict");
  EXPECT_EQ(Row(kKey)["value"], 9.9) << "rollback overwrote another's change";
}

TEST_P(SqlConnectorTest, ADryRunWritesNothingButSurfacesConstraintErrors) {
  scope_.dry_run = true;
  GuestCallReply planned = Call("insert", {{"table", "report"}, {"row", kRow}});
  ASSERT_TRUE(planned.ok) << planned.error_message;
  EXPECT_TRUE(Row(kKey).is_null()) << "a dry run wrote";
  GuestCallReply bad =
      Call("insert", {{"table", "report"}, {"row", {{"patient", "p2"}, {"measure", "m"}}}});
  EXPECT_FALSE(bad.ok) << "a NOT NULL violation did not surface in the dry run";
  auto planned_entries = Journal(JournalMode::kDryRun);
  ASSERT_EQ(planned_entries.size(), 2u);
  EXPECT_EQ(planned_entries[0].state, JournalState::kPlanned);
  EXPECT_EQ(planned_entries[1].state, JournalState::kFailed);
  EXPECT_TRUE(Journal(JournalMode::kLive).empty());

  // A statement is not run at all in a dry run: it could act beyond the transaction.
  GuestCallReply statement =
      Call("execute", {{"sql", "INSERT INTO notes (id, text) VALUES (9, 'x')"}});
  ASSERT_TRUE(statement.ok) << statement.error_message;
  EXPECT_TRUE(connector_->database()->ReadRow("notes", {{"id", 9}})->is_null());
  EXPECT_EQ(Journal(JournalMode::kDryRun).back().state, JournalState::kPlanned);
}

TEST_P(SqlConnectorTest, AWriteLeftAtIntentIsSettledFromTheRow) {
  ASSERT_TRUE(Call("insert", {{"table", "report"}, {"row", kRow}}).ok);
  // As a crash leaves them: one intent that happened, one that did not.
  JournalEntry happened = Journal()[0];
  happened.state = JournalState::kIntent;
  ASSERT_TRUE(store_->UpdateJournal(happened).ok());
  auto c = connector_->NewCompensator(happened);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Settle(happened).outcome, Settlement::Outcome::kHappened);
  JournalEntry never = happened;
  never.target_id = json{{"patient", "p9"}, {"measure", "hba1c"}}.dump();
  EXPECT_EQ((*c)->Settle(never).outcome, Settlement::Outcome::kDidNotHappen);
  JournalEntry statement = happened;
  statement.operation = "execute";
  EXPECT_EQ((*c)->Settle(statement).outcome, Settlement::Outcome::kUnknown);
  RollbackReport r = Rollback();
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].outcome, "undone");
  EXPECT_TRUE(Row(kKey).is_null());
}

TEST_P(SqlConnectorTest, OneQueryCannotMakeTheHostAllocateGigabytes) {
  if (GetParam() != SqlEngine::kSqlite) GTEST_SKIP() << "SQLite's length limit";
  GuestCallReply r =
      Call("query", {{"sql", "SELECT length(replace(printf('%.*c', 100000000, 'x'), 'x', 'yy'))"}});
  // Past the 16 MiB length limit SQLite gives up on the string (NULL, or an
  // error) instead of building 200 MB of it.
  if (r.ok) {
    json row = ParseJsonOrDiscarded(r.value_json)["rows"][0];
    EXPECT_TRUE(row.begin()->is_null()) << r.value_json;
  } else {
    EXPECT_EQ(r.error_type, "SqlError");
  }
}

// max_result_bytes bounds a query's whole result; the guest sees an SqlError
// that names the setting.
TEST_P(SqlConnectorTest, AQueryOverTheResultBudgetIsAGuestErrorNamingTheSetting) {
  SqlConnectorConfig small = config_;
  small.max_result_bytes = 4096;
  auto [connector, registry] = Reopened(small);
  ASSERT_NE(connector, nullptr);
  const std::string sql =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1) "
      "SELECT x FROM c";
  auto call = [&, &registry = registry](int rows) {
    json args = {{"sql", sql}, {"params", {rows}}};
    PreparedCall p = registry.Find("reporting.query")->prepare(args.dump());
    return registry.Find("reporting.query")
        ->handler(BindingContext{"s1", 1, &p}, args.dump())
        .reply;
  };
  GuestCallReply over = call(1000);  // 1000 × (1 + 8) bytes
  ASSERT_FALSE(over.ok);
  EXPECT_EQ(over.error_type, "SqlError");
  EXPECT_NE(over.error_message.find("reporting.query(): the result is larger than "
                                    "max_result_bytes (4096 bytes)"),
            std::string::npos)
      << over.error_message;
  GuestCallReply within = call(100);
  ASSERT_TRUE(within.ok) << within.error_message;
  EXPECT_EQ(ParseJsonOrDiscarded(within.value_json)["rows"].size(), 100u);
}

// A statement reaches the database only through `execute`, whose call the
// policy sees as an irreversible "execute" and which is journaled; the same
// statement through `query` (a "read" to the policy) is refused by the database.
TEST_P(SqlConnectorTest, AStatementActsOnlyThroughExecute) {
  ASSERT_TRUE(Call("insert", {{"table", "notes"}, {"row", {{"id", 1}, {"text", "a"}}}}).ok);
  std::vector<std::string> with_execute;
  for (const auto& b : connector_->Bindings(&scope_)) {
    PreparedCall p = b.prepare(json{{"sql", "DELETE FROM notes"}}.dump());
    if (p.refusal.ok && p.actions[0].descriptor.operation == "execute")
      with_execute.push_back(b.name);
  }
  EXPECT_EQ(with_execute, (std::vector<std::string>{"reporting.execute"}));
  for (const char* sql : {"DELETE FROM notes", "SELECT 1; DELETE FROM notes",
                          "COMMIT; DELETE FROM notes", "SET TRANSACTION READ WRITE"}) {
    PreparedCall p = Prepare("query", {{"sql", sql}});
    ASSERT_TRUE(p.refusal.ok);
    EXPECT_EQ(p.actions[0].descriptor.operation, "read");
    static_cast<void>(Call("query", {{"sql", sql}}));
  }
  GuestCallReply write = Call("query", {{"sql", "DELETE FROM notes"}});
  EXPECT_FALSE(write.ok);
  EXPECT_EQ(Journal().size(), 1u) << "a query was journaled";
  auto rows = connector_->database()->Query("SELECT count(*) AS n FROM notes", json::array());
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0]["n"], 1) << "a query wrote";

  GuestCallReply executed = Call("execute", {{"sql", "DELETE FROM notes"}});
  ASSERT_TRUE(executed.ok) << executed.error_message;
  auto journal = Journal();
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_EQ(journal[1].operation, "execute");
}

// A PostgreSQL connector refuses to open as a role that can act through a read,
// naming itself and the setting; allow_privileged_role = true opens it.
TEST_P(SqlConnectorTest, APrivilegedRoleIsRefusedUnlessAllowed) {
  if (GetParam() != SqlEngine::kPostgres) GTEST_SKIP() << "PostgreSQL roles";
  auto cluster = testing::SharedPgTestCluster();
  ASSERT_TRUE(cluster.ok());
  SqlConnectorConfig c = config_;
  c.dsn = (*cluster)->SuperuserSocketDsn(c.dsn.substr(c.dsn.rfind("dbname=") + 7));
  auto refused = SqlConnector::Open(c, &clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("[connectors.reporting]"), std::string::npos)
      << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("is a superuser"), std::string::npos);
  EXPECT_NE(refused.status().message().find("allow_privileged_role = true"), std::string::npos);
  c.allow_privileged_role = true;
  EXPECT_TRUE(SqlConnector::Open(c, &clock_).ok());
}

TEST_P(SqlConnectorTest, EntriesOfAnotherDatabaseAreNotUndoneHere) {
  ASSERT_TRUE(Call("insert", {{"table", "report"}, {"row", kRow}}).ok);
  JournalEntry e = Journal()[0];
  e.endpoint = "sqlite:/elsewhere.db";
  EXPECT_EQ(connector_->NewCompensator(e).status().code(), StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Engines, SqlConnectorTest,
                         ::testing::Values(SqlEngine::kSqlite, SqlEngine::kPostgres),
                         [](const auto& info) {
                           return info.param == SqlEngine::kSqlite ? "SQLite" : "PostgreSQL";
                         });

Result<SqlConnectorConfig> ParseConfig(const std::string& text) {
  toml::table t = toml::parse(text);
  return ParseSqlConnectorConfig(t, "reporting", "ward.toml: [connectors.reporting]");
}

TEST(SqlConnectorConfigTest, TheResultBudgetAndThePrivilegedRoleOptIn) {
  const std::string base = "type = \"sql\"\ndsn = \"/r.db\"\ntables = [\"*\"]\n";
  auto defaults = ParseConfig(base);
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->max_result_bytes, 4 << 20);
  EXPECT_FALSE(defaults->allow_privileged_role);
  auto set = ParseConfig(base + "max_result_bytes = 65536\nallow_privileged_role = true\n");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->max_result_bytes, 65536);
  EXPECT_TRUE(set->allow_privileged_role);
  for (const char* bad : {"max_result_bytes = 0", "max_result_bytes = 1023",
                          "max_result_bytes = 2147483648", "max_result_bytes = \"8MiB\"",
                          "allow_privileged_role = \"yes\"", "allow_privileged_role = 1"}) {
    auto r = ParseConfig(base + bad + "\n");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string(bad).substr(0, 10)), std::string::npos)
        << r.status().ToString();
  }
}

}  // namespace
}  // namespace ward::sql
