#include "journal/rollback.h"

#include <algorithm>
#include <optional>

#include "audit/purge.h"

namespace ward {
namespace {

std::string Target(const JournalEntry& e) {
  return e.connector + " " + e.target_type + (e.target_id.empty() ? "" : "/" + e.target_id);
}

// Settles an entry left at "intent" (compensator.h): stored unless a dry run.
// Returns the step to report when there is nothing more to do for it (it did not
// happen, or cannot be known), or nullopt with `e` now "done" when it happened.
Result<std::optional<RollbackStep>> SettleStep(Store* store, Compensator& c, JournalEntry& e,
                                               bool dry_run) {
  Settlement s = c.Settle(e);
  if (s.outcome == Settlement::Outcome::kUnknown)
    return std::optional<RollbackStep>(RollbackStep{e, "none", "unknown", s.detail});
  if (!dry_run) WARD_RETURN_IF_ERROR(store->UpdateJournal(s.entry));
  e = s.entry;
  if (s.outcome == Settlement::Outcome::kHappened) return std::optional<RollbackStep>();
  return std::optional<RollbackStep>(RollbackStep{e, "none", "not applied", s.detail});
}

// Settles (if needed), plans and — unless a dry run — performs the undo of `e`.
Result<RollbackStep> UndoEntry(Store* store, const CompensatorLookup& compensators, JournalEntry& e,
                               bool dry_run) {
  auto c = compensators(e);
  if (!c.ok())
    return RollbackStep{e, "none", "failed",
                        Target(e) + ": cannot undo it here: " + c.status().message()};
  std::optional<RollbackStep> settled;
  if (e.state == JournalState::kIntent) {
    WARD_ASSIGN_OR_RETURN(settled, SettleStep(store, **c, e, dry_run));
    if (settled) return *settled;
  }
  RollbackStep step = (*c)->PlanUndo(e);
  step.entry = e;
  if (!step.outcome.empty()) return step;
  if (dry_run) {
    step.outcome = "planned";
    return step;
  }
  (*c)->Undo(e, step);
  return step;
}

}  // namespace

std::string DescribeTarget(const JournalEntry& e) {
  if (!e.target_id.empty() && e.target_id.front() == '/')
    return e.connector + " " + e.target_id;  // an HTTP path says it all
  std::string out = e.connector + " " + e.target_type;
  if (e.target_id.empty()) return out;
  return out + (e.target_id.front() == '{' ? " " : "/") + e.target_id;
}

Result<RollbackReport> RollbackSession(Store* store, AuditLog* audit,
                                       const CompensatorLookup& compensators,
                                       const std::string& session, const RollbackOptions& options) {
  WARD_RETURN_IF_ERROR(store->GetSession(session).status());
  WARD_ASSIGN_OR_RETURN(std::optional<int64_t> purged, store->SessionPurgedAt(session));
  if (purged) return FailedPrecondition(PurgedSessionMessage(session, *purged));
  WARD_ASSIGN_OR_RETURN(auto entries, store->ListJournal(session, JournalMode::kLive));
  std::reverse(entries.begin(), entries.end());
  RollbackReport report;
  for (auto& e : entries) {
    if (e.state != JournalState::kDone && e.state != JournalState::kIntent)
      continue;  // failures, compensated
    WARD_ASSIGN_OR_RETURN(RollbackStep step, UndoEntry(store, compensators, e, options.dry_run));
    bool stop = step.outcome == "conflict" || step.outcome == "failed" || step.outcome == "unknown";
    if (!options.dry_run && (step.outcome == "undone" || step.outcome == "already undone")) {
      e.state = JournalState::kCompensated;
      e.detail = step.detail;
      WARD_RETURN_IF_ERROR(store->UpdateJournal(e));
      step.entry = e;
    }
    AuditData data;
    data.Set("journal_id", e.id).Set("connector", e.connector);
    data.Set("resource", e.target_type + "/" + e.target_id).Set("action", step.action);
    data.Set("outcome", step.outcome).Set("detail", step.detail).Set("dry_run", options.dry_run);
    WARD_RETURN_IF_ERROR(audit->Record(session, "rollback_step", data).status());
    if (step.outcome == "irreversible") report.complete = false;
    report.steps.push_back(std::move(step));
    if (stop) {
      report.complete = false;
      report.stopped = true;
      break;
    }
  }
  return report;
}

}  // namespace ward
