// The journal's side of the connector seam: what rollback and a changeset's apply
// need from the connector that made a journal entry. Each connector implements a
// Compensator for its entries; the journal finds it by the entry's connector name
// through a CompensatorLookup (built by the composition root, src/runtime), and
// never includes a connector itself.
//
// The journal protocol an entry follows (journal_writer.h): "intent" committed
// before the effect, then "done" or "failed" after it; "planned" in a dry run,
// "applied" once a planned entry was replayed live; "compensated" once undone.
// A connector's entries fill JournalEntry as its header describes: `connector`
// (the connector's name), `endpoint` (the system written to), `operation`,
// `target_type`/`target_id` (the target: a FHIR resource, a table and row key,
// a route and location), pre/post images and versions.
//
// A Compensator is used from one thread at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gate/binding.h"
#include "store/store.h"
#include "util/status.h"

namespace ward {

struct JournalScope;  // journal_writer.h

// What happened to an entry left at "intent" (the process stopped between
// journaling an effect and recording its result), as the system written to tells.
struct Settlement {
  enum class Outcome { kHappened, kDidNotHappen, kUnknown };
  Outcome outcome = Outcome::kUnknown;
  std::string detail;  // how it was decided (or why it cannot be)
  // When it happened: the entry completed from the system (ids, post-image and
  // version) with state "done"; when it did not: state "failed".
  JournalEntry entry;
};

// One step of a rollback: undoing one entry.
struct RollbackStep {
  JournalEntry entry;
  std::string action;   // "delete", "restore", "none"
  std::string outcome;  // "undone", "planned", "already undone", "conflict", "failed",
                        // "not applied", "unknown", "irreversible"
  std::string detail;
};

// Dry-run ids a changeset's replay has turned into real ones, by the connector's
// own reference form (e.g. "Patient/dryrun-3" → "Patient/8f2c…").
using ReplayIds = std::map<std::string, std::string>;

class Compensator {
 public:
  virtual ~Compensator() = default;

  // ---- rollback ----
  // Asks the system what became of an entry left at "intent".
  virtual Settlement Settle(const JournalEntry& entry) = 0;
  // Reads the target as it is now and plans undoing a "done" entry: `action`, and
  // `outcome` "" (to be applied), "already undone", "conflict" (someone else
  // changed it since: detail names both versions), "irreversible" (the write
  // declared no compensation) or "failed" (the target could not be read).
  virtual RollbackStep PlanUndo(const JournalEntry& entry) = 0;
  // Performs a planned undo, guarded by the state the session left (the
  // connector's If-Match): sets outcome "undone", "conflict" or "failed" and detail.
  virtual void Undo(const JournalEntry& entry, RollbackStep& step) = 0;

  // ---- applying a dry run's changeset ----
  // "" when the planned entry's target is still as the dry run saw it, else one
  // line saying what moved on; an error when it cannot be read.
  virtual Result<std::string> Drift(const JournalEntry& planned) = 0;
  // The bindings a replay calls, journaling live into `scope`'s session.
  virtual std::vector<Binding> ReplayBindings(JournalScope* scope) = 0;
  // The binding call that replays a planned entry (references to earlier
  // replayed entries rewritten through `ids`).
  virtual GuestCall Replay(const JournalEntry& planned, const ReplayIds& ids) = 0;
  // After a successful replay: records the real id in `ids`, and returns the
  // line reported for it ("fhir.update Patient/1 → version 3").
  virtual std::string Replayed(const JournalEntry& planned, const GuestCall& call,
                               const std::string& reply_json, ReplayIds& ids) = 0;
};

// The compensator for an entry's connector; NotFound (naming the connector) when
// no such connector is configured here, so rollback stops there and says so.
using CompensatorLookup =
    std::function<Result<std::unique_ptr<Compensator>>(const JournalEntry& entry)>;

}  // namespace ward
