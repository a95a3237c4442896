// Rollback: undoes a session's journaled effects in reverse order, across every
// connector they went through — each entry by its own connector's Compensator
// (compensator.h), guarded by the state the session left (FHIR's If-Match, the
// row still equal to the post-image, …). If anyone changed a target since, it
// stops at that entry, reports both versions and changes nothing more: it never
// overwrites another's work. An effect that declared no compensation is listed
// as "irreversible" (the rollback goes on with the others, and is not complete)
// rather than passed over in silence. Undone entries are marked
// "compensated", so an interrupted rollback resumes where it stopped. Every step
// is audited.
//
// An entry left at "intent" (the session stopped between journaling an effect and
// recording its result) is first settled by asking its system: an effect that
// happened is recorded as "done" and undone like any other; one that did not is
// recorded as "failed" (step outcome "not applied"); when the system cannot tell,
// rollback stops there (outcome "unknown") and changes nothing more.
// Not thread-safe; one rollback of a session at a time.
#pragma once

#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "journal/compensator.h"
#include "store/store.h"

namespace ward {

// What an entry changed, for people: "fhir Patient/123", "reporting hba1c_report
// {"patient":"p1"}", "vendor /appointments/7".
std::string DescribeTarget(const JournalEntry& entry);

struct RollbackReport {
  std::vector<RollbackStep> steps;  // in the order they were (or would be) taken
  // True when a step stopped it (conflict, failure, unknown); false when it went
  // through — complete, or leaving only irreversible effects in place.
  bool stopped = false;
  bool complete = true;  // false when a conflict or failure stopped it, or an effect
                         // could not be undone (irreversible)
};

struct RollbackOptions {
  bool dry_run = false;  // plan and check versions only; change nothing
};

// NotFound when the session does not exist; FailedPrecondition when a retention
// purge emptied its journal's images (audit/purge.h: "session S was purged on
// DATE: ..."); other errors only when the store fails.
Result<RollbackReport> RollbackSession(Store* store, AuditLog* audit,
                                       const CompensatorLookup& compensators,
                                       const std::string& session, const RollbackOptions& options);

}  // namespace ward
