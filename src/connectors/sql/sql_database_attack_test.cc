// SqlDatabase attacks particular to one engine — SQLite files and pragmas,
// PostgreSQL sessions, roles and server-side functions — on the same real
// databases as sql_database_test.cc (testing/sql_database_fixture.h).
#include "connectors/sql/testing/sql_database_fixture.h"

namespace ward::sql {
namespace {

using nlohmann::json;
using sql_test::FakeAdvancingClock;
using sql_test::SqlDatabaseTest;
namespace fs = std::filesystem;

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
