#include "audit/checkpointer.h"

#include <algorithm>

#include "audit/audit_log.h"

namespace ward {

Checkpointer::Checkpointer(Store* store, Clock* clock, const SigningKey* key,
                           std::vector<std::unique_ptr<CheckpointSink>> sinks,
                           int64_t every_entries)
    : store_(store),
      clock_(clock),
      key_(key),
      sinks_(std::move(sinks)),
      every_entries_(every_entries) {}

Result<int64_t> Checkpointer::LastCheckpointedSeq() {
  int64_t known = last_seq_.load();
  if (known >= 0) return known;
  WARD_ASSIGN_OR_RETURN(auto stored, store_->ListCheckpoints());
  int64_t last = 0;
  for (const auto& c : stored) last = std::max(last, c.seq);
  last_seq_.store(last);
  return last;
}

Result<CheckpointResult> Checkpointer::SignStoreAndPublish(AuditLog* audit,
                                                           const StoredAuditEntry& head) {
  auto signed_checkpoint =
      SignCheckpoint(*key_, head.seq, head.hash, FormatIso8601(clock_->NowMillis()));
  Status stored = signed_checkpoint.ok() ? store_->AddCheckpoint(*signed_checkpoint)
                                         : signed_checkpoint.status();
  if (!stored.ok()) {
    AuditData data;
    data.Set("seq", head.seq).Set("reason", stored.message());
    auto audited = audit->Record("", "checkpoint_failed", data);
    std::string unaudited =
        audited.ok() ? "" : "; not audited either: " + audited.status().message();
    return Status(stored.code(), "audit checkpoint at entry #" + std::to_string(head.seq) + ": " +
                                     stored.message() + unaudited);
  }
  int64_t before = last_seq_.load();
  while (before < head.seq && !last_seq_.compare_exchange_weak(before, head.seq)) {
  }
  CheckpointResult result{*signed_checkpoint, {}};
  for (const auto& sink : sinks_) {
    Status published = sink->Publish(result.checkpoint);
    if (published.ok()) continue;
    AuditData data;
    data.Set("seq", head.seq).Set("sink", sink->Name()).Set("reason", published.message());
    auto audited = audit->Record("", "checkpoint_unpublished", data);
    result.publish_failures.push_back(
        published.message() +
        (audited.ok() ? "" : " (not audited either: " + audited.status().message() + ")"));
  }
  return result;
}

Result<CheckpointResult> Checkpointer::Checkpoint(AuditLog* audit) {
  auto head = store_->LastAudit();
  if (!head.ok() && head.status().code() == StatusCode::kNotFound)
    return FailedPrecondition("the audit log is empty: there is nothing to checkpoint");
  if (!head.ok()) return head.status();
  return SignStoreAndPublish(audit, *head);
}

Result<std::optional<CheckpointResult>> Checkpointer::CheckpointWhen(AuditLog* audit,
                                                                     int64_t min_distance) {
  auto head = store_->LastAudit();
  if (!head.ok() && head.status().code() == StatusCode::kNotFound)
    return std::optional<CheckpointResult>();
  auto last = head.ok() ? LastCheckpointedSeq() : Result<int64_t>(head.status());
  if (!last.ok()) {
    AuditData data;
    data.Set("reason", last.status().message());
    auto audited = audit->Record("", "checkpoint_failed", data);
    return Status(last.status().code(),
                  "audit checkpoint: " + last.status().message() +
                      (audited.ok() ? "" : "; not audited either: " + audited.status().message()));
  }
  if (head->seq - *last < min_distance) return std::optional<CheckpointResult>();
  WARD_ASSIGN_OR_RETURN(CheckpointResult result, SignStoreAndPublish(audit, *head));
  return std::optional<CheckpointResult>(std::move(result));
}

Result<std::optional<CheckpointResult>> Checkpointer::CheckpointIfMoved(AuditLog* audit) {
  return CheckpointWhen(audit, 1);
}

Result<std::optional<CheckpointResult>> Checkpointer::CheckpointIfDue(AuditLog* audit) {
  if (every_entries_ <= 0) return std::optional<CheckpointResult>();
  return CheckpointWhen(audit, every_entries_);
}

}  // namespace ward
