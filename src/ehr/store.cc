#include "ehr/store.h"

#include <sqlite3.h>

#include <filesystem>
#include <unordered_map>

#include "util/hash.h"
#include "util/private_file.h"

namespace ward::ehr {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS resources(
  rid INTEGER PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, deleted INTEGER NOT NULL, json TEXT NOT NULL, UNIQUE(type, id));
CREATE TABLE IF NOT EXISTS history(
  type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  deleted INTEGER NOT NULL, method TEXT NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY(type, id, version)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_type_time ON history(type, updated_ms);
CREATE INDEX IF NOT EXISTS history_time ON history(updated_ms);
CREATE TABLE IF NOT EXISTS idx_token(rid INTEGER, type TEXT, param TEXT, system TEXT, code TEXT);
CREATE INDEX IF NOT EXISTS idx_token_q ON idx_token(type, param, code, system, rid);
CREATE INDEX IF NOT EXISTS idx_token_r ON idx_token(rid);
CREATE TABLE IF NOT EXISTS idx_string(rid INTEGER, type TEXT, param TEXT, norm TEXT, raw TEXT);
CREATE INDEX IF NOT EXISTS idx_string_q ON idx_string(type, param, norm, rid);
CREATE INDEX IF NOT EXISTS idx_string_r ON idx_string(rid);
CREATE TABLE IF NOT EXISTS idx_date(rid INTEGER, type TEXT, param TEXT, lo INTEGER, hi INTEGER);
CREATE INDEX IF NOT EXISTS idx_date_q ON idx_date(type, param, lo, hi, rid);
CREATE INDEX IF NOT EXISTS idx_date_r ON idx_date(rid);
CREATE TABLE IF NOT EXISTS idx_ref(rid INTEGER, type TEXT, param TEXT, ttype TEXT, tid TEXT, url TEXT);
CREATE INDEX IF NOT EXISTS idx_ref_q ON idx_ref(type, param, tid, ttype, rid);
CREATE INDEX IF NOT EXISTS idx_ref_r ON idx_ref(rid);
CREATE TABLE IF NOT EXISTS idx_quantity(rid INTEGER, type TEXT, param TEXT, value REAL, system TEXT, code TEXT);
CREATE INDEX IF NOT EXISTS idx_quantity_q ON idx_quantity(type, param, value, rid);
CREATE INDEX IF NOT EXISTS idx_quantity_r ON idx_quantity(rid);
)sql";

constexpr const char* kResourceColumns = "rid, type, id, version, updated_ms, deleted, json";

}  // namespace

struct Store::Conn {
  sqlite3* db = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> stmts;

  ~Conn() {
    for (auto& [sql, s] : stmts) sqlite3_finalize(s);
    if (db) sqlite3_close(db);
  }

  Status Error(const std::string& what) const {
    return Internal(what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
  }

  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return Internal(std::string("sqlite: ") + msg);
    }
    return Status::Ok();
  }

  // Resets every statement still holding a row, so that ending the transaction
  // also releases its read snapshot.
  void ResetBusy() {
    for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s; s = sqlite3_next_stmt(db, s)) {
      if (sqlite3_stmt_busy(s)) sqlite3_reset(s);
    }
  }

  // Runs a parameterless statement (BEGIN, COMMIT, ...) through the cache.
  Status Run(const std::string& sql);

  // A cached prepared statement, reset and unbound.
  Result<sqlite3_stmt*> Prepare(const std::string& sql) {
    auto it = stmts.find(sql);
    if (it != stmts.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      return Error("prepare " + sql.substr(0, 80));
    }
    if (stmts.size() > 256) {  // dynamic search SQL: keep the cache bounded
      for (auto& [k, v] : stmts) sqlite3_finalize(v);
      stmts.clear();
    }
    stmts.emplace(sql, s);
    return s;
  }
};

Status Store::Conn::Run(const std::string& sql) {
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(sql));
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(sql);
  return Status::Ok();
}

namespace {

void Bind(sqlite3_stmt* s, int i, const SqlValue& v) {
  if (auto* n = std::get_if<int64_t>(&v)) {
    sqlite3_bind_int64(s, i, *n);
  } else if (auto* d = std::get_if<double>(&v)) {
    sqlite3_bind_double(s, i, *d);
  } else {
    const auto& str = std::get<std::string>(v);
    sqlite3_bind_text(s, i, str.data(), static_cast<int>(str.size()), SQLITE_TRANSIENT);
  }
}

void BindAll(sqlite3_stmt* s, const std::vector<SqlValue>& binds) {
  for (size_t i = 0; i < binds.size(); ++i) Bind(s, static_cast<int>(i + 1), binds[i]);
}

std::string Text(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s, col)) : "";
}

StoredResource ReadResourceRow(sqlite3_stmt* s) {
  StoredResource r;
  r.rid = sqlite3_column_int64(s, 0);
  r.type = Text(s, 1);
  r.id = Text(s, 2);
  r.version = sqlite3_column_int64(s, 3);
  r.updated_ms = sqlite3_column_int64(s, 4);
  r.deleted = sqlite3_column_int(s, 5) != 0;
  r.json = Text(s, 6);
  return r;
}

// Runs `s` to completion; DONE is success.
Status StepDone(Store::Conn* c, sqlite3_stmt* s, const char* what) {
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return c->Error(what);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store());
  store->path_ = options.path;
  if (store->path_.empty()) {
    std::error_code ec;
    auto dir = std::filesystem::temp_directory_path(ec);
    if (ec) return Internal("no temporary directory: " + ec.message());
    store->path_ = (dir / ("ward-ehr-" + RandomHex(8) + ".db")).string();
    store->temporary_ = true;
  }
  WARD_ASSIGN_OR_RETURN(store->writer_, store->Connect());
  WARD_RETURN_IF_ERROR(store->writer_->Exec("PRAGMA journal_mode=WAL"));
  WARD_RETURN_IF_ERROR(store->writer_->Exec(kSchema));
  return store;
}

Store::~Store() {
  readers_.clear();
  writer_.reset();
  if (temporary_) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
  }
}

Result<std::unique_ptr<Store::Conn>> Store::Connect() {
  auto conn = std::make_unique<Conn>();
  WARD_RETURN_IF_ERROR(MakePrivateDatabase(path_));  // the records are the owner's only
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path_.c_str(), &conn->db, flags, nullptr) != SQLITE_OK) {
    return conn->Error("cannot open " + path_);
  }
  sqlite3_busy_timeout(conn->db, 10000);
  WARD_RETURN_IF_ERROR(
      conn->Exec("PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;"));
  return conn;
}

void Store::Release(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (readers_.size() < 64) readers_.push_back(std::move(conn));
}

Result<Store::Session> Store::BeginRead(bool snapshot) {
  std::unique_ptr<Conn> conn;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!readers_.empty()) {
      conn = std::move(readers_.back());
      readers_.pop_back();
    }
  }
  if (!conn) {
    WARD_ASSIGN_OR_RETURN(conn, Connect());
  }
  Session session(this, std::move(conn), std::unique_lock<std::mutex>());
  if (snapshot) {
    WARD_RETURN_IF_ERROR(session.conn_->Run("BEGIN"));
  } else {
    session.open_ = false;
  }
  return session;
}

Result<Store::Session> Store::BeginWrite() {
  std::unique_lock<std::mutex> lock(writer_mu_);
  WARD_RETURN_IF_ERROR(writer_->Run("BEGIN IMMEDIATE"));
  return Session(this, std::move(writer_), std::move(lock));
}

Store::Session::Session(Store* store, std::unique_ptr<Conn> conn, std::unique_lock<std::mutex> lock)
    : store_(store), conn_(std::move(conn)), lock_(std::move(lock)) {}

Store::Session::Session(Session&& o) noexcept
    : store_(o.store_), conn_(std::move(o.conn_)), lock_(std::move(o.lock_)), open_(o.open_) {
  o.open_ = false;
}

Store::Session::~Session() {
  if (!conn_) return;
  conn_->ResetBusy();
  if (open_) (void)conn_->Run("ROLLBACK");
  if (lock_.owns_lock()) {
    store_->writer_ = std::move(conn_);
  } else {
    store_->Release(std::move(conn_));
  }
}

Status Store::Session::Commit() {
  if (!open_) return FailedPrecondition("session already finished");
  open_ = false;
  conn_->ResetBusy();
  return conn_->Run("COMMIT");
}

Result<std::optional<StoredResource>> Store::Session::Current(const std::string& type,
                                                              const std::string& id) {
  static const std::string kSql =
      std::string("SELECT ") + kResourceColumns + " FROM resources WHERE type=?1 AND id=?2";
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(kSql));
  sqlite3_bind_text(s, 1, type.data(), static_cast<int>(type.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 2, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::optional<StoredResource>();
  if (rc != SQLITE_ROW) return conn_->Error("read " + type + "/" + id);
  return std::optional<StoredResource>(ReadResourceRow(s));
}

Result<std::optional<StoredResource>> Store::Session::Version(const std::string& type,
                                                              const std::string& id,
                                                              int64_t version) {
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        conn_->Prepare("SELECT 0, type, id, version, updated_ms, deleted, json "
                                       "FROM history WHERE type=?1 AND id=?2 AND version=?3"));
  BindAll(s, {type, id, version});
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::optional<StoredResource>();
  if (rc != SQLITE_ROW) return conn_->Error("vread " + type + "/" + id);
  return std::optional<StoredResource>(ReadResourceRow(s));
}

namespace {

// WHERE clause and binds for a history query.
std::string HistoryWhere(const std::string& type, const std::string& id, int64_t since_ms,
                         std::vector<SqlValue>* binds) {
  std::string where = " WHERE updated_ms >= ?";
  binds->push_back(since_ms);
  if (!type.empty()) {
    where += " AND type = ?";
    binds->push_back(type);
  }
  if (!id.empty()) {
    where += " AND id = ?";
    binds->push_back(id);
  }
  return where;
}

}  // namespace

Result<std::vector<StoredResource>> Store::Session::History(const std::string& type,
                                                            const std::string& id, int64_t since_ms,
                                                            int64_t limit) {
  std::vector<SqlValue> binds;
  std::string sql = "SELECT 0, type, id, version, updated_ms, deleted, json, method FROM history" +
                    HistoryWhere(type, id, since_ms, &binds) +
                    " ORDER BY updated_ms DESC, version DESC LIMIT ?";
  binds.push_back(limit);
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql));
  BindAll(s, binds);
  std::vector<StoredResource> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    out.push_back(ReadResourceRow(s));
    out.back().method = Text(s, 7);
  }
  if (rc != SQLITE_DONE) return conn_->Error("history");
  return out;
}

Result<int64_t> Store::Session::CountHistory(const std::string& type, const std::string& id,
                                             int64_t since_ms) {
  std::vector<SqlValue> binds;
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare("SELECT count(*) FROM history" +
                                                         HistoryWhere(type, id, since_ms, &binds)));
  BindAll(s, binds);
  if (sqlite3_step(s) != SQLITE_ROW) return conn_->Error("count history");
  return static_cast<int64_t>(sqlite3_column_int64(s, 0));
}

Status Store::Session::Write(const StoredResource& rec, const IndexRows& index) {
  if (!is_write()) return FailedPrecondition("write in a read session");
  WARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * up,
      conn_->Prepare("INSERT INTO resources(type, id, version, updated_ms, deleted, json) "
                     "VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(type, id) DO UPDATE SET "
                     "version=excluded.version, updated_ms=excluded.updated_ms, "
                     "deleted=excluded.deleted, json=excluded.json RETURNING rid"));
  BindAll(up, {rec.type, rec.id, rec.version, rec.updated_ms, int64_t{rec.deleted}, rec.json});
  if (sqlite3_step(up) != SQLITE_ROW) return conn_->Error("write " + rec.type + "/" + rec.id);
  int64_t rid = sqlite3_column_int64(up, 0);
  WARD_RETURN_IF_ERROR(StepDone(conn_.get(), up, "write"));
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * hist,
                        conn_->Prepare("INSERT INTO history(type, id, version, updated_ms, "
                                       "deleted, method, json) VALUES(?1,?2,?3,?4,?5,?6,?7)"));
  BindAll(hist, {rec.type, rec.id, rec.version, rec.updated_ms, int64_t{rec.deleted}, rec.method,
                 rec.json});
  WARD_RETURN_IF_ERROR(StepDone(conn_.get(), hist, "history"));
  return WriteIndex(rid, rec.type, index);
}

Status Store::Session::WriteIndex(int64_t rid, const std::string& type, const IndexRows& ix) {
  for (const char* table : {"idx_token", "idx_string", "idx_date", "idx_ref", "idx_quantity"}) {
    WARD_ASSIGN_OR_RETURN(sqlite3_stmt * del,
                          conn_->Prepare(std::string("DELETE FROM ") + table + " WHERE rid=?1"));
    BindAll(del, {rid});
    WARD_RETURN_IF_ERROR(StepDone(conn_.get(), del, "index delete"));
  }
  auto insert = [&](const char* sql, std::vector<SqlValue> binds) -> Status {
    WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql));
    BindAll(s, binds);
    return StepDone(conn_.get(), s, "index insert");
  };
  for (const auto& t : ix.tokens) {
    WARD_RETURN_IF_ERROR(insert("INSERT INTO idx_token VALUES(?1,?2,?3,?4,?5)",
                                {rid, type, t.param, t.system, t.code}));
  }
  for (const auto& t : ix.strings) {
    WARD_RETURN_IF_ERROR(insert("INSERT INTO idx_string VALUES(?1,?2,?3,?4,?5)",
                                {rid, type, t.param, t.norm, t.raw}));
  }
  for (const auto& d : ix.dates) {
    WARD_RETURN_IF_ERROR(
        insert("INSERT INTO idx_date VALUES(?1,?2,?3,?4,?5)", {rid, type, d.param, d.lo, d.hi}));
  }
  for (const auto& r : ix.refs) {
    WARD_RETURN_IF_ERROR(insert("INSERT INTO idx_ref VALUES(?1,?2,?3,?4,?5,?6)",
                                {rid, type, r.param, r.target_type, r.target_id, r.url}));
  }
  for (const auto& q : ix.quantities) {
    WARD_RETURN_IF_ERROR(insert("INSERT INTO idx_quantity VALUES(?1,?2,?3,?4,?5,?6)",
                                {rid, type, q.param, q.value, q.system, q.code}));
  }
  return Status::Ok();
}

Result<std::vector<int64_t>> Store::Session::SelectRids(const std::string& sql,
                                                        const std::vector<SqlValue>& binds) {
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql));
  BindAll(s, binds);
  std::vector<int64_t> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(sqlite3_column_int64(s, 0));
  if (rc != SQLITE_DONE) return conn_->Error("search");
  return out;
}

Result<std::vector<StoredResource>> Store::Session::FetchByRid(const std::vector<int64_t>& rids) {
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        conn_->Prepare(std::string("SELECT ") + kResourceColumns +
                                       " FROM resources WHERE rid=?1 AND deleted=0"));
  std::vector<StoredResource> out;
  out.reserve(rids.size());
  for (int64_t rid : rids) {
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, rid);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      out.push_back(ReadResourceRow(s));
    } else if (rc != SQLITE_DONE) {
      return conn_->Error("fetch");
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> Store::Session::ReferenceTargets(
    const std::vector<int64_t>& rids, const std::string& param, const std::string& target_type) {
  WARD_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        conn_->Prepare("SELECT ttype, tid FROM idx_ref WHERE rid=?1 AND "
                                       "param=?2 AND tid != '' AND (?3 = '' OR ttype = ?3)"));
  std::vector<std::pair<std::string, std::string>> out;
  for (int64_t rid : rids) {
    sqlite3_reset(s);
    BindAll(s, {rid, param, target_type});
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      std::pair<std::string, std::string> t{Text(s, 0), Text(s, 1)};
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return conn_->Error("include");
  }
  return out;
}

}  // namespace ward::ehr
