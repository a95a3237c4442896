#include "ehr/store.h"

#include <algorithm>
#include <filesystem>
#include <variant>

#include "store/sqlite_util.h"
#include "util/hash.h"

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

// A connection and its statement cache (bounded: search SQL is built per request).
// `cache` is declared after `db` so that it is destroyed first.
struct Store::Conn {
  static constexpr size_t kMaxCachedStatements = 256;

  explicit Conn(SqliteDb opened) : db(std::move(opened)), cache(db.get(), kMaxCachedStatements) {}

  // Runs a parameterless statement (BEGIN, COMMIT, ...) through the cache.
  Status Run(const std::string& sql) { return Stmt(cache, sql).Run(); }

  SqliteDb db;
  StmtCache cache;
};

namespace {

void BindAll(Stmt& s, const std::vector<SqlValue>& binds) {
  for (size_t i = 0; i < binds.size(); ++i) {
    std::visit([&](const auto& v) { s.Bind(static_cast<int>(i + 1), v); }, binds[i]);
  }
}

StoredResource ReadResourceRow(const Stmt& s) {
  StoredResource r;
  r.rid = s.Int(0);
  r.type = s.Text(1);
  r.id = s.Text(2);
  r.version = s.Int(3);
  r.updated_ms = s.Int(4);
  r.deleted = s.Int(5) != 0;
  r.json = s.Text(6);
  return r;
}

// At most one row: the resource it holds, or nullopt.
Result<std::optional<StoredResource>> ReadOptionalResource(Stmt& s, const std::string& what) {
  auto row = s.Step();
  if (!row.ok()) return row.status().WithContext(what);
  if (!*row) return std::optional<StoredResource>();
  return std::optional<StoredResource>(ReadResourceRow(s));
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
  WARD_RETURN_IF_ERROR(ExecSql(store->writer_->db.get(), kSchema));
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

// The shared opener makes the file the owner's only (the records are PHI) and
// turns on WAL and a busy timeout; the EHR adds its cache settings.
Result<std::unique_ptr<Store::Conn>> Store::Connect() {
  WARD_ASSIGN_OR_RETURN(SqliteDb db, OpenSqliteDb(path_));
  WARD_RETURN_IF_ERROR(ExecSql(db.get(), "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;"));
  return std::make_unique<Conn>(std::move(db));
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

// Every statement of a session is reset when its Stmt goes out of scope, so ending
// the transaction here also releases its read snapshot.
Store::Session::~Session() {
  if (!conn_) return;
  // A failed ROLLBACK leaves nothing committed: SQLite has ended the transaction
  // already, or rolls it back when the connection closes.
  if (open_) static_cast<void>(conn_->Run("ROLLBACK"));
  if (lock_.owns_lock()) {
    store_->writer_ = std::move(conn_);
  } else {
    store_->Release(std::move(conn_));
  }
}

Status Store::Session::Commit() {
  if (!open_) return FailedPrecondition("session already finished");
  open_ = false;
  return conn_->Run("COMMIT");
}

Result<std::optional<StoredResource>> Store::Session::Current(const std::string& type,
                                                              const std::string& id) {
  static const std::string kSql =
      std::string("SELECT ") + kResourceColumns + " FROM resources WHERE type=?1 AND id=?2";
  Stmt s(conn_->cache, kSql);
  s.Bind(1, type).Bind(2, id);
  return ReadOptionalResource(s, "read " + type + "/" + id);
}

Result<std::optional<StoredResource>> Store::Session::Version(const std::string& type,
                                                              const std::string& id,
                                                              int64_t version) {
  Stmt s(conn_->cache,
         "SELECT 0, type, id, version, updated_ms, deleted, json "
         "FROM history WHERE type=?1 AND id=?2 AND version=?3");
  BindAll(s, {type, id, version});
  return ReadOptionalResource(s, "vread " + type + "/" + id);
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
  Stmt s(conn_->cache, sql);
  BindAll(s, binds);
  auto rows = ReadRows<StoredResource>(s, [](const Stmt& row) {
    StoredResource r = ReadResourceRow(row);
    r.method = row.Text(7);
    return r;
  });
  if (!rows.ok()) return rows.status().WithContext("history");
  return rows;
}

Result<int64_t> Store::Session::CountHistory(const std::string& type, const std::string& id,
                                             int64_t since_ms) {
  std::vector<SqlValue> binds;
  Stmt s(conn_->cache, "SELECT count(*) FROM history" + HistoryWhere(type, id, since_ms, &binds));
  BindAll(s, binds);
  auto row = s.Step();
  if (!row.ok()) return row.status().WithContext("count history");
  if (!*row) return Internal("count history: no row");
  return s.Int(0);
}

Status Store::Session::Write(const StoredResource& rec, const IndexRows& index) {
  if (!is_write()) return FailedPrecondition("write in a read session");
  int64_t rid = 0;
  {
    Stmt up(conn_->cache,
            "INSERT INTO resources(type, id, version, updated_ms, deleted, json) "
            "VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(type, id) DO UPDATE SET "
            "version=excluded.version, updated_ms=excluded.updated_ms, "
            "deleted=excluded.deleted, json=excluded.json RETURNING rid");
    BindAll(up, {rec.type, rec.id, rec.version, rec.updated_ms, int64_t{rec.deleted}, rec.json});
    auto row = up.Step();
    if (!row.ok()) return row.status().WithContext("write " + rec.type + "/" + rec.id);
    if (!*row) return Internal("write " + rec.type + "/" + rec.id + ": no rid returned");
    rid = up.Int(0);
    WARD_RETURN_IF_ERROR(up.Run().WithContext("write"));
  }
  Stmt hist(conn_->cache,
            "INSERT INTO history(type, id, version, updated_ms, "
            "deleted, method, json) VALUES(?1,?2,?3,?4,?5,?6,?7)");
  BindAll(hist, {rec.type, rec.id, rec.version, rec.updated_ms, int64_t{rec.deleted}, rec.method,
                 rec.json});
  WARD_RETURN_IF_ERROR(hist.Run().WithContext("history"));
  return WriteIndex(rid, rec.type, index);
}

Status Store::Session::WriteIndex(int64_t rid, const std::string& type, const IndexRows& ix) {
  auto run = [&](const std::string& sql, const std::vector<SqlValue>& binds,
                 const char* what) -> Status {
    Stmt s(conn_->cache, sql);
    BindAll(s, binds);
    return s.Run().WithContext(what);
  };
  for (const char* table : {"idx_token", "idx_string", "idx_date", "idx_ref", "idx_quantity"}) {
    WARD_RETURN_IF_ERROR(
        run(std::string("DELETE FROM ") + table + " WHERE rid=?1", {rid}, "index delete"));
  }
  auto insert = [&](const char* sql, const std::vector<SqlValue>& binds) {
    return run(sql, binds, "index insert");
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
  Stmt s(conn_->cache, sql);
  BindAll(s, binds);
  auto rids = ReadRows<int64_t>(s, [](const Stmt& row) { return row.Int(0); });
  if (!rids.ok()) return rids.status().WithContext("search");
  return rids;
}

Result<std::vector<StoredResource>> Store::Session::FetchByRid(const std::vector<int64_t>& rids) {
  Stmt s(conn_->cache,
         std::string("SELECT ") + kResourceColumns + " FROM resources WHERE rid=?1 AND deleted=0");
  std::vector<StoredResource> out;
  out.reserve(rids.size());
  for (int64_t rid : rids) {
    WARD_RETURN_IF_ERROR(s.Reset());
    s.Bind(1, rid);
    WARD_ASSIGN_OR_RETURN(auto found, ReadOptionalResource(s, "fetch"));
    if (found) out.push_back(std::move(*found));
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> Store::Session::ReferenceTargets(
    const std::vector<int64_t>& rids, const std::string& param, const std::string& target_type) {
  Stmt s(conn_->cache,
         "SELECT ttype, tid FROM idx_ref WHERE rid=?1 AND "
         "param=?2 AND tid != '' AND (?3 = '' OR ttype = ?3)");
  std::vector<std::pair<std::string, std::string>> out;
  for (int64_t rid : rids) {
    WARD_RETURN_IF_ERROR(s.Reset());
    BindAll(s, {rid, param, target_type});
    auto targets = ReadRows<std::pair<std::string, std::string>>(
        s, [](const Stmt& row) { return std::make_pair(row.Text(0), row.Text(1)); });
    if (!targets.ok()) return targets.status().WithContext("include");
    for (auto& t : *targets) {
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace ward::ehr
