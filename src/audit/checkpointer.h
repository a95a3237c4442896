// Checkpointer: takes signed checkpoints of the audit chain's head, keeps them in
// the store and publishes them to every sink (see checkpoint.h, checkpoint_sink.h).
//
// Checkpoint() signs the current head now. CheckpointIfMoved() does so when the
// head has moved past the last checkpoint (at a session's end);
// CheckpointIfDue() when it has moved at least `every_entries` past it (after
// each audit append, see AuditLog::SetCheckpointer). Failures are never silent:
// a sink that cannot publish is audited (kind "checkpoint_unpublished", naming
// the sink, seq and reason) and listed in the result; a checkpoint that cannot be
// signed or stored is audited ("checkpoint_failed") and returned as the error.
//
// Thread-safe: concurrent calls may each write a checkpoint (harmless: both are
// true statements). Holds no lock while publishing. Store, clock, key and audit
// log are not owned and must outlive it; it owns its sinks.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/checkpoint_sink.h"
#include "audit/signing_key.h"
#include "store/store.h"
#include "util/clock.h"

namespace ward {

class AuditLog;

struct CheckpointResult {
  StoredCheckpoint checkpoint;
  std::vector<std::string> publish_failures;  // one message per sink that failed
};

class Checkpointer {
 public:
  // `every_entries` 0: no checkpoints by count (session ends and on demand only).
  Checkpointer(Store* store, Clock* clock, const SigningKey* key,
               std::vector<std::unique_ptr<CheckpointSink>> sinks, int64_t every_entries);

  // Signs, stores and publishes the current head. FailedPrecondition when the
  // log is empty. `audit` records publish failures (its actor is theirs).
  Result<CheckpointResult> Checkpoint(AuditLog* audit);
  // As Checkpoint when the head has moved past the last checkpoint; else nullopt.
  Result<std::optional<CheckpointResult>> CheckpointIfMoved(AuditLog* audit);
  // As Checkpoint when the head is at least every_entries past the last one.
  Result<std::optional<CheckpointResult>> CheckpointIfDue(AuditLog* audit);

  int64_t every_entries() const { return every_entries_; }

 private:
  Result<int64_t> LastCheckpointedSeq();
  Result<std::optional<CheckpointResult>> CheckpointWhen(AuditLog* audit, int64_t min_distance);
  Result<CheckpointResult> SignStoreAndPublish(AuditLog* audit, const StoredAuditEntry& head);

  Store* store_;
  Clock* clock_;
  const SigningKey* key_;
  std::vector<std::unique_ptr<CheckpointSink>> sinks_;  // stateless: safe from any thread
  int64_t every_entries_;
  std::atomic<int64_t> last_seq_{-1};  // -1: not yet read from the store
};

}  // namespace ward
