#include "runtime/session_reaper.h"

#include <filesystem>

#include "audit/audit_log.h"
#include "protocol/event_json.h"
#include "sandbox/workspace.h"
#include "store/session_owner.h"

namespace ward {
namespace {

std::string Reason(const SessionRecord& s) {
  return "interrupted: the process running the session (pid " + std::to_string(s.pid) + " on " +
         s.owner_host + ") ended without finishing it";
}

// Interrupts `id` if it is still running and its owner is gone (re-read inside
// the transaction, so a session that finished meanwhile is left as it is).
// Returns whether it did.
Result<bool> InterruptIfDead(Store* store, Clock* clock, const std::string& actor,
                             const std::string& id) {
  bool interrupted = false;
  Status s = store->Atomically([&]() -> Status {
    WARD_ASSIGN_OR_RETURN(SessionRecord session, store->GetSession(id));
    if (session.status != "running" || CheckSessionOwner(session) != OwnerLiveness::kGone)
      return Status::Ok();
    int64_t now = clock->NowMillis();
    std::string reason = Reason(session);
    FinishedEvent finished;
    finished.status = "interrupted";
    finished.reason = reason;
    finished.steps = session.steps;
    finished.input_tokens = session.input_tokens;
    finished.output_tokens = session.output_tokens;
    WARD_RETURN_IF_ERROR(store->AppendEvent(id, now, "finished", PayloadJson(finished)).status());
    WARD_ASSIGN_OR_RETURN(int closed, store->CloseApprovals(id, now, reason));
    AuditData data;
    data.Set("reason", reason).Set("pid", session.pid).Set("host", session.owner_host);
    data.Set("approvals_closed", closed);
    AuditLog audit(store, clock, actor);
    WARD_RETURN_IF_ERROR(audit.Record(id, "session_interrupted", data).status());
    session.status = "interrupted";
    session.reason = reason;
    session.updated_ms = now;
    session.pid = 0;
    WARD_RETURN_IF_ERROR(store->UpdateSession(session));
    interrupted = true;
    return Status::Ok();
  });
  WARD_RETURN_IF_ERROR(s);
  return interrupted;
}

// Removes the temporary workspace the session's killed process could not
// (core/session.cc makes it in the temp directory). Best effort, and the result
// is not the caller's to act on: the directory is private to the guest's host
// user either way, and a failure must not stop sessions being listed. A process
// that ran with another TMPDIR left it elsewhere.
void SweepWorkspace(const std::string& id) {
  std::error_code ec;
  std::string parent = std::filesystem::temp_directory_path(ec).string();
  if (ec) parent = "/tmp";
  Result<int> swept = TempWorkspace::Sweep(parent, SessionWorkspacePrefix(id));
  static_cast<void>(swept);
}

// Interrupts `id` when its owner is gone, then sweeps its workspace.
Result<bool> Interrupt(Store* store, Clock* clock, const std::string& actor,
                       const std::string& id) {
  WARD_ASSIGN_OR_RETURN(bool done, InterruptIfDead(store, clock, actor, id));
  if (done) SweepWorkspace(id);
  return done;
}

}  // namespace

Result<int> InterruptDeadSessions(Store* store, Clock* clock, const std::string& actor) {
  WARD_ASSIGN_OR_RETURN(std::vector<SessionRecord> running, store->ListRunningSessions());
  int count = 0;
  for (const SessionRecord& s : running) {
    if (CheckSessionOwner(s) != OwnerLiveness::kGone) continue;
    WARD_ASSIGN_OR_RETURN(bool done, Interrupt(store, clock, actor, s.id));
    count += done ? 1 : 0;
  }
  return count;
}

Result<SessionRecord> GetLiveSession(Store* store, Clock* clock, const std::string& actor,
                                     const std::string& id) {
  WARD_ASSIGN_OR_RETURN(SessionRecord s, store->GetSession(id));
  if (s.status != "running" || CheckSessionOwner(s) != OwnerLiveness::kGone) return s;
  WARD_RETURN_IF_ERROR(Interrupt(store, clock, actor, id).status());
  return store->GetSession(id);
}

}  // namespace ward
