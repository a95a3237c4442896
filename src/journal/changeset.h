// The changeset of a dry run: the writes a session would have made, each with its
// before/after, and applying them for real.
//
// ApplyChangeset first asks each entry's connector (its Compensator) whether the
// target is still as the dry run saw it; if anything moved on it applies nothing
// and reports the drift. Otherwise it replays exactly the recorded writes, in
// order, through a Gate (so policy and approvals apply as for any write),
// journaling them as the session's live writes — so `ward rollback` can undo an
// applied changeset. Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "gate/gate.h"
#include "journal/compensator.h"
#include "protocol/event_sink.h"
#include "store/store.h"

namespace ward {

struct ChangesetItem {
  JournalEntry entry;
  std::vector<std::string> diff;  // JsonDiff(pre_image, post_image)
};

// The session's recorded writes of one journal mode: "dry_run" (the planned writes
// of a dry run: its changeset) or "live" (the writes it made, with their state:
// "done", "failed", "compensated" once rolled back, ...). NotFound for no such session.
Result<std::vector<ChangesetItem>> LoadChangeset(Store* store, const std::string& session,
                                                 JournalMode mode = JournalMode::kDryRun);

// The changeset as a JSON array (the wire form for `ward changeset show --json` and
// the server): seq, operation, connector, target_type, id, state, base_version,
// before, after, diff.
std::string ChangesetJson(const std::vector<ChangesetItem>& items);

struct ApplyReport {
  std::vector<std::string> drift;    // one line per resource that moved on (nothing applied)
  std::vector<std::string> applied;  // "fhir.update Patient/1 → version 3"
  std::string stopped;               // why applying stopped early, "" when all applied
};

// `gate` supplies policy, approvals and budgets (its store/clock/cancel/actor are used).
// FailedPrecondition when a retention purge emptied the session's journal images.
Result<ApplyReport> ApplyChangeset(Store* store, AuditLog* audit, EventSink* events,
                                   const CompensatorLookup& compensators,
                                   const std::string& session, const GateOptions& gate);

}  // namespace ward
