#include "store/sqlite_util.h"

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "util/private_file.h"

namespace ward {

namespace {

constexpr int kDefaultBusyTimeoutMs = 10'000;

// How long a store call waits for another connection's write lock: 10 s, or
// $WARD_STORE_BUSY_TIMEOUT_MS (a positive number of milliseconds; tests shorten it).
int BusyTimeoutMs() {
  const char* env = std::getenv("WARD_STORE_BUSY_TIMEOUT_MS");
  if (!env || !*env) return kDefaultBusyTimeoutMs;
  char* end = nullptr;
  long ms = std::strtol(env, &end, 10);
  return *end == '\0' && ms > 0 && ms <= 3'600'000 ? static_cast<int>(ms) : kDefaultBusyTimeoutMs;
}

}  // namespace

Result<SqliteDb> OpenSqliteDb(const std::string& path) {
  // ward does not read SQLite's memory statistics; keeping them costs a mutex per
  // allocation. Only possible before SQLite initialises (else a harmless misuse code).
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  // ward's data is the owner's only: the file (and so its -wal and -shm) is 0600.
  WARD_RETURN_IF_ERROR(MakePrivateDatabase(path));
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    return InvalidArgument("cannot open store " + path + ": " +
                           (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  const int busy_timeout_ms = BusyTimeoutMs();
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  // Turning a new file into WAL needs it to itself and SQLite reports a clash with
  // another process opening it at the same moment at once, without the busy
  // handler: retry for as long as the busy timeout.
  Status s;
  for (int waited_ms = 0;; waited_ms += 5) {
    s = ExecSql(db.get(), "PRAGMA journal_mode=WAL");
    if (s.code() != StatusCode::kUnavailable || waited_ms >= busy_timeout_ms) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (s.ok()) s = ExecSql(db.get(), "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  if (!s.ok()) return InvalidArgument("cannot use store " + path + ": " + s.message());
  return db;
}

Status ExecSqlInTransaction(sqlite3* db, const std::string& sql) {
  Transaction tx(db);
  WARD_RETURN_IF_ERROR(tx.Begin());
  WARD_RETURN_IF_ERROR(ExecSql(db, sql));
  return tx.Commit();
}

Status ExecSql(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string message = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Unavailable("store busy: " + message);
  return Internal("sqlite: " + message);
}

StmtCache::~StmtCache() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

sqlite3_stmt* StmtCache::Get(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK)
    return nullptr;
  statements_.emplace(sql, stmt);
  return stmt;
}

Stmt::Stmt(sqlite3* db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
    prepare_status_ = Internal(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
  }
}

Stmt::Stmt(StmtCache& cache, const std::string& sql) : db_(cache.db()) {
  if (!cache.Caches(sql)) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      prepare_status_ = Internal(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
    }
    return;
  }
  borrowed_ = true;
  stmt_ = cache.Get(sql);
  if (!stmt_) prepare_status_ = Internal(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
}

Stmt::~Stmt() {
  if (!borrowed_) {
    sqlite3_finalize(stmt_);
  } else if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int index, const std::string& value) {
  if (stmt_)
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::Bind(int index, int64_t value) {
  if (stmt_) sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Stmt& Stmt::Bind(int index, double value) {
  if (stmt_) sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  if (stmt_) sqlite3_bind_null(stmt_, index);
  return *this;
}

Status Stmt::Error(const char* what) const {
  int rc = sqlite3_errcode(db_);
  std::string message = std::string(what) + ": " + sqlite3_errmsg(db_);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Unavailable("store busy: " + message);
  if (rc == SQLITE_CONSTRAINT) return FailedPrecondition(message);
  return Internal(message);
}

Result<bool> Stmt::Step() {
  if (!prepare_status_.ok()) return prepare_status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error("sqlite step");
}

Status Stmt::Run() {
  while (true) {
    WARD_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

Status Stmt::Reset() {
  if (!prepare_status_.ok()) return prepare_status_;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return Status::Ok();
}

std::string Stmt::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Stmt::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Begin() {
  WARD_RETURN_IF_ERROR(ExecSql(db_, "BEGIN IMMEDIATE"));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  WARD_RETURN_IF_ERROR(ExecSql(db_, "COMMIT"));
  open_ = false;
  return Status::Ok();
}

}  // namespace ward
