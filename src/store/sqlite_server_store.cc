// SQLite implementation of ServerStore. See server_store.h for the contract.
#include <mutex>

#include "store/server_store.h"
#include "store/sqlite_util.h"

namespace ward {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
  id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, user TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '', csrf TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL DEFAULT 0, revoked_ms INTEGER NOT NULL DEFAULT 0,
  last_used_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS credentials_by_user ON credentials(user, created_ms);
CREATE TABLE IF NOT EXISTS auth_generation (id INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL);
INSERT OR IGNORE INTO auth_generation (id, value) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS credentials_changed AFTER UPDATE ON credentials
  BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS credentials_removed AFTER DELETE ON credentials
  BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS users_changed AFTER UPDATE ON users
  BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS users_removed AFTER DELETE ON users
  BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
)sql";

constexpr const char* kCredentialColumns =
    "id, secret_hash, kind, user, label, csrf, created_ms, expires_ms, revoked_ms, last_used_ms";

CredentialRecord ReadCredential(Stmt& s) {
  CredentialRecord c;
  c.id = s.Text(0);
  c.secret_hash = s.Text(1);
  c.kind = s.Text(2);
  c.user = s.Text(3);
  c.label = s.Text(4);
  c.csrf = s.Text(5);
  c.created_ms = s.Int(6);
  c.expires_ms = s.Int(7);
  c.revoked_ms = s.Int(8);
  c.last_used_ms = s.Int(9);
  return c;
}

UserRecord ReadUser(Stmt& s) { return {s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4)}; }

class SqliteServerStore : public ServerStore {
 public:
  explicit SqliteServerStore(SqliteDb db) : db_(std::move(db)), cache_(db_.get()) {}

  Status PutUser(const UserRecord& u, bool replace) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(cache_, replace ? "INSERT INTO users (name, role, password_hash, created_ms, "
                             "updated_ms) VALUES (?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
                             "role=excluded.role, password_hash=excluded.password_hash, "
                             "updated_ms=excluded.updated_ms"
                           : "INSERT OR IGNORE INTO users (name, role, password_hash, "
                             "created_ms, updated_ms) VALUES (?,?,?,?,?)");
    s.Bind(1, u.name).Bind(2, u.role).Bind(3, u.password_hash).Bind(4, u.created_ms);
    s.Bind(5, u.updated_ms);
    WARD_RETURN_IF_ERROR(s.Run());
    if (!replace && sqlite3_changes(db_.get()) == 0)
      return AlreadyExists("user '" + u.name + "' already exists");
    return Status::Ok();
  }

  Result<UserRecord> GetUser(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(cache_,
           "SELECT name, role, password_hash, created_ms, updated_ms FROM users WHERE name=?");
    s.Bind(1, name);
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFound("no user '" + name + "'");
    return ReadUser(s);
  }

  Result<std::vector<UserRecord>> ListUsers() override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(cache_,
           "SELECT name, role, password_hash, created_ms, updated_ms FROM users ORDER BY name");
    return ReadRows<UserRecord>(s, ReadUser);
  }

  Status CreateCredential(const CredentialRecord& c) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(cache_, std::string("INSERT INTO credentials (") + kCredentialColumns +
                       ") VALUES (?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, c.id).Bind(2, c.secret_hash).Bind(3, c.kind).Bind(4, c.user).Bind(5, c.label);
    s.Bind(6, c.csrf).Bind(7, c.created_ms).Bind(8, c.expires_ms).Bind(9, c.revoked_ms);
    s.Bind(10, c.last_used_ms);
    return s.Run();
  }

  Result<CredentialRecord> FindCredential(const std::string& secret_hash, int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(cache_, std::string("SELECT ") + kCredentialColumns +
                       " FROM credentials WHERE secret_hash=? AND revoked_ms=0 AND "
                       "(expires_ms=0 OR expires_ms>?)");
    s.Bind(1, secret_hash).Bind(2, now_ms);
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFound("no such credential");
    return ReadCredential(s);
  }

  Result<int64_t> AuthGeneration() override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(cache_, "SELECT value FROM auth_generation WHERE id = 1");
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
  }

  Status RevokeCredential(const std::string& id, int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(cache_, "UPDATE credentials SET revoked_ms=? WHERE id=? AND revoked_ms=0");
    s.Bind(1, now_ms).Bind(2, id);
    WARD_RETURN_IF_ERROR(s.Run());
    Stmt check(cache_, "SELECT 1 FROM credentials WHERE id=?");
    check.Bind(1, id);
    WARD_ASSIGN_OR_RETURN(bool row, check.Step());
    if (!row) return NotFound("no credential '" + id + "'");
    return Status::Ok();
  }

  Result<std::vector<CredentialRecord>> ListCredentials(const std::string& user) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(cache_, std::string("SELECT ") + kCredentialColumns +
                       " FROM credentials WHERE (?='' OR user=?) ORDER BY created_ms DESC, id");
    s.Bind(1, user).Bind(2, user);
    return ReadRows<CredentialRecord>(s, ReadCredential);
  }

  Result<StoreCounts> Counts(int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    StoreCounts c;
    Stmt s(cache_,
           "SELECT status, COUNT(*), SUM(input_tokens), SUM(output_tokens) FROM sessions "
           "GROUP BY status");
    while (true) {
      WARD_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      c.sessions_by_status[s.Text(0)] = s.Int(1);
      c.input_tokens += s.Int(2);
      c.output_tokens += s.Int(3);
    }
    Stmt a(cache_, "SELECT COUNT(*) FROM approvals WHERE state='pending' AND expires_ms>?");
    a.Bind(1, now_ms);
    WARD_ASSIGN_OR_RETURN(bool row, a.Step());
    if (row) c.approvals_pending = a.Int(0);
    return c;
  }

 private:
  std::mutex mu_;
  SqliteDb db_;      // guarded by mu_
  StmtCache cache_;  // guarded by mu_; destroyed before db_
};

}  // namespace

Result<std::unique_ptr<ServerStore>> OpenSqliteServerStore(const std::string& path) {
  WARD_ASSIGN_OR_RETURN(SqliteDb db, OpenSqliteDb(path));
  Status s = ExecSqlInTransaction(db.get(), kSchema);
  if (!s.ok()) return InvalidArgument(path + " is not a usable ward store: " + s.message());
  return std::unique_ptr<ServerStore>(new SqliteServerStore(std::move(db)));
}

}  // namespace ward
