// The shared SQLite helpers: a statement cache bounded in size keeps working past
// its capacity (statements beyond it are prepared per use), and values of every
// bound type round-trip.
#include "store/sqlite_util.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

SqliteDb OpenMemory() {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  return SqliteDb(raw);
}

TEST(SqliteUtilTest, ABoundedCacheServesEveryStatement) {
  SqliteDb db = OpenMemory();
  ASSERT_TRUE(ExecSql(db.get(), "CREATE TABLE t(a INTEGER, b REAL, c TEXT)").ok());
  StmtCache cache(db.get(), /*capacity=*/2);
  for (int i = 0; i < 5; ++i) {
    // Five distinct texts through a cache of two: the last three are uncached.
    Stmt insert(cache, "INSERT INTO t VALUES(?1, ?2, ?3) -- " + std::to_string(i));
    insert.Bind(1, int64_t{i}).Bind(2, i + 0.5).Bind(3, "row");
    ASSERT_TRUE(insert.Run().ok());
  }
  EXPECT_FALSE(cache.Caches("SELECT 1"));
  EXPECT_TRUE(cache.Caches("INSERT INTO t VALUES(?1, ?2, ?3) -- 0"));
  Stmt sum(cache, "SELECT sum(a), sum(b) = 12.5, count(c) FROM t");
  auto row = sum.Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sum.Int(0), 10);
  EXPECT_EQ(sum.Int(1), 1);  // the doubles were bound as doubles
  EXPECT_EQ(sum.Int(2), 5);
}

TEST(SqliteUtilTest, APreparationErrorSurfacesAtTheFirstStep) {
  SqliteDb db = OpenMemory();
  StmtCache cache(db.get(), 1);
  Stmt bad(cache, "SELECT FROM nowhere");
  EXPECT_FALSE(bad.Run().ok());
  Stmt good(cache, "SELECT 1");
  EXPECT_TRUE(good.Run().ok());
}

}  // namespace
}  // namespace ward
