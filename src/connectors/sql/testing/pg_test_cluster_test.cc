// The throwaway PostgreSQL cluster: reachable over its socket and over TCP with
// its password (not without), as an ordinary role that owns each test database,
// owned by an unprivileged user when tests run as root, and gone — server and
// files — once destroyed.
#include "connectors/sql/testing/pg_test_cluster.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace ward::sql::testing {
namespace {

std::string QueryOne(const std::string& dsn, const char* sql) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  std::string out;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) out = PQgetvalue(r, 0, 0);
    PQclear(r);
  } else {
    out = std::string("error: ") + PQerrorMessage(conn);
  }
  PQfinish(conn);
  return out;
}

TEST(PgTestClusterTest, StartsServesAndCleansUp) {
  auto started = PgTestCluster::Start();
  if (!started.ok() && started.status().code() == StatusCode::kNotFound) {
    GTEST_SKIP() << "*** PostgreSQL NOT TESTED: " << started.status().message();
  }
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<PgTestCluster> cluster = std::move(started).value();
  const std::string dir = cluster->dir();

  EXPECT_EQ(QueryOne(cluster->SocketDsn("postgres"), "SELECT 1"), "1");
  auto db = cluster->CreateDatabase("probe");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(QueryOne(*db, "SELECT current_database()"), "probe");
  EXPECT_EQ(QueryOne(cluster->UrlDsn("probe"), "SELECT 2"), "2");
  // Tests connect as an ordinary role that owns its database; the superuser is
  // there for setting up.
  const char* kWho =
      "SELECT current_user || ' ' || rolsuper::text || ' ' || "
      "(SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database "
      " WHERE datname = current_database()) FROM pg_catalog.pg_roles WHERE rolname = current_user";
  EXPECT_EQ(QueryOne(*db, kWho), "ward_app false ward_app");
  EXPECT_EQ(QueryOne(cluster->UrlDsn("probe"), kWho), "ward_app false ward_app");
  EXPECT_EQ(QueryOne(cluster->SuperuserSocketDsn("probe"), kWho), "ward true ward_app");
  EXPECT_EQ(QueryOne(*db, "CREATE TABLE t (a int)"), "");  // the owner may create tables
  EXPECT_EQ(QueryOne(*db, "SELECT count(*) FROM t"), "0");
  // Over TCP the password is required: a wrong one is refused.
  const std::string wrong =
      "postgresql://ward:wrong@127.0.0.1:" + std::to_string(cluster->port()) + "/probe";
  EXPECT_EQ(QueryOne(wrong, "SELECT 3").rfind("error:", 0), 0u);
  EXPECT_FALSE(cluster->CreateDatabase("bad\"name").ok());

  if (geteuid() == 0) {
    struct stat st {};
    ASSERT_EQ(stat((dir + "/data").c_str(), &st), 0);
    const passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    EXPECT_EQ(st.st_uid, nobody->pw_uid) << "postgres must not run as root";
    EXPECT_EQ(QueryOne(cluster->SuperuserSocketDsn("postgres"),
                       "SELECT pg_catalog.current_setting('data_directory')"),
              dir + "/data");
  }

  const std::string socket_dsn = cluster->SocketDsn("postgres");
  cluster.reset();
  EXPECT_NE(PQping(socket_dsn.c_str()), PQPING_OK);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace ward::sql::testing
