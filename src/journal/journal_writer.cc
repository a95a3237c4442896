#include "journal/journal_writer.h"

namespace ward {

Result<JournalEntry> JournalIntent(const JournalScope& scope, JournalEntry draft) {
  if (!scope.store) return FailedPrecondition("effects are not journaled here; refused");
  draft.session = scope.session;
  draft.mode = scope.dry_run ? JournalMode::kDryRun : JournalMode::kLive;
  draft.state = scope.dry_run ? JournalState::kPlanned : JournalState::kIntent;
  draft.time_ms = scope.clock ? scope.clock->NowMillis() : 0;
  WARD_ASSIGN_OR_RETURN(draft.id, scope.store->AppendJournal(draft));
  return draft;
}

void JournalResult(const JournalScope& scope, JournalEntry& entry, JournalState state,
                   const std::string& detail, BindingOutcome& out) {
  entry.state = state;
  entry.detail = detail;
  Status s = scope.store ? scope.store->UpdateJournal(entry)
                         : FailedPrecondition("effects are not journaled here");
  if (!s.ok()) {
    out.reply.warnings.push_back("the journal could not record this effect: " + s.message());
    if (out.unrecorded.ok())
      out.unrecorded = s.WithContext("journal entry " + std::to_string(entry.id));
  }
  out.audit.Set("journal_id", entry.id)
      .Set("journal_state", JournalStateName(s.ok() ? state : JournalState::kIntent));
}

}  // namespace ward
