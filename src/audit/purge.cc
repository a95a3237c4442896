#include "audit/purge.h"

#include <set>

namespace ward {
namespace {

// The purge entry lists session ids up to this many (ids are not content); past
// it, the count alone.
constexpr size_t kMaxListedSessions = 1000;

void AddContent(PurgedSessionContent& sum, const PurgedSessionContent& one) {
  sum.events += one.events;
  sum.session_texts += one.session_texts;
  sum.journal_entries += one.journal_entries;
  sum.approvals += one.approvals;
}

// Replaces (or, in a dry run, counts) the sealed audit entries of `sessions` by
// their tombstones; counts the tombstones already there and the legacy entries.
Status TombstoneAuditEntries(Store* store, const std::set<std::string>& sessions, bool dry_run,
                             PurgeReport& report) {
  return ForEachAuditEntry(store, [&](const StoredAuditEntry& e) -> Result<bool> {
    if (sessions.count(e.session) == 0) return true;
    auto hashed = HashedFormOf(e.body);
    if (!hashed.ok())  // verify names it; the purge leaves what it cannot read alone
      return hashed.status().WithContext("audit entry #" + std::to_string(e.seq));
    if (hashed->form == AuditEntryForm::kLegacy) {
      ++report.audit_legacy_kept;
    } else if (hashed->form == AuditEntryForm::kTombstone) {
      ++report.audit_already_tombstones;
    } else {
      ++report.audit_tombstoned;
      if (!dry_run) WARD_RETURN_IF_ERROR(store->TombstoneAudit(e.seq, hashed->hashed));
    }
    return true;
  });
}

AuditData PurgeEntryData(const PurgeReport& r) {
  AuditData d;
  d.Set("cutoff", FormatIso8601(r.cutoff_ms));
  d.Set("sessions", static_cast<int64_t>(r.sessions.size()));
  d.Set("sessions_already_purged", r.sessions_already_purged);
  if (r.sessions.size() <= kMaxListedSessions) d.SetStrings("session_ids", r.sessions);
  d.Set("events_deleted", r.content.events);
  d.Set("session_texts_blanked", r.content.session_texts);
  d.Set("journal_images_dropped", r.content.journal_entries);
  d.Set("approval_bodies_dropped", r.content.approvals);
  d.Set("audit_tombstoned", r.audit_tombstoned);
  d.Set("audit_already_tombstones", r.audit_already_tombstones);
  d.Set("audit_legacy_kept", r.audit_legacy_kept);
  return d;
}

// Everything but the scrub, in the caller's transaction.
Status PurgeInTransaction(Store* store, AuditLog* audit, int64_t now_ms, PurgeReport& report) {
  report.sessions.clear();
  report.sessions_already_purged = report.audit_tombstoned = 0;
  report.audit_already_tombstones = report.audit_legacy_kept = 0;
  report.content = PurgedSessionContent();
  WARD_ASSIGN_OR_RETURN(auto ended, store->ListSessionsEndedBefore(report.cutoff_ms));
  std::set<std::string> ids;
  for (const SessionRecord& session : ended) {
    WARD_ASSIGN_OR_RETURN(PurgedSessionContent content,
                          store->PurgeSessionContent(session.id, now_ms, report.dry_run));
    AddContent(report.content, content);
    if (content.already_purged) ++report.sessions_already_purged;
    report.sessions.push_back(session.id);
    ids.insert(session.id);
  }
  WARD_RETURN_IF_ERROR(TombstoneAuditEntries(store, ids, report.dry_run, report));
  if (report.dry_run) return Status::Ok();
  WARD_ASSIGN_OR_RETURN(StoredAuditEntry entry, audit->Append("", "purge", PurgeEntryData(report)));
  report.purge_entry_seq = entry.seq;
  return Status::Ok();
}

}  // namespace

Result<PurgeReport> PurgeEndedSessions(Store* store, AuditLog* audit, Clock* clock,
                                       const PurgeOptions& options) {
  PurgeReport report;
  report.cutoff_ms = options.cutoff_ms;
  report.dry_run = options.dry_run;
  int64_t now_ms = clock->NowMillis();
  Status done = store->Atomically([&] { return PurgeInTransaction(store, audit, now_ms, report); });
  if (!done.ok()) return done.WithContext("purge (nothing was purged)");
  if (!options.dry_run) report.scrubbed = store->ScrubFreedSpace();
  return report;
}

std::string PurgedSessionMessage(const std::string& session, int64_t purged_ms) {
  return "session " + session + " was purged on " + FormatIso8601(purged_ms) +
         ": its journal no longer holds the before and after images a rollback needs";
}

}  // namespace ward
