// SqlDatabase against a real SQLite file and a real PostgreSQL cluster: the same
// tests run on both (a parametrized fixture), plus each engine's own attacks.
// PostgreSQL tests skip loudly only when the server binaries are missing.
#include "connectors/sql/sql_database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/sql/testing/pg_test_cluster.h"

namespace ward::sql {

// gtest prints the engine of a failing parametrized test by name.
void PrintTo(SqlEngine engine, std::ostream* os) {
  *os << (engine == SqlEngine::kSqlite ? "SQLite" : "PostgreSQL");
}

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

#define ASSERT_OK_R(expr)                                                      \
  ({                                                                           \
    auto ward_r_ = (expr);                                                     \
    ASSERT_TRUE(ward_r_.ok()) << #expr << ": " << ward_r_.status().ToString(); \
    std::move(ward_r_).value();                                                \
  })

// A test clock that moves 10 ms forward each time it is read, so SQLite's
// statement timeout fires after a bounded amount of work without wall time.
class FakeAdvancingClock : public ManualClock {
 public:
  int64_t MonotonicMicros() override {
    Advance(10);
    return ManualClock::MonotonicMicros();
  }
};

constexpr const char* kSchema[] = {
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
    "qty INTEGER CHECK (qty >= 0), price DOUBLE PRECISION, note TEXT)",
    "CREATE TABLE measures (patient TEXT NOT NULL, measure TEXT NOT NULL, value DOUBLE PRECISION, "
    "PRIMARY KEY (measure, patient))",
    "CREATE TABLE nokey (a INTEGER, b TEXT)",
};

class SqlDatabaseTest : public ::testing::TestWithParam<SqlEngine> {
 protected:
  void SetUp() override {
    if (GetParam() == SqlEngine::kPostgres) {
      auto cluster = testing::SharedPgTestCluster();
      if (!cluster.ok() && cluster.status().code() == StatusCode::kNotFound) {
        GTEST_SKIP() << "*** PostgreSQL NOT TESTED: " << cluster.status().message();
      }
      ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
      static std::atomic<int> counter{0};
      cluster_ = *cluster;
      db_name_ = "t";
      db_name_ += std::to_string(counter++);
      dsn_ = ASSERT_OK_R(cluster_->CreateDatabase(db_name_));
    } else {
      std::string templ = (fs::temp_directory_path() / "ward-sql-XXXXXX").string();
      ASSERT_NE(mkdtemp(templ.data()), nullptr);
      dir_ = templ;
      dsn_ = dir_ + "/report.db";
      sqlite3* raw = nullptr;
      ASSERT_EQ(sqlite3_open(dsn_.c_str(), &raw), SQLITE_OK);
      sqlite3_close(raw);
    }
    db_ = Open();
    ASSERT_NE(db_, nullptr);
    for (const char* sql : kSchema) ASSERT_OK_R(db_->Execute(sql, nullptr));
  }

  void TearDown() override {
    db_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::unique_ptr<SqlDatabase> Open(SqlLimits limits = {}, Clock* clock = nullptr) {
    auto db = OpenSqlDatabase({dsn_, limits, clock});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  bool IsPg() const { return GetParam() == SqlEngine::kPostgres; }

  // A statement returning rows (x, pad): x counts from 1, pad is 100 bytes of
  // text; `n` rows, or rows without end when n is 0.
  // A recursive CTE streams its rows on both engines (PostgreSQL's
  // generate_series in FROM would compute them all before the first).
  std::string Series(int64_t n) const {
    return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c" +
           (n ? " WHERE x < " + std::to_string(n) : std::string()) + ") SELECT x, " +
           (IsPg() ? "lpad(x::text, 100, '0')" : "printf('%0100d', x)") + " AS pad FROM c";
  }

  void AddItems(int n) {
    for (int i = 1; i <= n; ++i) {
      auto r = db_->Insert("items", {{"id", i},
                                     {"name", "item" + std::to_string(i)},
                                     {"qty", i * 10},
                                     {"price", i + 0.5},
                                     {"note", nullptr}});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }

  // All of `items`, ordered, for "nothing changed" checks.
  json Items() {
    auto r = db_->Query("SELECT * FROM items ORDER BY id", nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? json(r->rows) : json();
  }

  testing::PgTestCluster* cluster_ = nullptr;
  std::string db_name_;
  std::string dir_;
  std::string dsn_;
  std::unique_ptr<SqlDatabase> db_;
};

// --- Query -------------------------------------------------------------------

TEST_P(SqlDatabaseTest, QueryReturnsRowsAsJsonWithBoundParams) {
  AddItems(3);
  auto r = ASSERT_OK_R(db_->Query(
      "SELECT id, name, price, note FROM items WHERE qty >= $1 AND name <> $2 ORDER BY id",
      json::array({20, "item3"})));
  EXPECT_EQ(r.columns, (std::vector<std::string>{"id", "name", "price", "note"}));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0], (json{{"id", 2}, {"name", "item2"}, {"price", 2.5}, {"note", nullptr}}));
  EXPECT_TRUE(r.rows[0]["id"].is_number_integer());
  EXPECT_TRUE(r.rows[0]["price"].is_number_float());
  EXPECT_FALSE(r.truncated);
}

TEST_P(SqlDatabaseTest, QueryParamsAreBoundNeverInterpolated) {
  const std::string hostile = "x'); DROP TABLE items; --";
  ASSERT_OK_R(db_->Insert("items", {{"id", 1}, {"name", hostile}, {"qty", 1}}));
  auto r =
      ASSERT_OK_R(db_->Query("SELECT name FROM items WHERE name = $1", json::array({hostile})));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0]["name"], hostile);
  EXPECT_EQ(Items().size(), 1u);
}

TEST_P(SqlDatabaseTest, QueryRowLimitTruncates) {
  AddItems(5);
  SqlLimits limits;
  limits.row_limit = 2;
  auto r = ASSERT_OK_R(db_->Query("SELECT id FROM items ORDER BY id", nullptr, limits));
  EXPECT_EQ(r.rows.size(), 2u);
  EXPECT_TRUE(r.truncated);
  limits.row_limit = 5;
  r = ASSERT_OK_R(db_->Query("SELECT id FROM items ORDER BY id", nullptr, limits));
  EXPECT_EQ(r.rows.size(), 5u);
  EXPECT_FALSE(r.truncated);
}

TEST_P(SqlDatabaseTest, QueryRefusesAValueOverTheSizeLimit) {
  SqlLimits limits;
  limits.max_value_bytes = 10;
  auto r = db_->Query("SELECT $1 AS big", json::array({std::string(11, 'a')}), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_TRUE(db_->Query("SELECT $1 AS small", json::array({"0123456789"}), limits).ok());
}

TEST_P(SqlDatabaseTest, QueryFailsPastTheResultBudgetNamingIt) {
  SqlLimits limits;
  limits.row_limit = 1'000'000;
  limits.max_result_bytes = 64 << 10;
  // 1000 rows of (x, pad): over 100 KiB counted (column names, 8 per number, text).
  auto r = db_->Query(Series(1000), nullptr, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("max_result_bytes (65536 bytes)"), std::string::npos)
      << r.status().ToString();
  // 500 rows fit (500 × (1 + 8 + 3 + 100) = 56000 bytes).
  auto fits = ASSERT_OK_R(db_->Query(Series(500), nullptr, limits));
  EXPECT_EQ(fits.rows.size(), 500u);
  EXPECT_FALSE(fits.truncated);
  // The default budget holds without any setting: 100 000 such rows are ~11 MB.
  limits = SqlLimits{};
  limits.row_limit = 1'000'000;
  EXPECT_EQ(db_->Query(Series(100'000), nullptr, limits).status().code(),
            StatusCode::kResourceExhausted);
  // The reading connection is fine afterwards.
  EXPECT_TRUE(db_->Query("SELECT 1 AS one", nullptr).ok());
}

// The budget is enforced while rows arrive: a result without end fails at the
// budget, long before the statement timeout.
TEST_P(SqlDatabaseTest, AnEndlessResultFailsAtTheBudgetNotTheTimeout) {
  FakeAdvancingClock clock;
  SqlLimits limits;
  limits.row_limit = 1'000'000;
  limits.max_result_bytes = 1 << 20;
  // SQLite's timeout is on the test clock (10 ms per read); PostgreSQL's is the server's.
  limits.statement_timeout = std::chrono::milliseconds(IsPg() ? 20'000 : 60'000'000);
  auto db = Open(limits, &clock);
  ASSERT_NE(db, nullptr);
  auto r = db->Query(Series(0), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_TRUE(db->Query("SELECT 1 AS one", nullptr).ok());
}

// A read cut short by the row limit stops there: the statement does not run on
// (on PostgreSQL it is cancelled) until the timeout turns the rows into an error.
TEST_P(SqlDatabaseTest, AnEndlessResultIsTruncatedAtTheRowLimit) {
  FakeAdvancingClock clock;
  SqlLimits limits;
  limits.row_limit = 5;
  limits.statement_timeout = std::chrono::milliseconds(IsPg() ? 10'000 : 60'000'000);
  auto db = Open(limits, &clock);
  ASSERT_NE(db, nullptr);
  auto r = db->Query(Series(0), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows.size(), 5u);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->rows[4]["x"], 5);
  EXPECT_TRUE(db->Query("SELECT 1 AS one", nullptr).ok());
}

TEST_P(SqlDatabaseTest, QueryCannotWrite) {
  AddItems(2);
  const json before = Items();
  for (const char* sql : {
           "DELETE FROM items",
           "INSERT INTO items (id, name) VALUES (9, 'evil')",
           "UPDATE items SET qty = 0",
           "DROP TABLE items",
           "CREATE TABLE evil (a INTEGER)",
           "ALTER TABLE items ADD COLUMN evil INTEGER",
       }) {
    auto r = db_->Query(sql, nullptr);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied)
        << sql << ": " << r.status().ToString();
  }
  EXPECT_EQ(Items(), before);
  EXPECT_EQ(db_->DescribeTable("evil").status().code(), StatusCode::kNotFound);
}

TEST_P(SqlDatabaseTest, QueryRunsOneStatementOnly) {
  AddItems(2);
  const json before = Items();
  for (const char* sql : {
           "SELECT 1; DELETE FROM items",
           "PRAGMA query_only=0; DELETE FROM items",
           "SELECT 1; DROP TABLE items",
       }) {
    auto r = db_->Query(sql, nullptr);
    EXPECT_FALSE(r.ok()) << sql;
  }
  auto r = db_->Query("SELECT 1; DELETE FROM items", nullptr);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_EQ(Items(), before);
}

// No string of statements, and no statement followed by a later call, takes a
// query out of its read-only mode.
TEST_P(SqlDatabaseTest, QueryCannotLeaveReadOnlyMode) {
  AddItems(2);
  const json before = Items();
  for (const char* sql : {
           "SELECT 1; DELETE FROM items",
           "COMMIT; DELETE FROM items",
           "END; DELETE FROM items",
           "ROLLBACK; DELETE FROM items",
           "BEGIN; DELETE FROM items; COMMIT",
           "SET TRANSACTION READ WRITE; DELETE FROM items",
           "PRAGMA query_only = 0; DELETE FROM items",
           "DO $$BEGIN SET TRANSACTION READ WRITE; DELETE FROM items; END$$",
           "DO $$BEGIN PERFORM set_config('transaction_read_only', 'off', true); "
           "DELETE FROM items; END$$",
           "WITH s AS (SELECT set_config('transaction_read_only', 'off', true)), "
           "d AS (DELETE FROM items RETURNING 1) SELECT * FROM s, d",
       }) {
    EXPECT_FALSE(db_->Query(sql, nullptr).ok()) << sql;
  }
  // Each engine refuses or allows these; none may make a later query write.
  for (const char* first : {
           "SET TRANSACTION READ WRITE",
           "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
           "SET default_transaction_read_only = off",
           "SELECT set_config('default_transaction_read_only', 'off', false) AS s",
           "SELECT set_config('transaction_read_only', 'off', false) AS s",
           "PRAGMA query_only = 0",
           "PRAGMA query_only = false",
           "SELECT * FROM pragma_query_only",
       }) {
    static_cast<void>(db_->Query(first, nullptr));  // either outcome; what follows matters
    for (const char* write : {"DELETE FROM items", "INSERT INTO items (id, name) VALUES (9, 'x')",
                              "UPDATE items SET qty = 0"}) {
      auto r = db_->Query(write, nullptr);
      ASSERT_FALSE(r.ok()) << first << " then " << write;
      EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied)
          << first << " then " << write << ": " << r.status().ToString();
    }
  }
  EXPECT_EQ(Items(), before);
}

TEST_P(SqlDatabaseTest, SqlTextWithANulIsRefusedWhole) {
  AddItems(1);
  const std::string sql("SELECT 1 AS one\0; DELETE FROM items", 35);
  EXPECT_EQ(db_->Query(sql, nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Execute(sql, nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Items().size(), 1u);
}

TEST_P(SqlDatabaseTest, QueryCannotEndItsTransaction) {
  AddItems(1);
  for (const char* sql : {"COMMIT", "ROLLBACK", "BEGIN", "SAVEPOINT s", "END"}) {
    EXPECT_FALSE(db_->Query(sql, nullptr).ok()) << sql;
  }
  // The reading connection still works and still cannot write.
  EXPECT_TRUE(db_->Query("SELECT 1 AS one", nullptr).ok());
  EXPECT_FALSE(db_->Query("DELETE FROM items", nullptr).ok());
  EXPECT_EQ(Items().size(), 1u);
}

TEST_P(SqlDatabaseTest, QueryPlaceholdersAreDollarNumbers) {
  EXPECT_FALSE(db_->Query("SELECT ?", json::array({1})).ok());
  EXPECT_FALSE(db_->Query("SELECT $1", json::array()).ok());
  EXPECT_FALSE(db_->Query("SELECT 1 AS one", json::array({1})).ok());
  EXPECT_FALSE(db_->Query("SELECT $1", json{{"a", 1}}).ok());
  auto r = ASSERT_OK_R(db_->Query("SELECT $2 AS b, $1 AS a", json::array({"x", "y"})));
  EXPECT_EQ(r.rows[0], (json{{"a", "x"}, {"b", "y"}}));
}

TEST_P(SqlDatabaseTest, QueryStopsAtTheStatementTimeout) {
  FakeAdvancingClock clock;
  SqlLimits limits;
  limits.statement_timeout = std::chrono::milliseconds(200);
  auto db = Open(limits, &clock);
  ASSERT_NE(db, nullptr);
  auto r = db->Query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
      nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_TRUE(db->Query("SELECT 1 AS one", nullptr).ok());
}

// A slow statement stops at the timeout however it is run, and a setting an
// earlier call made does not lift it.
TEST_P(SqlDatabaseTest, TheStatementTimeoutHoldsForReadsAndStatements) {
  FakeAdvancingClock clock;
  SqlLimits limits;
  limits.statement_timeout = std::chrono::milliseconds(200);
  auto db = Open(limits, &clock);
  ASSERT_NE(db, nullptr);
  const std::string slow =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n "
      "FROM c";
  for (const char* lift : {"SET statement_timeout = 0", "SET SESSION statement_timeout = 0",
                           "PRAGMA busy_timeout = 0"}) {
    static_cast<void>(db->Query(lift, nullptr));
    static_cast<void>(db->Execute(lift, nullptr));
    EXPECT_EQ(db->Query(slow, nullptr).status().code(), StatusCode::kDeadlineExceeded) << lift;
    EXPECT_EQ(db->Execute(slow, nullptr).status().code(), StatusCode::kDeadlineExceeded) << lift;
  }
  EXPECT_TRUE(db->Query("SELECT 1 AS one", nullptr).ok());
  EXPECT_TRUE(db->Execute("SELECT 1 AS one", nullptr).ok());
}

TEST_P(SqlDatabaseTest, ValuesMapToJson) {
  ASSERT_OK_R(db_->Insert("items", {{"id", 1}, {"name", "a"}, {"note", json{{"k", 1}}}}));
  auto r = ASSERT_OK_R(db_->Query("SELECT note FROM items", nullptr));
  EXPECT_EQ(r.rows[0]["note"], "{\"k\":1}");  // an object param is stored as JSON text
  r = ASSERT_OK_R(
      db_->Query("SELECT $1 AS t, $2 AS n, $3 AS f", json::array({"text", nullptr, 1.25})));
  EXPECT_EQ(r.rows[0]["t"], "text");
  EXPECT_TRUE(r.rows[0]["n"].is_null());
}

TEST_P(SqlDatabaseTest, BlobsAreRefused) {
  auto r = db_->Query(IsPg() ? "SELECT '\\x00ff'::bytea AS b" : "SELECT x'00ff' AS b", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("blob"), std::string::npos) << r.status().ToString();
}

// --- Table metadata -----------------------------------------------------------

TEST_P(SqlDatabaseTest, DescribeTableReadsTheCatalog) {
  auto t = ASSERT_OK_R(db_->DescribeTable("measures"));
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_EQ(t.columns[0].name, "patient");
  EXPECT_TRUE(t.columns[0].not_null);
  EXPECT_EQ(t.primary_key, (std::vector<std::string>{"measure", "patient"}));
  EXPECT_TRUE(ASSERT_OK_R(db_->DescribeTable("nokey")).primary_key.empty());
  EXPECT_EQ(db_->DescribeTable("missing").status().code(), StatusCode::kNotFound);
  // A name is looked up, never spliced into SQL.
  EXPECT_EQ(db_->DescribeTable("items; DROP TABLE items").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(db_->DescribeTable("items\" --").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(db_->DescribeTable("items").ok());
  // The engine's own tables are not tables of the database's data.
  ASSERT_OK_R(db_->Execute(IsPg() ? "CREATE TABLE counted (id SERIAL PRIMARY KEY)"
                                  : "CREATE TABLE counted (id INTEGER PRIMARY KEY AUTOINCREMENT)",
                           nullptr));
  for (const char* system : {"sqlite_sequence", "sqlite_schema", "pg_catalog.pg_database",
                             "pg_database", "information_schema.sql_features"}) {
    EXPECT_EQ(db_->DescribeTable(system).status().code(), StatusCode::kNotFound) << system;
    EXPECT_FALSE(db_->Insert(system, {{"name", "x"}}).ok()) << system;
  }
}

// --- Row writes -----------------------------------------------------------------

TEST_P(SqlDatabaseTest, InsertReturnsThePostImage) {
  auto c = ASSERT_OK_R(db_->Insert("items", {{"id", 7}, {"name", "gauze"}, {"qty", 3}}));
  EXPECT_TRUE(c.before.is_null());
  EXPECT_EQ(
      c.after,
      (json{{"id", 7}, {"name", "gauze"}, {"qty", 3}, {"price", nullptr}, {"note", nullptr}}));
  EXPECT_EQ(ASSERT_OK_R(db_->ReadRow("items", {{"id", 7}})), c.after);
  EXPECT_TRUE(ASSERT_OK_R(db_->ReadRow("items", {{"id", 8}})).is_null());
}

TEST_P(SqlDatabaseTest, InsertRefusals) {
  AddItems(1);
  const json before = Items();
  EXPECT_EQ(db_->Insert("items", {{"id", 1}, {"name", "dup"}}).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(db_->Insert("items", {{"id", 2}, {"name", "item1"}}).status().code(),
            StatusCode::kFailedPrecondition);  // UNIQUE(name)
  EXPECT_EQ(db_->Insert("items", {{"id", 2}, {"name", "neg"}, {"qty", -1}}).status().code(),
            StatusCode::kFailedPrecondition);  // CHECK
  EXPECT_EQ(db_->Insert("items", {{"id", 2}, {"name", "x"}, {"evil", 1}}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(db_->Insert("items", {{"name", "nokey"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Insert("items", json::array({1})).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Insert("nokey", {{"a", 1}}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(db_->Insert("missing", {{"id", 1}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Items(), before);
}

TEST_P(SqlDatabaseTest, UpdateReturnsPreAndPostImages) {
  AddItems(2);
  auto c = ASSERT_OK_R(db_->Update("items", {{"id", 2}}, {{"qty", 0}, {"note", "empty"}}));
  EXPECT_EQ(c.before["qty"], 20);
  EXPECT_TRUE(c.before["note"].is_null());
  EXPECT_EQ(c.after["qty"], 0);
  EXPECT_EQ(c.after["note"], "empty");
  EXPECT_EQ(c.after["name"], "item2");
  EXPECT_EQ(ASSERT_OK_R(db_->ReadRow("items", {{"id", 1}}))["qty"], 10);  // only the keyed row
}

TEST_P(SqlDatabaseTest, UpdateRefusals) {
  AddItems(1);
  const json before = Items();
  EXPECT_EQ(db_->Update("items", {{"id", 5}}, {{"qty", 1}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(db_->Update("items", {{"id", 1}}, {{"id", 2}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Update("items", {{"id", 1}, {"name", "item1"}}, {{"qty", 1}}).status().code(),
            StatusCode::kInvalidArgument);  // a key holds the key's columns only
  EXPECT_EQ(db_->Update("items", {{"name", "item1"}}, {{"qty", 1}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Update("items", {{"id", 1}}, json::object()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Update("items", {{"id", 1}}, {{"qty", -5}}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(db_->Update("items", {{"id", 1}}, {{"qty\" = 0 --", 1}}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Items(), before);
}

TEST_P(SqlDatabaseTest, AConstraintCheckedAtCommitFailsTheWriteAndLeavesNothingOpen) {
  ASSERT_OK_R(db_->Execute(
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, item INTEGER REFERENCES items (id) "
      "DEFERRABLE INITIALLY DEFERRED)",
      nullptr));
  auto r = db_->Insert("orders", {{"id", 1}, {"item", 404}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_TRUE(ASSERT_OK_R(db_->ReadRow("orders", {{"id", 1}})).is_null());
  AddItems(1);
  EXPECT_TRUE(db_->Insert("orders", {{"id", 1}, {"item", 1}}).ok());
}

TEST_P(SqlDatabaseTest, CompositeKeys) {
  ASSERT_OK_R(db_->Insert("measures", {{"patient", "p1"}, {"measure", "hba1c"}, {"value", 7.1}}));
  ASSERT_OK_R(db_->Insert("measures", {{"patient", "p2"}, {"measure", "hba1c"}, {"value", 6.4}}));
  auto c = ASSERT_OK_R(
      db_->Update("measures", {{"patient", "p2"}, {"measure", "hba1c"}}, {{"value", 6.0}}));
  EXPECT_EQ(c.before["value"], 6.4);
  EXPECT_EQ(c.after["value"], 6.0);
  auto d = ASSERT_OK_R(db_->Delete("measures", {{"measure", "hba1c"}, {"patient", "p1"}}));
  EXPECT_EQ(d.before["value"], 7.1);
  EXPECT_TRUE(d.after.is_null());
  auto rest = ASSERT_OK_R(db_->Query("SELECT patient FROM measures", nullptr));
  ASSERT_EQ(rest.rows.size(), 1u);
  EXPECT_EQ(rest.rows[0], (json{{"patient", "p2"}}));
}

TEST_P(SqlDatabaseTest, DeleteReturnsThePreImage) {
  AddItems(2);
  auto c = ASSERT_OK_R(db_->Delete("items", {{"id", 1}}));
  EXPECT_EQ(c.before["name"], "item1");
  EXPECT_TRUE(c.after.is_null());
  EXPECT_EQ(Items().size(), 1u);
  EXPECT_EQ(db_->Delete("items", {{"id", 1}}).status().code(), StatusCode::kNotFound);
}

// --- RestoreRow: the compensation -------------------------------------------------

TEST_P(SqlDatabaseTest, RestoreUndoesEachKindOfWrite) {
  AddItems(2);
  auto ins = ASSERT_OK_R(db_->Insert("items", {{"id", 3}, {"name", "new"}}));
  auto upd = ASSERT_OK_R(db_->Update("items", {{"id", 1}}, {{"qty", 99}}));
  auto del = ASSERT_OK_R(db_->Delete("items", {{"id", 2}}));

  auto r = ASSERT_OK_R(db_->RestoreRow("items", {{"id", 2}}, del.after, del.before));
  EXPECT_EQ(r.status, RestoreStatus::kRestored);
  EXPECT_EQ(r.current, del.before);
  r = ASSERT_OK_R(db_->RestoreRow("items", {{"id", 1}}, upd.after, upd.before));
  EXPECT_EQ(r.status, RestoreStatus::kRestored);
  EXPECT_EQ(r.current, upd.before);
  r = ASSERT_OK_R(db_->RestoreRow("items", {{"id", 3}}, ins.after, ins.before));
  EXPECT_EQ(r.status, RestoreStatus::kRestored);
  EXPECT_TRUE(r.current.is_null());

  EXPECT_EQ(Items(), json({upd.before, del.before}));
  // Running the same compensation again finds it done.
  r = ASSERT_OK_R(db_->RestoreRow("items", {{"id", 1}}, upd.after, upd.before));
  EXPECT_EQ(r.status, RestoreStatus::kAlreadyRestored);
}

TEST_P(SqlDatabaseTest, RestoreStopsOnAConflictAndChangesNothing) {
  AddItems(1);
  auto upd = ASSERT_OK_R(db_->Update("items", {{"id", 1}}, {{"qty", 50}}));
  // Someone else changes the row after ward's write.
  ASSERT_EQ(
      ASSERT_OK_R(db_->Execute("UPDATE items SET note = $1 WHERE id = 1", json::array({"theirs"}))),
      1);
  const json theirs = ASSERT_OK_R(db_->ReadRow("items", {{"id", 1}}));
  auto r = ASSERT_OK_R(db_->RestoreRow("items", {{"id", 1}}, upd.after, upd.before));
  EXPECT_EQ(r.status, RestoreStatus::kConflict);
  EXPECT_EQ(r.current, theirs);
  EXPECT_EQ(ASSERT_OK_R(db_->ReadRow("items", {{"id", 1}})), theirs);

  // Undoing a delete conflicts with a row re-created meanwhile.
  auto del = ASSERT_OK_R(db_->Delete("items", {{"id", 1}}));
  ASSERT_OK_R(db_->Insert("items", {{"id", 1}, {"name", "recreated"}}));
  r = ASSERT_OK_R(db_->RestoreRow("items", {{"id", 1}}, del.after, del.before));
  EXPECT_EQ(r.status, RestoreStatus::kConflict);
  EXPECT_EQ(r.current["name"], "recreated");

  // Undoing an insert conflicts with the row gone and something else there... or
  // absent: absent is neither the post-image nor (for an insert) — it is the
  // pre-image, so it counts as already restored.
  auto ins = ASSERT_OK_R(db_->Insert("items", {{"id", 4}, {"name", "x"}}));
  ASSERT_OK_R(db_->Delete("items", {{"id", 4}}));
  r = ASSERT_OK_R(db_->RestoreRow("items", {{"id", 4}}, ins.after, ins.before));
  EXPECT_EQ(r.status, RestoreStatus::kAlreadyRestored);
}

TEST_P(SqlDatabaseTest, RestoreRefusesAMismatchedRow) {
  AddItems(1);
  const json row = ASSERT_OK_R(db_->ReadRow("items", {{"id", 1}}));
  json other = row;
  other["id"] = 2;
  EXPECT_EQ(db_->RestoreRow("items", {{"id", 1}}, row, other).status().code(),
            StatusCode::kInvalidArgument);
  json unknown = row;
  unknown["evil"] = 1;
  EXPECT_EQ(db_->RestoreRow("items", {{"id", 1}}, row, unknown).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(db_->RestoreRow("nokey", {{"a", 1}}, nullptr, nullptr).status().code(),
            StatusCode::kFailedPrecondition);
}

// --- Execute ------------------------------------------------------------------

TEST_P(SqlDatabaseTest, ExecuteReturnsRowsAffected) {
  AddItems(3);
  EXPECT_EQ(ASSERT_OK_R(db_->Execute("UPDATE items SET qty = qty + $1", json::array({1}))), 3);
  EXPECT_EQ(ASSERT_OK_R(db_->Execute("DELETE FROM items WHERE id = $1", json::array({1}))), 1);
  EXPECT_EQ(ASSERT_OK_R(db_->Execute("CREATE TABLE more (id INTEGER PRIMARY KEY)", nullptr)), 0);
  EXPECT_EQ(ASSERT_OK_R(db_->Execute("SELECT id FROM items", nullptr)), 0);
  EXPECT_FALSE(db_->Execute("UPDATE items SET qty = 1; DROP TABLE items", nullptr).ok());
  EXPECT_EQ(Items().size(), 2u);
}

TEST_P(SqlDatabaseTest, ExecuteCannotTakeOverTheTransaction) {
  AddItems(1);
  for (const char* sql :
       {"COMMIT", "ROLLBACK", "BEGIN", "SAVEPOINT x", "RELEASE SAVEPOINT ward_write"}) {
    EXPECT_FALSE(db_->Execute(sql, nullptr).ok()) << sql;
  }
  EXPECT_TRUE(db_->Execute("UPDATE items SET qty = 1", nullptr).ok());
}

// --- Dry runs -----------------------------------------------------------------

TEST_P(SqlDatabaseTest, DryRunSurfacesErrorsAndIsAlwaysRolledBack) {
  AddItems(1);
  const json before = Items();
  {
    auto dry = ASSERT_OK_R(db_->BeginDryRun());
    EXPECT_EQ(db_->BeginDryRun().status().code(), StatusCode::kFailedPrecondition);
    auto ins = ASSERT_OK_R(db_->Insert("items", {{"id", 2}, {"name", "dry"}}));
    EXPECT_EQ(ins.after["name"], "dry");
    // A constraint error surfaces and leaves the earlier dry-run write in place.
    EXPECT_EQ(db_->Insert("items", {{"id", 3}, {"name", "dry"}}).status().code(),
              StatusCode::kFailedPrecondition);
    auto upd = ASSERT_OK_R(db_->Update("items", {{"id", 2}}, {{"qty", 4}}));
    EXPECT_EQ(upd.before["name"], "dry");
    EXPECT_EQ(ASSERT_OK_R(db_->Execute("DELETE FROM items WHERE id = 1", nullptr)), 1);
    // The guest cannot commit the dry run.
    for (const char* sql : {"COMMIT", "END", "RELEASE SAVEPOINT ward_write", "ROLLBACK"}) {
      EXPECT_FALSE(db_->Execute(sql, nullptr).ok()) << sql;
    }
    EXPECT_EQ(ASSERT_OK_R(db_->Delete("items", {{"id", 2}})).before["qty"], 4);
  }
  EXPECT_EQ(Items(), before);
  // The database is usable for real writes afterwards.
  ASSERT_OK_R(db_->Insert("items", {{"id", 2}, {"name", "real"}}));
  EXPECT_EQ(Items().size(), 2u);
}

// --- Opening --------------------------------------------------------------------

TEST_P(SqlDatabaseTest, OpeningFailuresNameNoSecret) {
  if (IsPg()) {
    std::string url = cluster_->UrlDsn(db_name_);
    auto ok = OpenSqlDatabase({url});
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();  // TCP with the password works
    const std::string secret = "s3cr3t-pw";
    auto bad = OpenSqlDatabase(
        {"postgresql://ward:" + secret + "@127.0.0.1:" + std::to_string(cluster_->port()) + "/x"});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(bad.status().message().find(secret), std::string::npos);
  } else {
    auto missing = OpenSqlDatabase({dir_ + "/missing.db"});
    EXPECT_FALSE(missing.ok());
    EXPECT_FALSE(fs::exists(dir_ + "/missing.db"));  // never created
    EXPECT_TRUE(OpenSqlDatabase({"sqlite:" + dsn_}).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, SqlDatabaseTest,
                         ::testing::Values(SqlEngine::kSqlite, SqlEngine::kPostgres),
                         [](const auto& info) {
                           return info.param == SqlEngine::kSqlite ? "Sqlite" : "Postgres";
                         });

// --- Engine-specific attacks ---------------------------------------------------------

class SqliteAttackTest : public SqlDatabaseTest {};

TEST_P(SqliteAttackTest, NoStatementOpensAnotherFile) {
  const std::string outside = dir_ + "/outside.db";
  for (const std::string& sql :
       {"ATTACH DATABASE '" + outside + "' AS x", "VACUUM INTO '" + outside + "'"}) {
    EXPECT_FALSE(db_->Query(sql, nullptr).ok()) << sql;
    EXPECT_FALSE(db_->Execute(sql, nullptr).ok()) << sql;
    EXPECT_FALSE(fs::exists(outside)) << sql;
  }
}

TEST_P(SqliteAttackTest, PragmasCannotLiftTheReadOnlyGuard) {
  AddItems(1);
  auto r = db_->Query("PRAGMA query_only=0", nullptr);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(db_->Query("DELETE FROM items", nullptr).ok());
  EXPECT_FALSE(db_->Execute("PRAGMA foreign_keys=OFF", nullptr).ok());
  EXPECT_FALSE(db_->Execute("PRAGMA writable_schema=ON", nullptr).ok());
  // Reading pragmas still work.
  auto info = ASSERT_OK_R(db_->Query("PRAGMA table_info(items)", nullptr));
  EXPECT_EQ(info.rows.size(), 5u);
  EXPECT_EQ(Items().size(), 1u);
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The reading connection cannot write the database file, nor create another
// one, whatever the statement (the authorizer and SQLITE_OPEN_READONLY decide).
TEST_P(SqliteAttackTest, NoQueryWritesAnyFile) {
  AddItems(3);
  const std::string before = FileBytes(dsn_);
  const std::string outside = dir_ + "/x.db";
  for (const std::string& sql : {
           "ATTACH DATABASE '" + outside + "' AS x",
           "ATTACH '" + outside + "' AS x",
           "VACUUM INTO '" + outside + "'",
           std::string("VACUUM"),
           std::string("ANALYZE"),
           std::string("REINDEX"),
           std::string("PRAGMA optimize"),
           std::string("PRAGMA incremental_vacuum"),
           std::string("PRAGMA wal_checkpoint(TRUNCATE)"),
           std::string("PRAGMA journal_mode = WAL"),
           std::string("PRAGMA user_version = 7"),
           std::string("PRAGMA writable_schema = 1"),
           std::string("CREATE TEMP TABLE t (a)"),
           std::string("SELECT load_extension('/lib/x.so')"),
       }) {
    static_cast<void>(db_->Query(sql, nullptr));
    EXPECT_FALSE(fs::exists(outside)) << sql;
    EXPECT_EQ(FileBytes(dsn_), before) << sql;
  }
  EXPECT_FALSE(db_->Query("ATTACH DATABASE '" + outside + "' AS x", nullptr).ok());
  EXPECT_FALSE(db_->Query("VACUUM INTO '" + outside + "'", nullptr).ok());
  EXPECT_FALSE(db_->Query("PRAGMA user_version = 7", nullptr).ok());
  auto version = ASSERT_OK_R(db_->Query("PRAGMA user_version", nullptr));
  EXPECT_EQ(version.rows[0]["user_version"], 0);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteAttackTest, ::testing::Values(SqlEngine::kSqlite));

class PgAttackTest : public SqlDatabaseTest {};

TEST_P(PgAttackTest, ADataModifyingCteIsRefusedByTheReadOnlyTransaction) {
  AddItems(2);
  const json before = Items();
  auto r = db_->Query("WITH d AS (DELETE FROM items RETURNING *) SELECT count(*) FROM d", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("read-only"), std::string::npos);
  ASSERT_OK_R(db_->Execute("CREATE SEQUENCE counter", nullptr));
  r = db_->Query("SELECT nextval('counter')", nullptr);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_EQ(Items(), before);
}

TEST_P(PgAttackTest, SessionSettingsDoNotOutliveACall) {
  AddItems(1);
  EXPECT_FALSE(db_->Query("SET TRANSACTION READ WRITE; DELETE FROM items", nullptr).ok());
  ASSERT_OK_R(db_->Query("SET search_path TO pg_temp", nullptr));
  ASSERT_OK_R(db_->Execute("SET search_path TO pg_temp", nullptr));
  // Both connections still resolve `items` as before.
  EXPECT_EQ(Items().size(), 1u);
  EXPECT_TRUE(db_->Update("items", {{"id", 1}}, {{"qty", 2}}).ok());
}

TEST_P(PgAttackTest, AQueryLeavesNoLockBehind) {
  ASSERT_OK_R(db_->Query("SELECT pg_advisory_lock(42) IS NULL AS locked", nullptr));
  auto other = Open();
  ASSERT_NE(other, nullptr);
  auto got = ASSERT_OK_R(other->Query("SELECT pg_try_advisory_lock(42) AS got", nullptr));
  EXPECT_EQ(got.rows[0]["got"], true);
}

TEST_P(PgAttackTest, ValuesKeepOneTextFormWhateverTheSessionSet) {
  ASSERT_OK_R(
      db_->Execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, at TIMESTAMPTZ)", nullptr));
  auto ins = ASSERT_OK_R(db_->Insert("visits", {{"id", 1}, {"at", "2026-01-02 03:04:05+00"}}));
  EXPECT_EQ(ins.after["at"], "2026-01-02 03:04:05+00");
  ASSERT_OK_R(db_->Execute("SET TimeZone = 'America/New_York'", nullptr));
  ASSERT_OK_R(db_->Query("SET TimeZone = 'Asia/Tokyo'", nullptr));
  auto tz = ASSERT_OK_R(db_->Query("SELECT current_setting('TimeZone') AS tz", nullptr));
  EXPECT_EQ(tz.rows[0]["tz"], "UTC");
  // The post-image still matches, so the compensation applies.
  auto r = ASSERT_OK_R(db_->RestoreRow("visits", {{"id", 1}}, ins.after, ins.before));
  EXPECT_EQ(r.status, RestoreStatus::kRestored);
}

TEST_P(PgAttackTest, AKeyValueDsnWithItsOwnOptionsStillWorks) {
  auto db = OpenSqlDatabase({dsn_ + " options='-c search_path=public'"});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto r =
      ASSERT_OK_R((*db)->Query("SELECT current_setting('search_path') AS p, "
                               "current_setting('TimeZone') AS tz",
                               nullptr));
  EXPECT_EQ(r.rows[0], (json{{"p", "public"}, {"tz", "UTC"}}));
  EXPECT_EQ(OpenSqlDatabase({"host='unterminated"}).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(PgAttackTest, ALostConnectionIsUnavailableThenReconnects) {
  AddItems(1);
  auto killer = Open();
  ASSERT_NE(killer, nullptr);
  ASSERT_OK_R(
      killer->Query("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
                    "WHERE application_name = 'ward' AND datname = current_database() "
                    "AND pid <> pg_backend_pid()",
                    nullptr));
  // The first call learns the sessions are gone (or finds them already reset);
  // no statement ever runs half in one session and half in another.
  auto first = db_->Update("items", {{"id", 1}}, {{"qty", 5}});
  if (!first.ok()) {
    EXPECT_EQ(first.status().code(), StatusCode::kUnavailable) << first.status().ToString();
    first = db_->Update("items", {{"id", 1}}, {{"qty", 5}});
    if (!first.ok()) first = db_->Update("items", {{"id", 1}}, {{"qty", 5}});
  }
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(ASSERT_OK_R(db_->ReadRow("items", {{"id", 1}}))["qty"], 5);
}

TEST_P(PgAttackTest, TypesMapToJson) {
  auto r = ASSERT_OK_R(
      db_->Query("SELECT true AS b, 2::int8 AS i, 1.5::float8 AS f, 12.50::numeric AS n, "
                 "'{\"a\": [1]}'::jsonb AS j, 'NaN'::float8 AS nan, $1::boolean AS p",
                 json::array({false})));
  EXPECT_EQ(r.rows[0], (json{{"b", true},
                             {"i", 2},
                             {"f", 1.5},
                             {"n", "12.50"},
                             {"j", {{"a", {1}}}},
                             {"nan", "NaN"},
                             {"p", false}}));
}

TEST_P(PgAttackTest, StatementTimeoutIsTheServers) {
  SqlLimits limits;
  limits.statement_timeout = std::chrono::milliseconds(100);
  auto r = db_->Query("SELECT pg_sleep(30)", nullptr, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  // A statement that lifts the timeout while it runs does not escape it.
  const std::string lifting =
      "WITH RECURSIVE c(x) AS (SELECT length(set_config('statement_timeout', '0', $1)) "
      "UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c";
  for (bool local : {true, false}) {
    EXPECT_EQ(db_->Query(lifting, json::array({local}), limits).status().code(),
              StatusCode::kDeadlineExceeded);
  }
  auto db = Open(limits);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->Execute(lifting, json::array({false})).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(db->Execute("SELECT pg_sleep(30)", nullptr).status().code(),
            StatusCode::kDeadlineExceeded);
}

// What a role that may act could do through a read-only query, the ordinary
// role the connector runs as cannot: end or cancel another role's session, write
// or read server files, run a program.
TEST_P(PgAttackTest, AnOrdinaryRoleCannotActThroughARead) {
  AddItems(1);
  SqlDatabaseOptions privileged{cluster_->SuperuserSocketDsn(db_name_)};
  privileged.allow_privileged_role = true;
  auto other = OpenSqlDatabase(privileged);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto pid = ASSERT_OK_R((*other)->Query("SELECT pg_backend_pid() AS pid", nullptr));
  const json victim = json::array({pid.rows[0]["pid"]});
  for (const char* sql :
       {"SELECT pg_terminate_backend($1::int) AS t", "SELECT pg_cancel_backend($1::int) AS c"}) {
    auto r = db_->Query(sql, victim);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << sql << r.status().ToString();
  }
  EXPECT_TRUE((*other)->Query("SELECT 1 AS one", nullptr).ok()) << "the session was ended";

  // The server can write in its own directory: only privileges stand in the way.
  const std::string file = cluster_->dir() + "/" + db_name_ + "-copied";
  for (const std::string& sql : {
           "COPY items TO '" + file + "'",
           "COPY (SELECT 1) TO PROGRAM 'touch " + file + "'",
           "SELECT lo_export(1, '" + file + "')",
           std::string("SELECT pg_read_file('PG_VERSION') AS v"),
           std::string("SELECT lo_import('PG_VERSION') AS o"),
           std::string("SELECT count(*) AS n FROM pg_ls_dir('.')"),
       }) {
    auto r = db_->Query(sql, nullptr);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << sql << r.status().ToString();
    EXPECT_FALSE(fs::exists(file)) << sql;
  }
  // The risk the opt-in accepts: a superuser's read-only query writes a file.
  ASSERT_OK_R((*other)->Query("COPY items TO '" + file + "'", nullptr));
  EXPECT_TRUE(fs::exists(file));
}

// A role that could act through a read is refused at connect, naming why and the
// setting that accepts it; allow_privileged_role = true opens it.
TEST_P(PgAttackTest, APrivilegedRoleIsRefusedAtConnect) {
  auto refused = [](const std::string& dsn, const std::string& why) {
    auto db = OpenSqlDatabase({dsn});
    ASSERT_FALSE(db.ok()) << why;
    EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition) << db.status().ToString();
    EXPECT_NE(db.status().message().find(why), std::string::npos) << db.status().ToString();
    EXPECT_NE(db.status().message().find("allow_privileged_role = true"), std::string::npos)
        << db.status().ToString();
  };
  const std::string superuser = cluster_->SuperuserSocketDsn(db_name_);
  refused(superuser, "role \"ward\" is a superuser");
  // A session user that is a superuser could RESET ROLE back to itself.
  refused(superuser + " options='-c role=ward_app'", "role \"ward\" is a superuser");
  SqlDatabaseOptions opt_in{superuser};
  opt_in.allow_privileged_role = true;
  EXPECT_TRUE(OpenSqlDatabase(opt_in).ok());

  auto role_dsn = [&](const std::string& role) {
    std::string dsn = dsn_;
    dsn.replace(dsn.find("user=ward_app"), 13, "user=" + role);
    return dsn;
  };
  for (const char* granted : {"pg_signal_backend", "pg_execute_server_program",
                              "pg_write_server_files", "pg_read_server_files"}) {
    const std::string role = db_name_ + "_" + granted;
    ASSERT_TRUE(cluster_
                    ->RunAsSuperuser(db_name_, "CREATE ROLE " + role +
                                                   " LOGIN NOINHERIT; "
                                                   "GRANT " +
                                                   granted + " TO " + role)
                    .ok());
    refused(role_dsn(role), "is a member of " + std::string(granted));
    SqlDatabaseOptions allowed{role_dsn(role)};
    allowed.allow_privileged_role = true;
    EXPECT_TRUE(OpenSqlDatabase(allowed).ok()) << granted;
  }
  const std::string exporter = db_name_ + "_lo";
  ASSERT_TRUE(cluster_
                  ->RunAsSuperuser(db_name_, "CREATE ROLE " + exporter +
                                                 " LOGIN; GRANT EXECUTE ON FUNCTION "
                                                 "lo_export(oid, text) TO " +
                                                 exporter)
                  .ok());
  refused(role_dsn(exporter), "may execute lo_export");
  // A privilege held by a role it may SET ROLE to counts, inherited or not.
  const std::string member = db_name_ + "_member";
  ASSERT_TRUE(cluster_
                  ->RunAsSuperuser(db_name_, "CREATE ROLE " + member +
                                                 " LOGIN NOINHERIT; "
                                                 "GRANT " +
                                                 exporter + " TO " + member +
                                                 "; "
                                                 "GRANT EXECUTE ON FUNCTION pg_reload_conf() TO " +
                                                 exporter)
                  .ok());
  refused(role_dsn(member), "may execute lo_export, pg_reload_conf");
  const std::string admin_member = db_name_ + "_admin_member";
  ASSERT_TRUE(cluster_
                  ->RunAsSuperuser(db_name_, "CREATE ROLE " + admin_member +
                                                 " LOGIN NOINHERIT; GRANT ward TO " + admin_member)
                  .ok());
  refused(role_dsn(admin_member), "may SET ROLE to the superuser ward");
  // The ordinary role opens (the fixture's own database proves it too)…
  EXPECT_TRUE(OpenSqlDatabase({dsn_}).ok());
  // …until dblink, which PUBLIC may execute, lets it open another session.
  ASSERT_TRUE(cluster_->RunAsSuperuser(db_name_, "CREATE EXTENSION dblink").ok());
  refused(dsn_, "role \"ward_app\" may execute dblink");
  ASSERT_TRUE(
      cluster_
          ->RunAsSuperuser(db_name_, "REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC")
          .ok());
  EXPECT_TRUE(OpenSqlDatabase({dsn_}).ok());
}

INSTANTIATE_TEST_SUITE_P(Postgres, PgAttackTest, ::testing::Values(SqlEngine::kPostgres));

// --- DSNs ------------------------------------------------------------------------

TEST(SqlDsnTest, Forms) {
  EXPECT_EQ(ParseSqlDsn("/data/report.db")->engine, SqlEngine::kSqlite);
  EXPECT_EQ(ParseSqlDsn("sqlite:/data/report.db")->target, "/data/report.db");
  EXPECT_EQ(ParseSqlDsn("postgresql://h/db")->engine, SqlEngine::kPostgres);
  EXPECT_EQ(ParseSqlDsn("postgres://h/db")->engine, SqlEngine::kPostgres);
  EXPECT_EQ(ParseSqlDsn("host=h dbname=d")->engine, SqlEngine::kPostgres);
  EXPECT_FALSE(ParseSqlDsn("").ok());
  EXPECT_FALSE(ParseSqlDsn("sqlite:").ok());
  auto bad = ParseSqlDsn("mysql://u:topsecret@h/db");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("topsecret"), std::string::npos);
}

}  // namespace
}  // namespace ward::sql
