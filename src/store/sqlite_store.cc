// SQLite implementation of Store. See store.h for the contract.
#include <sqlite3.h>

#include <mutex>
#include <string_view>
#include <tuple>

#include "store/session_owner.h"
#include "store/sqlite_util.h"
#include "store/store.h"
#include "util/hash.h"

namespace ward {
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, model TEXT NOT NULL, mode TEXT NOT NULL,
  actor TEXT NOT NULL, status TEXT NOT NULL, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, answer TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
  steps INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0, pid INTEGER NOT NULL DEFAULT 0,
  claimed_actor TEXT NOT NULL DEFAULT '', owner_start INTEGER NOT NULL DEFAULT 0,
  owner_host TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS sessions_by_created ON sessions(created_ms);
CREATE TABLE IF NOT EXISTS events (
  session TEXT NOT NULL, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, type TEXT NOT NULL,
  payload TEXT NOT NULL, PRIMARY KEY (session, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, session TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cancel_requests (session TEXT PRIMARY KEY, time_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY, session TEXT NOT NULL, action_hash TEXT NOT NULL, action_json TEXT NOT NULL,
  summary TEXT NOT NULL, rule TEXT NOT NULL, approvers TEXT NOT NULL, requested_by TEXT NOT NULL,
  distinct_approver INTEGER NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
  state TEXT NOT NULL, decided_by TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
  decided_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS approvals_by_state ON approvals(state, created_ms);
CREATE TABLE IF NOT EXISTS journal (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, seq INTEGER NOT NULL,
  mode TEXT NOT NULL, connector TEXT NOT NULL, endpoint TEXT NOT NULL, operation TEXT NOT NULL,
  target_type TEXT NOT NULL, target_id TEXT NOT NULL, pre_image TEXT NOT NULL,
  pre_version TEXT NOT NULL, post_image TEXT NOT NULL, post_version TEXT NOT NULL,
  state TEXT NOT NULL, detail TEXT NOT NULL, time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS journal_by_session ON journal(session, mode, seq);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, head_hash TEXT NOT NULL,
  time TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TABLE IF NOT EXISTS audit_export_cursors (
  destination TEXT PRIMARY KEY, seq INTEGER NOT NULL, checkpoints INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS purged_sessions (
  session TEXT PRIMARY KEY, purged_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// ---- Sealed audit entries and retention purge ----

// The SQL function the audit trigger checks a tombstone with: the lower-case hex
// SHA-256 of its text argument (NULL for anything else).
constexpr const char* kSha256Function = "ward_sha256_hex";

// The audit table's only allowed UPDATE: a purge replacing a sealed entry's body
// by its tombstone, the one body whose SHA-256 is the entry's hash (store.h,
// TombstoneAudit). Anything else, or any NULL on the way, raises. A connection
// without ward_sha256_hex (an older ward, the sqlite3 shell) cannot update at all.
constexpr const char* kAuditNoUpdateTrigger = R"sql(
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  WHEN NOT COALESCE((NEW.seq = OLD.seq AND NEW.session = OLD.session AND NEW.kind = OLD.kind
    AND NEW.hash = OLD.hash AND json_valid(OLD.body) AND json_extract(OLD.body, '$.v') = 2
    AND json_type(OLD.body, '$.data') IS NOT NULL AND json_valid(NEW.body)
    AND json_type(NEW.body, '$.data') IS NULL AND ward_sha256_hex(NEW.body) = OLD.hash), 0)
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

void Sha256SqlFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) return sqlite3_result_null(ctx);
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  std::string hex = Sha256Hex(std::string_view(text, sqlite3_value_bytes(argv[0])));
  sqlite3_result_text(ctx, hex.c_str(), static_cast<int>(hex.size()), SQLITE_TRANSIENT);
}

Status RegisterSha256Function(sqlite3* db) {
  // Innocuous: a trigger may call it whatever the connection's trusted_schema.
  int rc = sqlite3_create_function(db, kSha256Function, 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                   Sha256SqlFunction, nullptr, nullptr);
  if (rc != SQLITE_OK) return Internal(std::string("sqlite: ") + sqlite3_errstr(rc));
  return Status::Ok();
}

// Stores made before tombstones had an audit_no_update that refused every UPDATE:
// replaced by kAuditNoUpdateTrigger, in one transaction (another process may do
// the same at once; the second finds it done).
Status InstallAuditNoUpdateTrigger(sqlite3* db) {
  Transaction tx(db);
  WARD_RETURN_IF_ERROR(tx.Begin());
  Stmt get(db, "SELECT sql FROM sqlite_master WHERE type='trigger' AND name='audit_no_update'");
  WARD_ASSIGN_OR_RETURN(bool row, get.Step());
  bool installed = row && get.Text(0).find(kSha256Function) != std::string::npos;
  WARD_RETURN_IF_ERROR(get.Reset());
  if (installed) return tx.Commit();
  WARD_RETURN_IF_ERROR(ExecSql(db, "DROP TRIGGER IF EXISTS audit_no_update"));
  WARD_RETURN_IF_ERROR(ExecSql(db, kAuditNoUpdateTrigger));
  return tx.Commit();
}

SessionRecord ReadSession(Stmt& s) {
  SessionRecord r;
  r.id = s.Text(0);
  r.task = s.Text(1);
  r.model = s.Text(2);
  r.mode = s.Text(3);
  r.actor = s.Text(4);
  r.status = s.Text(5);
  r.created_ms = s.Int(6);
  r.updated_ms = s.Int(7);
  r.answer = s.Text(8);
  r.reason = s.Text(9);
  r.steps = static_cast<int>(s.Int(10));
  r.input_tokens = s.Int(11);
  r.output_tokens = s.Int(12);
  r.pid = s.Int(13);
  r.claimed_actor = s.Text(14);
  r.owner_start = s.Int(15);
  r.owner_host = s.Text(16);
  return r;
}

constexpr const char* kApprovalColumns =
    "id, session, action_hash, action_json, summary, rule, approvers, requested_by, "
    "distinct_approver, created_ms, expires_ms, state, decided_by, reason, decided_ms";

ApprovalRecord ReadApproval(Stmt& s) {
  ApprovalRecord a;
  a.id = s.Text(0);
  a.session = s.Text(1);
  a.action_hash = s.Text(2);
  a.action_json = s.Text(3);
  a.summary = s.Text(4);
  a.rule = s.Text(5);
  a.approvers = s.Text(6);
  a.requested_by = s.Text(7);
  a.distinct_approver = s.Int(8) != 0;
  a.created_ms = s.Int(9);
  a.expires_ms = s.Int(10);
  a.state = s.Text(11);
  a.decided_by = s.Text(12);
  a.reason = s.Text(13);
  a.decided_ms = s.Int(14);
  return a;
}

constexpr const char* kJournalColumns =
    "id, session, seq, mode, connector, endpoint, operation, target_type, target_id, "
    "pre_image, pre_version, post_image, post_version, state, detail, time_ms";

// DataLoss for a state or mode no ward writes: the entry is not guessed at.
Result<JournalEntry> ReadJournal(Stmt& s) {
  JournalEntry j;
  j.id = s.Int(0);
  j.session = s.Text(1);
  j.seq = s.Int(2);
  std::optional<JournalMode> mode = JournalModeFromName(s.Text(3));
  if (!mode)
    return DataLoss("journal entry " + std::to_string(j.id) + " has mode \"" + s.Text(3) + "\"");
  j.mode = *mode;
  j.connector = s.Text(4);
  j.endpoint = s.Text(5);
  j.operation = s.Text(6);
  j.target_type = s.Text(7);
  j.target_id = s.Text(8);
  j.pre_image = s.Text(9);
  j.pre_version = s.Text(10);
  j.post_image = s.Text(11);
  j.post_version = s.Text(12);
  std::optional<JournalState> state = JournalStateFromName(s.Text(13));
  if (!state)
    return DataLoss("journal entry " + std::to_string(j.id) + " has state \"" + s.Text(13) + "\"");
  j.state = *state;
  j.detail = s.Text(14);
  j.time_ms = s.Int(15);
  return j;
}

constexpr const char* kSessionColumns =
    "id, task, model, mode, actor, status, created_ms, updated_ms, answer, reason, steps, "
    "input_tokens, output_tokens, pid, claimed_actor, owner_start, owner_host";

class SqliteStore : public Store {
 public:
  explicit SqliteStore(SqliteDb db) : db_(std::move(db)), cache_(db_.get()) {}

  Status CreateSession(const SessionRecord& r) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, std::string("INSERT INTO sessions (") + kSessionColumns +
                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, r.id).Bind(2, r.task).Bind(3, r.model).Bind(4, r.mode).Bind(5, r.actor);
    s.Bind(6, r.status).Bind(7, r.created_ms).Bind(8, r.updated_ms).Bind(9, r.answer);
    s.Bind(10, r.reason).Bind(11, r.steps).Bind(12, r.input_tokens).Bind(13, r.output_tokens);
    s.Bind(14, r.pid).Bind(15, r.claimed_actor).Bind(16, r.owner_start).Bind(17, r.owner_host);
    return s.Run();
  }

  Status UpdateSession(const SessionRecord& r) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "UPDATE sessions SET status=?, answer=?, reason=?, steps=?, input_tokens=?, "
           "output_tokens=?, updated_ms=?, pid=?, owner_start=?, owner_host=? WHERE id=?");
    s.Bind(1, r.status).Bind(2, r.answer).Bind(3, r.reason).Bind(4, r.steps);
    s.Bind(5, r.input_tokens).Bind(6, r.output_tokens).Bind(7, r.updated_ms).Bind(8, r.pid);
    s.Bind(9, r.owner_start).Bind(10, r.owner_host).Bind(11, r.id);
    WARD_RETURN_IF_ERROR(s.Run());
    if (sqlite3_changes(db_.get()) == 0) return NotFound("no session '" + r.id + "'");
    return Status::Ok();
  }

  Result<SessionRecord> GetSession(const std::string& id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id=?");
    s.Bind(1, id);
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFound("no session '" + id + "'");
    return ReadSession(s);
  }

  Result<std::vector<SessionRecord>> ListSessions(int limit) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, std::string("SELECT ") + kSessionColumns +
                       " FROM sessions ORDER BY created_ms DESC, id LIMIT ?");
    s.Bind(1, static_cast<int64_t>(limit));
    return ReadRows<SessionRecord>(s, ReadSession);
  }

  Result<std::vector<SessionRecord>> ListRunningSessions() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, std::string("SELECT ") + kSessionColumns +
                       " FROM sessions WHERE status='running' ORDER BY created_ms, id");
    return ReadRows<SessionRecord>(s, ReadSession);
  }

  Status RequestCancel(const std::string& id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "INSERT OR IGNORE INTO cancel_requests (session, time_ms) "
           "SELECT id, strftime('%s','now') * 1000 FROM sessions WHERE id=?");
    s.Bind(1, id);
    WARD_RETURN_IF_ERROR(s.Run());
    Stmt check(cache_, "SELECT 1 FROM sessions WHERE id=?");
    check.Bind(1, id);
    WARD_ASSIGN_OR_RETURN(bool row, check.Step());
    if (!row) return NotFound("no session '" + id + "'");
    return Status::Ok();
  }

  Result<bool> CancelRequested(const std::string& id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, "SELECT 1 FROM cancel_requests WHERE session=?");
    s.Bind(1, id);
    return s.Step();
  }

  Status CreateApproval(const ApprovalRecord& a) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, std::string("INSERT INTO approvals (") + kApprovalColumns +
                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, a.id).Bind(2, a.session).Bind(3, a.action_hash).Bind(4, a.action_json);
    s.Bind(5, a.summary).Bind(6, a.rule).Bind(7, a.approvers).Bind(8, a.requested_by);
    s.Bind(9, a.distinct_approver ? 1 : 0).Bind(10, a.created_ms).Bind(11, a.expires_ms);
    s.Bind(12, a.state).Bind(13, a.decided_by).Bind(14, a.reason).Bind(15, a.decided_ms);
    return s.Run();
  }

  Result<ApprovalRecord> GetApproval(const std::string& id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return GetApprovalLocked(id);
  }

  Result<std::vector<ApprovalRecord>> ListApprovals(const std::string& state, int limit,
                                                    int64_t now_ms) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    WARD_RETURN_IF_ERROR(ExpireLocked(now_ms));
    Stmt s(cache_, std::string("SELECT ") + kApprovalColumns +
                       " FROM approvals WHERE (?='' OR state=?) ORDER BY created_ms DESC, id "
                       "LIMIT ?");
    s.Bind(1, state).Bind(2, state).Bind(3, static_cast<int64_t>(limit > 0 ? limit : -1));
    return ReadRows<ApprovalRecord>(s, ReadApproval);
  }

  Result<ApprovalRecord> DecideApproval(const std::string& id, const ApprovalDecision& d) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    NestedTx tx(this);
    WARD_RETURN_IF_ERROR(tx.Begin());
    WARD_RETURN_IF_ERROR(ExpireLocked(d.now_ms));
    WARD_ASSIGN_OR_RETURN(ApprovalRecord a, GetApprovalLocked(id));
    if (a.state != "pending") {
      WARD_RETURN_IF_ERROR(tx.Commit());  // keep the expiry just recorded
      return FailedPrecondition("approval " + id + " is " + a.state + ", not pending");
    }
    if (d.hash != a.action_hash)
      return InvalidArgument("approval " + id + ": the hash given (" + d.hash.substr(0, 16) +
                             "…) is not the pending action's (" + a.action_hash.substr(0, 16) +
                             "…); the decision does not apply");
    if (a.distinct_approver && d.by == a.requested_by)
      return PermissionDenied("approval " + id + " needs a second person: " + d.by +
                              " started the session and may not approve its actions");
    WARD_RETURN_IF_ERROR(CheckSessionWaits(a));
    Stmt s(cache_,
           "UPDATE approvals SET state=?, decided_by=?, reason=?, decided_ms=? "
           "WHERE id=? AND state='pending'");
    s.Bind(1, d.approve ? "approved" : "denied").Bind(2, d.by).Bind(3, d.reason);
    s.Bind(4, d.now_ms).Bind(5, id);
    WARD_RETURN_IF_ERROR(s.Run());
    WARD_RETURN_IF_ERROR(tx.Commit());
    return GetApprovalLocked(id);
  }

  Result<int> CloseApprovals(const std::string& session, int64_t now_ms,
                             const std::string& reason) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "UPDATE approvals SET state='closed', reason=?, decided_ms=? "
           "WHERE session=? AND state='pending'");
    s.Bind(1, reason).Bind(2, now_ms).Bind(3, session);
    WARD_RETURN_IF_ERROR(s.Run());
    return sqlite3_changes(db_.get());
  }

  Status MarkApprovalStale(const std::string& id, const std::string& reason) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, "UPDATE approvals SET state='stale', reason=? WHERE id=? AND state='approved'");
    s.Bind(1, reason).Bind(2, id);
    WARD_RETURN_IF_ERROR(s.Run());
    if (sqlite3_changes(db_.get()) == 0)
      return FailedPrecondition("approval " + id + " is not an approved one; it cannot turn stale");
    return Status::Ok();
  }

  Result<int64_t> AppendJournal(const JournalEntry& j) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    NestedTx tx(this);
    WARD_RETURN_IF_ERROR(tx.Begin());
    Stmt next(cache_, "SELECT COALESCE(MAX(seq), 0) + 1 FROM journal WHERE session=? AND mode=?");
    next.Bind(1, j.session).Bind(2, JournalModeName(j.mode));
    WARD_ASSIGN_OR_RETURN(bool row, next.Step());
    int64_t seq = row ? next.Int(0) : 1;
    Stmt s(cache_,
           "INSERT INTO journal (session, seq, mode, connector, endpoint, operation, "
           "target_type, target_id, pre_image, pre_version, post_image, post_version, state, "
           "detail, time_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, j.session)
        .Bind(2, seq)
        .Bind(3, JournalModeName(j.mode))
        .Bind(4, j.connector)
        .Bind(5, j.endpoint);
    s.Bind(6, j.operation).Bind(7, j.target_type).Bind(8, j.target_id).Bind(9, j.pre_image);
    s.Bind(10, j.pre_version).Bind(11, j.post_image).Bind(12, j.post_version);
    s.Bind(13, JournalStateName(j.state));
    s.Bind(14, j.detail).Bind(15, j.time_ms);
    WARD_RETURN_IF_ERROR(s.Run());
    int64_t id = sqlite3_last_insert_rowid(db_.get());
    WARD_RETURN_IF_ERROR(tx.Commit());
    return id;
  }

  Status UpdateJournal(const JournalEntry& j) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "UPDATE journal SET target_id=?, post_image=?, post_version=?, state=?, detail=? "
           "WHERE id=?");
    s.Bind(1, j.target_id).Bind(2, j.post_image).Bind(3, j.post_version);
    s.Bind(4, JournalStateName(j.state));
    s.Bind(5, j.detail).Bind(6, j.id);
    WARD_RETURN_IF_ERROR(s.Run());
    if (sqlite3_changes(db_.get()) == 0)
      return NotFound("no journal entry " + std::to_string(j.id));
    return Status::Ok();
  }

  Result<std::vector<JournalEntry>> ListJournal(const std::string& session,
                                                JournalMode mode) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, std::string("SELECT ") + kJournalColumns +
                       " FROM journal WHERE session=? AND mode=? ORDER BY seq");
    s.Bind(1, session).Bind(2, JournalModeName(mode));
    return ReadRows<JournalEntry>(s, ReadJournal);
  }

  Result<int64_t> AppendEvent(const std::string& session, int64_t time_ms, const std::string& type,
                              const std::string& payload) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    NestedTx tx(this);
    WARD_RETURN_IF_ERROR(tx.Begin());
    Stmt next(cache_, "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE session=?");
    next.Bind(1, session);
    WARD_ASSIGN_OR_RETURN(bool row, next.Step());
    int64_t seq = row ? next.Int(0) : 1;
    Stmt ins(cache_,
             "INSERT INTO events (session, seq, time_ms, type, payload) VALUES (?,?,?,?,?)");
    ins.Bind(1, session).Bind(2, seq).Bind(3, time_ms).Bind(4, type).Bind(5, payload);
    WARD_RETURN_IF_ERROR(ins.Run());
    WARD_RETURN_IF_ERROR(tx.Commit());
    return seq;
  }

  Result<std::vector<StoredEvent>> ListEvents(const std::string& session, int64_t after_seq,
                                              int limit) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "SELECT seq, time_ms, type, payload FROM events WHERE session=? AND seq>? "
           "ORDER BY seq LIMIT ?");
    s.Bind(1, session).Bind(2, after_seq).Bind(3, static_cast<int64_t>(limit > 0 ? limit : -1));
    return ReadRows<StoredEvent>(s, [&](Stmt& r) {
      return StoredEvent{session, r.Int(0), r.Int(1), r.Text(2), r.Text(3)};
    });
  }

  Result<StoredAuditEntry> AppendAudit(
      const std::string& session, const std::string& kind,
      const std::function<std::string(int64_t, const std::string&)>& make_body) override {
    return AppendAuditEntry(session, kind, [&](int64_t seq, const std::string& prev) {
      std::string body = make_body(seq, prev);
      return std::make_pair(Sha256Hex(body), std::move(body));
    });
  }

  Result<StoredAuditEntry> AppendSealedAudit(
      const std::string& session, const std::string& kind,
      const std::function<SealedAuditBody(int64_t, const std::string&)>& make) override {
    return AppendAuditEntry(session, kind, [&](int64_t seq, const std::string& prev) {
      SealedAuditBody body = make(seq, prev);
      return std::make_pair(Sha256Hex(body.hashed), std::move(body.stored));
    });
  }

  // `make(seq, prev_hash)` returns {hash, body to store}.
  template <typename Make>
  Result<StoredAuditEntry> AppendAuditEntry(const std::string& session, const std::string& kind,
                                            const Make& make) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    NestedTx tx(this);
    WARD_RETURN_IF_ERROR(tx.Begin());
    Stmt last(cache_, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    WARD_ASSIGN_OR_RETURN(bool row, last.Step());
    StoredAuditEntry e;
    e.seq = row ? last.Int(0) + 1 : 1;
    std::string prev = row ? last.Text(1) : "";
    e.session = session;
    e.kind = kind;
    std::tie(e.hash, e.body) = make(e.seq, prev);
    Stmt ins(cache_, "INSERT INTO audit (seq, session, kind, body, hash) VALUES (?,?,?,?,?)");
    ins.Bind(1, e.seq).Bind(2, e.session).Bind(3, e.kind).Bind(4, e.body).Bind(5, e.hash);
    WARD_RETURN_IF_ERROR(ins.Run());
    WARD_RETURN_IF_ERROR(tx.Commit());
    return e;
  }

  Result<std::vector<StoredAuditEntry>> ListAudit(int64_t after_seq, int limit) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "SELECT seq, session, kind, body, hash FROM audit WHERE seq>? ORDER BY seq LIMIT ?");
    s.Bind(1, after_seq).Bind(2, static_cast<int64_t>(limit > 0 ? limit : -1));
    return ReadRows<StoredAuditEntry>(s, [](Stmt& r) {
      return StoredAuditEntry{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4)};
    });
  }

  Result<StoredAuditEntry> LastAudit() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, "SELECT seq, session, kind, body, hash FROM audit ORDER BY seq DESC LIMIT 1");
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFound("the audit log is empty");
    return StoredAuditEntry{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4)};
  }

  Status AddCheckpoint(const StoredCheckpoint& c) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "INSERT INTO audit_checkpoints (seq, head_hash, time, key_id, signature) "
           "VALUES (?,?,?,?,?)");
    s.Bind(1, c.seq).Bind(2, c.head_hash).Bind(3, c.time).Bind(4, c.key_id).Bind(5, c.signature);
    return s.Run();
  }

  Result<std::vector<StoredCheckpoint>> ListCheckpoints() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "SELECT seq, head_hash, time, key_id, signature FROM audit_checkpoints ORDER BY id");
    return ReadRows<StoredCheckpoint>(s, [](Stmt& r) {
      return StoredCheckpoint{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4)};
    });
  }

  // ---- Sealed audit entries and retention purge ----

  Status TombstoneAudit(int64_t seq, const std::string& tombstone) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    WARD_RETURN_IF_ERROR(ExecSql(db_.get(), "PRAGMA secure_delete=ON"));
    Stmt s(cache_, "UPDATE audit SET body=? WHERE seq=?");
    s.Bind(1, tombstone).Bind(2, seq);
    Status updated = s.Run();
    if (updated.code() == StatusCode::kFailedPrecondition)  // the trigger refused it
      return FailedPrecondition("audit entry #" + std::to_string(seq) +
                                " cannot be replaced by that tombstone: " + updated.message());
    WARD_RETURN_IF_ERROR(updated);
    if (sqlite3_changes(db_.get()) == 0) return NotFound("no audit entry #" + std::to_string(seq));
    return Status::Ok();
  }

  Result<std::vector<SessionRecord>> ListSessionsEndedBefore(int64_t cutoff_ms) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, std::string("SELECT ") + kSessionColumns +
                       " FROM sessions WHERE status<>'running' AND updated_ms<? "
                       "ORDER BY updated_ms, id");
    s.Bind(1, cutoff_ms);
    return ReadRows<SessionRecord>(s, ReadSession);
  }

  Result<PurgedSessionContent> PurgeSessionContent(const std::string& session, int64_t purged_ms,
                                                   bool dry_run) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    NestedTx tx(this);
    WARD_RETURN_IF_ERROR(tx.Begin());
    Stmt status(cache_, "SELECT status FROM sessions WHERE id=?");
    status.Bind(1, session);
    WARD_ASSIGN_OR_RETURN(bool found, status.Step());
    if (!found) return NotFound("no session '" + session + "'");
    if (status.Text(0) == "running")
      return FailedPrecondition("session " + session + " is running; it cannot be purged");
    WARD_RETURN_IF_ERROR(status.Reset());
    PurgedSessionContent out;
    WARD_ASSIGN_OR_RETURN(std::optional<int64_t> before, PurgedAtLocked(session));
    out.already_purged = before.has_value();
    if (!dry_run) WARD_RETURN_IF_ERROR(ExecSql(db_.get(), "PRAGMA secure_delete=ON"));
    for (const PurgeTable& table : kPurgeTables) {
      WARD_ASSIGN_OR_RETURN(int64_t rows, CountOrPurge(table, session, dry_run));
      out.*table.count = rows;
    }
    if (!dry_run && !before) {
      Stmt mark(cache_, "INSERT INTO purged_sessions (session, purged_ms) VALUES (?,?)");
      mark.Bind(1, session).Bind(2, purged_ms);
      WARD_RETURN_IF_ERROR(mark.Run());
    }
    WARD_RETURN_IF_ERROR(tx.Commit());
    return out;
  }

  Result<std::optional<int64_t>> SessionPurgedAt(const std::string& session) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return PurgedAtLocked(session);
  }

  Status ScrubFreedSpace() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (depth_ > 0) return FailedPrecondition("the store cannot be scrubbed inside a transaction");
    WARD_RETURN_IF_ERROR(ExecSql(db_.get(), "PRAGMA secure_delete=ON; VACUUM"));
    int wal_frames = -1, checkpointed = -1;
    int rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &wal_frames,
                                       &checkpointed);
    if (rc != SQLITE_OK || wal_frames != 0)
      return Unavailable(
          "the store's write-ahead log could not be emptied (another ward process has the store "
          "open): purged content may remain in " +
          std::string(sqlite3_db_filename(db_.get(), "main")) +
          "-wal until it is; run the purge again when ward is idle");
    return Status::Ok();
  }

  // ---- Audit export cursors ----

  Result<AuditExportCursor> GetAuditExportCursor(const std::string& destination) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_, "SELECT seq, checkpoints FROM audit_export_cursors WHERE destination=?");
    s.Bind(1, destination);
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return AuditExportCursor{};
    return AuditExportCursor{s.Int(0), s.Int(1)};
  }

  Status SetAuditExportCursor(const std::string& destination,
                              const AuditExportCursor& cursor) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "INSERT INTO audit_export_cursors (destination, seq, checkpoints) VALUES (?,?,?) "
           "ON CONFLICT(destination) DO UPDATE SET seq=excluded.seq, "
           "checkpoints=excluded.checkpoints");
    s.Bind(1, destination).Bind(2, cursor.seq).Bind(3, cursor.checkpoints);
    return s.Run();
  }

  Result<std::vector<std::pair<std::string, AuditExportCursor>>> ListAuditExportCursors() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt s(cache_,
           "SELECT destination, seq, checkpoints FROM audit_export_cursors ORDER BY destination");
    return ReadRows<std::pair<std::string, AuditExportCursor>>(s, [](Stmt& r) {
      return std::make_pair(r.Text(0), AuditExportCursor{r.Int(1), r.Int(2)});
    });
  }

 private:
  // One table a purge clears for a session: how to count the rows that still hold
  // content, how to clear them, and where the count goes.
  struct PurgeTable {
    const char* count_sql;
    const char* purge_sql;
    int64_t PurgedSessionContent::*count;
  };
  static constexpr PurgeTable kPurgeTables[] = {
      {"SELECT COUNT(*) FROM events WHERE session=?", "DELETE FROM events WHERE session=?",
       &PurgedSessionContent::events},
      {"SELECT COUNT(*) FROM sessions WHERE id=? AND (task<>'' OR answer<>'' OR reason<>'')",
       "UPDATE sessions SET task='', answer='', reason='' WHERE id=?",
       &PurgedSessionContent::session_texts},
      {"SELECT COUNT(*) FROM journal WHERE session=? AND (pre_image<>'' OR post_image<>'')",
       "UPDATE journal SET pre_image='', post_image='' WHERE session=?",
       &PurgedSessionContent::journal_entries},
      {"SELECT COUNT(*) FROM approvals WHERE session=? AND (action_json<>'' OR summary<>'')",
       "UPDATE approvals SET action_json='', summary='' WHERE session=?",
       &PurgedSessionContent::approvals},
  };

  // The rows of `table` for `session` that hold content; cleared unless dry_run.
  Result<int64_t> CountOrPurge(const PurgeTable& table, const std::string& session, bool dry_run) {
    Stmt count(cache_, table.count_sql);
    count.Bind(1, session);
    WARD_ASSIGN_OR_RETURN(bool row, count.Step());
    int64_t rows = row ? count.Int(0) : 0;
    if (dry_run || rows == 0) return rows;
    WARD_RETURN_IF_ERROR(count.Reset());
    Stmt purge(cache_, table.purge_sql);
    purge.Bind(1, session);
    WARD_RETURN_IF_ERROR(purge.Run());
    return rows;
  }

  Result<std::optional<int64_t>> PurgedAtLocked(const std::string& session) {
    Stmt s(cache_, "SELECT purged_ms FROM purged_sessions WHERE session=?");
    s.Bind(1, session);
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<int64_t>();
    return std::optional<int64_t>(s.Int(0));
  }

  Result<ApprovalRecord> GetApprovalLocked(const std::string& id) {
    Stmt s(cache_, std::string("SELECT ") + kApprovalColumns + " FROM approvals WHERE id=?");
    s.Bind(1, id);
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFound("no approval '" + id + "'");
    return ReadApproval(s);
  }

  // Ok when the approval's session still waits for it: running, by a process that
  // is alive (or cannot be checked from here). Unknown sessions are not judged.
  Status CheckSessionWaits(const ApprovalRecord& a) {
    Stmt s(cache_, std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id=?");
    s.Bind(1, a.session);
    WARD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    SessionRecord session = ReadSession(s);
    if (session.status != "running")
      return FailedPrecondition("approval " + a.id + ": session " + a.session + " is " +
                                session.status + "; no one waits for this decision");
    if (CheckSessionOwner(session) == OwnerLiveness::kGone)
      return FailedPrecondition("approval " + a.id + ": the process running session " + a.session +
                                " (pid " + std::to_string(session.pid) +
                                ") has ended; no one waits for this decision");
    return Status::Ok();
  }

  // Marks pending approvals past their expiry as expired. Looks first: an UPDATE
  // takes the database's write lock even when it changes nothing, and readers of
  // approvals would then queue behind every writer.
  Status ExpireLocked(int64_t now_ms) {
    Stmt due(cache_, "SELECT 1 FROM approvals WHERE state='pending' AND expires_ms<=? LIMIT 1");
    due.Bind(1, now_ms);
    WARD_ASSIGN_OR_RETURN(bool any, due.Step());
    if (!any) return Status::Ok();
    WARD_RETURN_IF_ERROR(due.Reset());
    Stmt s(cache_,
           "UPDATE approvals SET state='expired', decided_ms=? "
           "WHERE state='pending' AND expires_ms<=?");
    s.Bind(1, now_ms).Bind(2, now_ms);
    return s.Run();
  }

  // BEGIN IMMEDIATE ... COMMIT for one store call, or nothing when the call runs
  // inside Atomically (whose transaction then holds it). Rolls back unless committed.
  class NestedTx {
   public:
    explicit NestedTx(SqliteStore* store) : store_(store) {}
    ~NestedTx() {
      if (open_) (void)store_->EndTransaction(false);
    }
    Status Begin() {
      WARD_RETURN_IF_ERROR(store_->BeginTransaction());
      open_ = true;
      return Status::Ok();
    }
    Status Commit() {
      open_ = false;
      return store_->EndTransaction(true);
    }

   private:
    SqliteStore* store_;
    bool open_ = false;
  };

  Status BeginTransaction() {
    if (depth_ == 0) {
      Stmt begin(cache_, "BEGIN IMMEDIATE");
      WARD_RETURN_IF_ERROR(begin.Run());
      failed_ = false;
    }
    ++depth_;
    return Status::Ok();
  }

  // Ends one level; the outermost commits (unless a level failed) or rolls back.
  Status EndTransaction(bool commit) {
    if (!commit) failed_ = true;
    if (--depth_ > 0) return Status::Ok();
    std::vector<std::function<void()>> after = std::move(on_commit_);
    on_commit_.clear();
    if (failed_) {
      (void)ExecSql(db_.get(), "ROLLBACK");
      return Internal("the store transaction was rolled back");
    }
    Stmt end(cache_, "COMMIT");
    Status s = end.Run();
    if (!s.ok()) {
      (void)ExecSql(db_.get(), "ROLLBACK");
      return s;
    }
    for (auto& fn : after) fn();
    return Status::Ok();
  }

 public:
  Status Atomically(const std::function<Status()>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    NestedTx tx(this);
    WARD_RETURN_IF_ERROR(tx.Begin());
    WARD_RETURN_IF_ERROR(fn());
    return tx.Commit();
  }

  void OnCommit(std::function<void()> fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (depth_ == 0) return fn();
    on_commit_.push_back(std::move(fn));
  }

 private:
  std::recursive_mutex mu_;
  SqliteDb db_;          // guarded by mu_
  StmtCache cache_;      // guarded by mu_; destroyed before db_
  int depth_ = 0;        // guarded by mu_: nesting of open transactions
  bool failed_ = false;  // guarded by mu_: an inner level ended without committing
  std::vector<std::function<void()>> on_commit_;  // guarded by mu_
};

// Columns added to `sessions` after schema version 1 was released; a store made by
// an older ward gets them (with their defaults) when it is opened.
Status AddNewSessionColumns(sqlite3* db) {
  constexpr std::pair<const char*, const char*> kAdded[] = {
      {"claimed_actor", "TEXT NOT NULL DEFAULT ''"},
      {"owner_start", "INTEGER NOT NULL DEFAULT 0"},
      {"owner_host", "TEXT NOT NULL DEFAULT ''"}};
  for (const auto& [name, type] : kAdded) {
    Stmt has(db, "SELECT 1 FROM pragma_table_info('sessions') WHERE name=?");
    has.Bind(1, name);
    WARD_ASSIGN_OR_RETURN(bool present, has.Step());
    if (present) continue;
    Status s = ExecSql(db, std::string("ALTER TABLE sessions ADD COLUMN ") + name + " " + type);
    if (!s.ok() && s.message().find("duplicate column") == std::string::npos) return s;
  }
  return Status::Ok();
}

// Journal columns named for FHIR before other connectors existed; a store made by
// an older ward has them renamed when it is opened (another process may have
// renamed them first).
Status RenameOldJournalColumns(sqlite3* db) {
  constexpr std::pair<const char*, const char*> kRenamed[] = {
      {"base_url", "endpoint"}, {"resource_type", "target_type"}, {"resource_id", "target_id"}};
  for (const auto& [old_name, new_name] : kRenamed) {
    Stmt has(db, "SELECT 1 FROM pragma_table_info('journal') WHERE name=?");
    has.Bind(1, old_name);
    WARD_ASSIGN_OR_RETURN(bool present, has.Step());
    if (!present) continue;
    Status s = ExecSql(
        db, std::string("ALTER TABLE journal RENAME COLUMN ") + old_name + " TO " + new_name);
    if (!s.ok() && s.message().find("no such column") == std::string::npos) return s;
  }
  return Status::Ok();
}

Status CheckSchemaVersion(sqlite3* db, const std::string& path) {
  Stmt get(db, "SELECT value FROM meta WHERE key='schema_version'");
  WARD_ASSIGN_OR_RETURN(bool row, get.Step());
  if (!row) {
    Stmt put(db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)");
    put.Bind(1, std::to_string(kSchemaVersion));
    return put.Run();
  }
  if (get.Text(0) != std::to_string(kSchemaVersion)) {
    return FailedPrecondition(path + " has store schema version " + get.Text(0) +
                              "; this ward understands version " + std::to_string(kSchemaVersion));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  WARD_ASSIGN_OR_RETURN(SqliteDb db, OpenSqliteDb(path));
  WARD_RETURN_IF_ERROR(RegisterSha256Function(db.get()));
  Status s = ExecSqlInTransaction(db.get(), kSchema);
  if (s.ok()) s = InstallAuditNoUpdateTrigger(db.get());
  if (!s.ok()) return InvalidArgument(path + " is not a usable ward store: " + s.message());
  WARD_RETURN_IF_ERROR(CheckSchemaVersion(db.get(), path));
  WARD_RETURN_IF_ERROR(AddNewSessionColumns(db.get()));
  WARD_RETURN_IF_ERROR(RenameOldJournalColumns(db.get()));
  return std::unique_ptr<Store>(new SqliteStore(std::move(db)));
}

}  // namespace ward
