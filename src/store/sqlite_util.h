// Thin RAII helpers over the SQLite C API, returning Status instead of codes.
// Not thread-safe by themselves; callers serialise use of one connection.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "util/status.h"

namespace ward {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;

// Opens `path` read-write (creating it), WAL journal, foreign keys on, 10 s busy
// timeout ($WARD_STORE_BUSY_TIMEOUT_MS overrides it). InvalidArgument naming the
// path when it cannot be opened.
Result<SqliteDb> OpenSqliteDb(const std::string& path);

// Runs one or more statements that return no rows.
Status ExecSql(sqlite3* db, const std::string& sql);
// The same inside BEGIN IMMEDIATE ... COMMIT (rolled back on error): all or nothing,
// and a second process doing the same waits its turn instead of failing busy.
Status ExecSqlInTransaction(sqlite3* db, const std::string& sql);

// Prepared statements kept for the life of a connection, keyed by their SQL, so a
// hot path parses each statement once. At most `capacity` are kept: a Stmt for
// another SQL text once it is full prepares its own (so text built per request,
// e.g. search SQL, cannot grow it without bound). Destroy it before the connection.
class StmtCache {
 public:
  explicit StmtCache(sqlite3* db, size_t capacity = SIZE_MAX) : db_(db), capacity_(capacity) {}
  ~StmtCache();
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;

  sqlite3* db() const { return db_; }
  // The cached statement for `sql`, prepared on first use; nullptr when it does
  // not prepare (the error is then in sqlite3_errmsg(db())).
  sqlite3_stmt* Get(const std::string& sql);
  // True when Get(sql) would return a cached statement (held, or room for it).
  bool Caches(const std::string& sql) const {
    return statements_.size() < capacity_ || statements_.count(sql) > 0;
  }

 private:
  sqlite3* db_;
  size_t capacity_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// A prepared statement. A preparation error is remembered and returned by the
// first Step()/Run(), so call sites stay linear. Built from a StmtCache it borrows
// the cached statement (or, when the cache is full, prepares its own) and resets it
// when done.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql);
  Stmt(StmtCache& cache, const std::string& sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int index, const std::string& value);
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, double value);
  Stmt& Bind(int index, const char* value) { return Bind(index, std::string(value)); }
  Stmt& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Stmt& BindNull(int index);

  // Advances; true when a row is available.
  Result<bool> Step();
  // Steps to completion (for statements that return no rows).
  Status Run();
  Status Reset();

  std::string Text(int column) const;
  int64_t Int(int column) const;
  bool IsNull(int column) const;

 private:
  Status Error(const char* what) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool borrowed_ = false;
  Status prepare_status_;
};

// Steps `s` to its end, turning each row into a T with `read(s)` (a T, or a
// Result<T> whose error ends the read).
template <typename T, typename Read>
Result<std::vector<T>> ReadRows(Stmt& s, Read read) {
  std::vector<T> out;
  while (true) {
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    if constexpr (std::is_same_v<decltype(read(s)), Result<T>>) {
      WARD_ASSIGN_OR_RETURN(T value, read(s));
      out.push_back(std::move(value));
    } else {
      out.push_back(read(s));
    }
  }
}

// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction();
  Status Begin();
  Status Commit();

 private:
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace ward
