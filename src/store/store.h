// Store: everything a session did, durable. Sessions, their events (with a
// per-session sequence number) and the audit log's entries.
//
// OpenSqliteStore() is the embedded implementation (one file, WAL, safe for several
// processes on the same file: appends run in IMMEDIATE transactions and wait on a
// busy timeout). Every method returns a Status instead of throwing. An instance is
// thread-safe (calls are serialised internally).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ward {

struct SessionRecord {
  std::string id;
  std::string task;
  std::string model;
  std::string mode;
  std::string actor;   // who started it, verified; the two-person rule compares this
  std::string status;  // "running", "succeeded", "failed", "cancelled", "interrupted"
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string answer;
  std::string reason;
  int steps = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  // The process that runs it, while running: its pid, its start time (clock ticks
  // after boot, /proc/PID/stat field 22) and the host, so that a reader can tell
  // whether that process is still alive (see session_owner.h).
  int64_t pid = 0;
  int64_t owner_start = 0;
  std::string owner_host;
  std::string claimed_actor;  // who the starter said acts (`--actor`): a claim, never compared
};

// An action waiting for a person's decision. `action_json` is the canonical JSON
// of the exact action (binding, arguments, and for writes the before/after);
// `action_hash` is its SHA-256: a decision applies to that hash only.
struct ApprovalRecord {
  std::string id;  // "a_..."
  std::string session;
  std::string action_hash;
  std::string action_json;
  std::string summary;             // one line for people
  std::string rule;                // the policy rule that asked
  std::string approvers;           // role allowed to decide ("" = any approver)
  std::string requested_by;        // the session's verified actor
  bool distinct_approver = false;  // two-person rule: requested_by may not decide
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  std::string state;  // "pending", "approved", "denied", "expired", "closed", "stale"
  std::string decided_by;
  std::string reason;
  int64_t decided_ms = 0;
};

struct ApprovalDecision {
  bool approve = false;
  std::string by;
  std::string reason;
  std::string hash;  // must equal the approval's action_hash
  int64_t now_ms = 0;
};

// Where a journal entry stands (src/journal/journal_writer.h has the protocol):
// committed before its effect (kIntent), after it (kDone, kFailed), planned by a
// dry run (kPlanned), a planned entry replayed live (kApplied), undone
// (kCompensated).
enum class JournalState { kIntent, kDone, kFailed, kPlanned, kCompensated, kApplied };
// The writes a session made (kLive), or the ones its dry run planned (kDryRun).
enum class JournalMode { kLive, kDryRun };

// The stored and shown names: "intent", "done", "failed", "planned",
// "compensated", "applied"; "live", "dry_run". FromName: nullopt for any other.
const char* JournalStateName(JournalState state);
std::optional<JournalState> JournalStateFromName(std::string_view name);
const char* JournalModeName(JournalMode mode);
std::optional<JournalMode> JournalModeFromName(std::string_view name);

// One write through a connector, recorded before it happens (state "intent") and
// after ("done" / "failed"), with what it takes to undo it; or, in a dry run, one
// planned write ("planned") of the session's changeset.
struct JournalEntry {
  int64_t id = 0;  // assigned by the store
  std::string session;
  int64_t seq = 0;  // order within the session and mode, assigned by the store
  JournalMode mode = JournalMode::kLive;
  std::string connector;    // the connector's name ("fhir", "reporting", …)
  std::string endpoint;     // the system written to: a FHIR base URL, a database, an API's base URL
  std::string operation;    // the connector's: "create", "update", "delete", "insert", "post", …
  std::string target_type;  // what kind of thing: a FHIR resource type, a table, a route
  std::string target_id;  // which one: a resource id, a row key (JSON), a path; for a create, known
                          // once done
  std::string pre_image;  // JSON of the resource before, "" when none
  std::string pre_version;   // its version, "" when none
  std::string post_image;    // JSON of what was written (or would be), "" for a delete
  std::string post_version;  // the version the write produced
  JournalState state = JournalState::kIntent;
  std::string detail;
  int64_t time_ms = 0;
};

struct StoredEvent {
  std::string session;
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string type;
  std::string payload_json;
};

// One audit entry as stored: `body` is the canonical JSON that `hash` covers.
struct StoredAuditEntry {
  int64_t seq = 0;
  std::string session;
  std::string kind;
  std::string body;
  std::string hash;
};

// An audit entry's two forms, for Store::AppendSealedAudit: the body stored, and
// the bytes its hash covers.
struct SealedAuditBody {
  std::string stored;
  std::string hashed;
};

// What a retention purge removed from one session (Store::PurgeSessionContent):
// its events deleted; task, answer and reason blanked (ids, status, times and
// token counts kept); its journal entries' pre/post images emptied (rows and
// states kept); its approvals' action_json and summary emptied (decisions kept).
// Each count is of rows that still held content (0 on a second purge).
struct PurgedSessionContent {
  int64_t events = 0;
  int64_t session_texts = 0;  // 1 when the session record still had text
  int64_t journal_entries = 0;
  int64_t approvals = 0;
  bool already_purged = false;  // purged before (the counts are what was left)
};

// A signed statement that the audit chain's entry `seq` had hash `head_hash` at
// `time` (see audit/checkpoint.h); `signature` is hex, `key_id` names the key.
struct StoredCheckpoint {
  int64_t seq = 0;
  std::string head_hash;
  std::string time;  // RFC 3339 UTC
  std::string key_id;
  std::string signature;
};

// Where an audit export to one destination has got to (audit/audit_export.h):
// the last audit entry and how many checkpoints (in ListCheckpoints order) the
// destination has accepted.
struct AuditExportCursor {
  int64_t seq = 0;
  int64_t checkpoints = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Status CreateSession(const SessionRecord& session) = 0;
  // Overwrites the mutable fields (status, answer, reason, steps, tokens, updated_ms, pid).
  virtual Status UpdateSession(const SessionRecord& session) = 0;
  virtual Result<SessionRecord> GetSession(const std::string& id) = 0;  // NotFound if absent
  // Newest first; at most `limit`.
  virtual Result<std::vector<SessionRecord>> ListSessions(int limit) = 0;
  // Every session whose status is "running", oldest first.
  virtual Result<std::vector<SessionRecord>> ListRunningSessions() = 0;
  // Asks whichever process runs the session to cancel it (it polls CancelRequested).
  virtual Status RequestCancel(const std::string& id) = 0;
  virtual Result<bool> CancelRequested(const std::string& id) = 0;

  virtual Status CreateApproval(const ApprovalRecord& approval) = 0;
  virtual Result<ApprovalRecord> GetApproval(const std::string& id) = 0;  // NotFound
  // Pending ones past their expiry are returned (and stored) as "expired".
  // `state` "" lists all; newest first; at most `limit`.
  virtual Result<std::vector<ApprovalRecord>> ListApprovals(const std::string& state, int limit,
                                                            int64_t now_ms) = 0;
  // Decides a pending approval atomically (compare-and-set). FailedPrecondition when
  // it is no longer pending (already decided, or expired — then it is marked so);
  // InvalidArgument when decision.hash differs from the action's hash;
  // PermissionDenied under the two-person rule when decision.by is the requester;
  // FailedPrecondition when its session is no longer running, or runs in a process
  // on this host that has ended (session_owner.h): no one waits for the decision.
  virtual Result<ApprovalRecord> DecideApproval(const std::string& id,
                                                const ApprovalDecision& decision) = 0;
  // Closes the session's pending approvals (state "closed", with `reason`): its
  // process has gone and no one waits for them. Returns how many it closed.
  virtual Result<int> CloseApprovals(const std::string& session, int64_t now_ms,
                                     const std::string& reason) = 0;
  // Marks an approved approval "stale" (with `reason`; who approved it stays): the
  // action it approved found its target changed since, so nothing was written.
  // FailedPrecondition when it is not (or no longer) "approved".
  virtual Status MarkApprovalStale(const std::string& id, const std::string& reason) = 0;

  // Journal: appends an entry (id and seq assigned) and returns its id.
  virtual Result<int64_t> AppendJournal(const JournalEntry& entry) = 0;
  // Overwrites target_id, post_image, post_version, state and detail of entry `id`.
  virtual Status UpdateJournal(const JournalEntry& entry) = 0;
  // A session's entries of one mode, in seq order.
  virtual Result<std::vector<JournalEntry>> ListJournal(const std::string& session,
                                                        JournalMode mode) = 0;

  // Appends an event and returns its sequence number (1, 2, ... per session).
  virtual Result<int64_t> AppendEvent(const std::string& session, int64_t time_ms,
                                      const std::string& type, const std::string& payload_json) = 0;
  // Events with seq > after_seq, in order; at most `limit` (0 = all).
  virtual Result<std::vector<StoredEvent>> ListEvents(const std::string& session, int64_t after_seq,
                                                      int limit) = 0;

  // Appends an audit entry atomically with the chain: `make_body(seq, prev_hash)`
  // builds the canonical body for the next sequence number given the previous
  // entry's hash ("" for the first); the store hashes and inserts it in the same
  // transaction, so concurrent writers never fork the chain.
  virtual Result<StoredAuditEntry> AppendAudit(
      const std::string& session, const std::string& kind,
      const std::function<std::string(int64_t seq, const std::string& prev_hash)>& make_body) = 0;
  // Entries with seq > after_seq, in order; at most `limit` (0 = all).
  virtual Result<std::vector<StoredAuditEntry>> ListAudit(int64_t after_seq, int limit) = 0;
  // The last audit entry; NotFound when the log is empty.
  virtual Result<StoredAuditEntry> LastAudit() = 0;

  // Audit checkpoints (append-only, like the audit log): adds one; lists all of
  // them in the order they were added.
  virtual Status AddCheckpoint(const StoredCheckpoint& checkpoint) = 0;
  virtual Result<std::vector<StoredCheckpoint>> ListCheckpoints() = 0;

  // ---- Sealed audit entries and retention purge (audit/audit_log.h, audit/purge.h) ----

  // As AppendAudit, for an entry whose hash covers another form of its body than
  // the one stored (audit_log.h: the sealed form, with `data` replaced by its
  // SHA-256): `make(seq, prev_hash)` returns both; the store hashes `hashed` and
  // stores `stored`.
  virtual Result<StoredAuditEntry> AppendSealedAudit(
      const std::string& session, const std::string& kind,
      const std::function<SealedAuditBody(int64_t seq, const std::string& prev_hash)>& make) = 0;
  // Replaces entry `seq`'s body by `tombstone`. The store's trigger allows exactly
  // this and no other UPDATE of the audit table: seq, session, kind and hash stay,
  // the old body is a sealed one (`"v":2`) with data, the new one has no data, and
  // SHA-256(tombstone) is the entry's hash. FailedPrecondition otherwise, and
  // NotFound when there is no entry `seq`.
  virtual Status TombstoneAudit(int64_t seq, const std::string& tombstone) = 0;

  // Sessions that are not running and ended (last updated) before `cutoff_ms`,
  // oldest first.
  virtual Result<std::vector<SessionRecord>> ListSessionsEndedBefore(int64_t cutoff_ms) = 0;
  // Purges one ended session's content (see PurgedSessionContent) and records it as
  // purged at `purged_ms` (the first purge's time is kept). Deleted or replaced
  // text is overwritten in the file (secure_delete). With `dry_run`, counts only.
  // FailedPrecondition when the session is running; NotFound when there is none.
  virtual Result<PurgedSessionContent> PurgeSessionContent(const std::string& session,
                                                           int64_t purged_ms, bool dry_run) = 0;
  // When the session's content was first purged; nullopt when it never was.
  virtual Result<std::optional<int64_t>> SessionPurgedAt(const std::string& session) = 0;
  // After a purge, outside any transaction: rebuilds the file without free pages
  // (VACUUM) and checkpoints the write-ahead log to zero bytes, so that no purged
  // byte is left in ward.db or its -wal. Unavailable when another connection holds
  // the log open so that it cannot be emptied (run it again when ward is idle).
  virtual Status ScrubFreedSpace() = 0;
  // Audit export cursors, one per destination key: {0, 0} for a destination never
  // exported to; Set overwrites.
  virtual Result<AuditExportCursor> GetAuditExportCursor(const std::string& destination) = 0;
  virtual Status SetAuditExportCursor(const std::string& destination,
                                      const AuditExportCursor& cursor) = 0;
  // Every destination's cursor (for /metrics), by destination.
  virtual Result<std::vector<std::pair<std::string, AuditExportCursor>>>
  ListAuditExportCursors() = 0;

  // Runs `fn` so that every store write it makes (on this thread) lands in one
  // transaction: all are kept when it returns Ok, none when it returns an error or
  // the commit fails. Calls nest (the outermost commits). Other threads' store calls
  // wait until it is done; other processes see all of it or nothing.
  virtual Status Atomically(const std::function<Status()>& fn) = 0;
  // Inside Atomically on this thread: runs `fn` once the outermost transaction has
  // committed (never, if it rolls back), still under the store's lock. Outside: now.
  virtual void OnCommit(std::function<void()> fn) = 0;
};

// Opens (creating if needed) the SQLite store at `path`. InvalidArgument when the
// file is not a ward store or cannot be opened, naming the path.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace ward
