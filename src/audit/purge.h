// Retention purge: removes the content of sessions that ended before a cutoff
// while every audit hash — and so `ward audit verify` and every signed
// checkpoint — stays as it was (docs/audit.md, "Retention and purge").
//
// For each session that is not running and ended (its last update) before the
// cutoff: its events are deleted, its task/answer/reason blanked, its journal
// entries' pre/post images and its approvals' action bodies emptied
// (Store::PurgeSessionContent), and each of its sealed audit entries is replaced
// by its tombstone (audit_log.h: the sealed form, no data). Legacy entries (from
// before sealing) cannot lose their data without breaking the chain: they are
// left as they are and counted. All of it, and then one audit entry of kind
// "purge" (the cutoff, the counts, the actor), is one store transaction; then the
// store is scrubbed (Store::ScrubFreedSpace) so the bytes leave the file.
// A second purge with the same cutoff changes nothing more (its counts are 0)
// but is audited too. Not thread-safe with itself; safe beside running sessions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward {

struct PurgeOptions {
  int64_t cutoff_ms = 0;  // sessions that ended strictly before this
  bool dry_run = false;   // count only: nothing is written, audited or scrubbed
};

struct PurgeReport {
  int64_t cutoff_ms = 0;
  bool dry_run = false;
  std::vector<std::string> sessions;  // every session ended before the cutoff
  int64_t sessions_already_purged = 0;
  PurgedSessionContent content;  // summed over the sessions
  int64_t audit_tombstoned = 0;  // sealed entries whose data was (or would be) removed
  int64_t audit_already_tombstones = 0;
  int64_t audit_legacy_kept = 0;  // legacy entries of those sessions, left whole
  int64_t purge_entry_seq = 0;    // the "purge" audit entry (0 in a dry run)
  // Ok when the file holds no purged byte any more; else why not (the purge
  // itself is committed and audited either way). Always Ok in a dry run.
  Status scrubbed;
};

// Purges as above. `audit` writes the "purge" entry (its actor is the purger's);
// `clock` dates the purge. Errors only when the store fails (then nothing was
// purged) — a failed scrub is reported in PurgeReport::scrubbed.
Result<PurgeReport> PurgeEndedSessions(Store* store, AuditLog* audit, Clock* clock,
                                       const PurgeOptions& options);

// The message a rollback (or anything else needing a purged session's journal
// images) refuses with: "session S was purged on 2026-11-30T05:00:00.000Z: ...".
std::string PurgedSessionMessage(const std::string& session, int64_t purged_ms);

}  // namespace ward
