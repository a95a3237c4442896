// The SqlDatabase test fixture: a real SQLite file or a real PostgreSQL database
// (from the shared throwaway cluster, skipped loudly only when the server
// binaries are missing), with the same small schema, for the tests that run on
// both engines (sql_database_test.cc) and each engine's own attacks
// (sql_database_attack_test.cc).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/sql/sql_database.h"
#include "connectors/sql/testing/pg_test_cluster.h"

namespace ward::sql {

// gtest prints the engine of a failing parametrized test by name.
inline void PrintTo(SqlEngine engine, std::ostream* os) {
  *os << (engine == SqlEngine::kSqlite ? "SQLite" : "PostgreSQL");
}

namespace sql_test {

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

}  // namespace sql_test
}  // namespace ward::sql
