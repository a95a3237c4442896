// The one journaling protocol every connector's effects follow, so that
// `ward rollback` can undo them and a dry run's changeset can be applied:
//
//   1. JournalIntent commits the entry — target, pre-image (and its version), the
//      planned post-image — before the effect; if it cannot be committed the
//      effect must not happen (fail closed).
//   2. The connector performs the effect (or, in a dry run, only simulates it).
//   3. JournalResult records what happened: "done" with the post-image and
//      version the system answered, "failed" with why, "planned" in a dry run. If
//      that cannot be stored the guest is warned and the gate fails the session
//      closed (BindingOutcome::unrecorded); the entry stays at "intent" for
//      rollback to settle (compensator.h).
//
// Functions are thread-safe as the Store is.
#pragma once

#include <string>

#include "gate/binding.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward {

// Where a session's effects are journaled, and whether they are only simulated
// (a dry run: reads reach the system, writes are recorded in the changeset and
// answered with a simulated result). Must outlive the bindings that use it.
struct JournalScope {
  Store* store = nullptr;  // required for effects
  std::string session;
  bool dry_run = false;
  Clock* clock = nullptr;
};

// Step 1: stores `draft` as the session's next entry — mode "live" or "dry_run",
// state "intent" or (dry run) "planned", the time — and returns it with its id.
// FailedPrecondition when effects are not journaled here; the store's error
// otherwise. Either way the effect must not happen.
Result<JournalEntry> JournalIntent(const JournalScope& scope, JournalEntry draft);

// Step 3: sets the entry's state and detail and stores it. On a store failure the
// guest gets a warning and `out.unrecorded` is set (the gate then fails the
// session closed). Adds journal_id and journal_state to the call's audit details.
void JournalResult(const JournalScope& scope, JournalEntry& entry, JournalState state,
                   const std::string& detail, BindingOutcome& out);

}  // namespace ward
