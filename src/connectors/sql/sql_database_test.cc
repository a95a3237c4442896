// SqlDatabase against a real SQLite file and a real PostgreSQL cluster: the same
// tests run on both (the fixture in testing/sql_database_fixture.h). Each
// engine's own attacks are in sql_database_attack_test.cc.
#include "connectors/sql/testing/sql_database_fixture.h"

namespace ward::sql {

namespace {

using nlohmann::json;
using sql_test::FakeAdvancingClock;
using sql_test::SqlDatabaseTest;
namespace fs = std::filesystem;

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

}  // namespace
}  // namespace ward::sql
