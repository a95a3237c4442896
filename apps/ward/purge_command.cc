// `ward purge --before DATE [--dry-run] [--yes] [--force] [--json]`: removes the
// content of sessions that ended before DATE while the audit chain keeps every
// hash (audit/purge.h; docs/audit.md, "Retention and purge"). Counts first; on a
// terminal it asks, elsewhere it needs --yes; then signs a checkpoint of the new
// head, as a session's end does. Exit 0 purged (or nothing to
// purge, or a dry run), 1 declined or failed (or purged but not scrubbed from
// the file), 2 bad input.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "audit/purge.h"
#include "commands.h"
#include "runtime/audit_checkpoints.h"
#include "runtime/config.h"

namespace ward {
namespace {

constexpr const char* kPurgeHelp =
    "Remove the content of sessions that ended before DATE, keeping the audit chain "
    "verifiable.\n"
    "Removed: the sessions' events (model text, code, observations), their task, answer and "
    "reason, their journal entries' before/after images, their approvals' action bodies, and "
    "the data of their audit entries (each replaced by its tombstone, whose hash is the "
    "entry's own: `ward audit verify` and published checkpoints keep holding).\n"
    "Kept: ids, status, times, token counts, journal and approval rows and states, every "
    "audit entry's actor, kind, session, time and hash. Entries written before sealed audit "
    "entries existed keep their data (counted as legacy). Running sessions are never touched. "
    "A purged session can no longer be rolled back.\n"
    "DATE: YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]. The purge is itself "
    "an audit entry (kind \"purge\"). Afterwards the store file is rebuilt so the bytes are "
    "gone from ward.db and its -wal.";

struct PurgeFlags {
  std::string home;
  std::string before;
  bool dry_run = false;
  bool yes = false;
  bool force = false;
  bool as_json = false;
};

nlohmann::json ReportJson(const PurgeReport& r) {
  return {{"cutoff", FormatIso8601(r.cutoff_ms)},
          {"dry_run", r.dry_run},
          {"sessions", r.sessions.size()},
          {"sessions_already_purged", r.sessions_already_purged},
          {"events_deleted", r.content.events},
          {"session_texts_blanked", r.content.session_texts},
          {"journal_images_dropped", r.content.journal_entries},
          {"approval_bodies_dropped", r.content.approvals},
          {"audit_tombstoned", r.audit_tombstoned},
          {"audit_already_tombstones", r.audit_already_tombstones},
          {"audit_legacy_kept", r.audit_legacy_kept},
          {"purge_entry_seq", r.purge_entry_seq},
          {"scrubbed", r.scrubbed.ok()}};
}

void PrintReport(const PurgeReport& r) {
  printf("%s %zu sessions ended before %s (%lld purged before)\n",
         r.dry_run ? "would purge" : "purged", r.sessions.size(),
         FormatIso8601(r.cutoff_ms).c_str(), static_cast<long long>(r.sessions_already_purged));
  printf(
      "  events deleted: %lld · session texts blanked: %lld · journal images dropped: %lld · "
      "approval bodies dropped: %lld\n",
      static_cast<long long>(r.content.events), static_cast<long long>(r.content.session_texts),
      static_cast<long long>(r.content.journal_entries),
      static_cast<long long>(r.content.approvals));
  printf(
      "  audit entries tombstoned: %lld · already tombstones: %lld · legacy entries kept whole "
      "(written before sealing; their hash covers their data): %lld\n",
      static_cast<long long>(r.audit_tombstoned),
      static_cast<long long>(r.audit_already_tombstones),
      static_cast<long long>(r.audit_legacy_kept));
  if (r.purge_entry_seq > 0)
    printf("  recorded as audit entry #%lld (kind purge)\n",
           static_cast<long long>(r.purge_entry_seq));
}

// Ok to go on: --yes, or "y" typed on a terminal. kExitUsage when not a terminal.
int Confirm(const PurgeReport& counts, bool yes) {
  if (yes) return kExitOk;
  if (!isatty(STDIN_FILENO)) {
    PrintError("purge needs --yes when stdin is not a terminal (or --dry-run to count only)");
    return kExitUsage;
  }
  printf("Purge the content of these %zu sessions? This cannot be undone. [y/N] ",
         counts.sessions.size());
  fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes") return kExitOk;
  PrintError("not purged");
  return kExitFailed;
}

// Signs and publishes the head (the purge entry) at once, as a session's end does.
// Failures are audited by the checkpointer and printed as warnings: the purge
// itself stands.
void CheckpointAfterPurge(const WardConfig& config, Store* store, Clock* clock, AuditLog* audit) {
  auto checkpointing = MakeAuditCheckpointing(config, store, clock);
  if (!checkpointing.ok())
    return PrintError("warning: no audit checkpoint after the purge: " +
                      checkpointing.status().message());
  auto result = checkpointing->checkpointer->CheckpointIfMoved(audit);
  if (!result.ok())
    return PrintError("warning: no audit checkpoint after the purge: " + result.status().message());
  if (!result->has_value()) return;
  for (const auto& failure : (*result)->publish_failures)
    PrintError("warning: audit checkpoint not published (audited): " + failure);
}

// The cutoff from --before: kExitUsage for a malformed or (without --force) future date.
int ParseCutoff(const PurgeFlags& flags, int64_t now_ms, int64_t* cutoff_ms) {
  if (!ParseIso8601(flags.before, cutoff_ms)) {
    PrintError("--before '" + flags.before +
               "' is not a date: use YYYY-MM-DD (midnight UTC) or "
               "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]");
    return kExitUsage;
  }
  if (*cutoff_ms > now_ms && !flags.force) {
    PrintError("--before " + flags.before +
               " is in the future: that would purge every ended session up to now; pass "
               "--force if that is meant");
    return kExitUsage;
  }
  return kExitOk;
}

int Purge(const PurgeFlags& flags) {
  Clock* clock = SystemClock::Default();
  int64_t cutoff_ms = 0;
  if (int code = ParseCutoff(flags, clock->NowMillis(), &cutoff_ms); code != kExitOk) return code;
  auto config = LoadConfig(flags.home);
  if (!config.ok()) return PrintError(config.status().message()), kExitUsage;
  auto store = OpenSqliteStore(config->home + "/ward.db");
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  AuditLog audit(store->get(), clock, CurrentUserName());
  auto counts = PurgeEndedSessions(store->get(), &audit, clock, {cutoff_ms, true});
  if (!counts.ok()) return PrintError(counts.status().message()), kExitFailed;
  if (flags.dry_run || counts->sessions.empty()) {
    if (flags.as_json)
      printf("%s\n", ReportJson(*counts).dump().c_str());
    else if (counts->sessions.empty())
      printf("nothing to purge: no session ended before %s\n", FormatIso8601(cutoff_ms).c_str());
    else
      PrintReport(*counts);
    return kExitOk;
  }
  if (!flags.as_json) PrintReport(*counts);
  if (int code = Confirm(*counts, flags.yes); code != kExitOk) return code;
  auto done = PurgeEndedSessions(store->get(), &audit, clock, {cutoff_ms, false});
  if (!done.ok()) return PrintError(done.status().message()), kExitFailed;
  if (flags.as_json)
    printf("%s\n", ReportJson(*done).dump().c_str());
  else
    PrintReport(*done);
  CheckpointAfterPurge(*config, store->get(), clock, &audit);
  if (!done->scrubbed.ok()) {
    PrintError("purged and audited, but not yet gone from the file: " + done->scrubbed.message());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

void AddPurgeCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<PurgeFlags>();
  auto* purge = app.add_subcommand(
      "purge",
      "Remove the content of sessions that ended before a date (audit chain stays verifiable)");
  purge->footer(kPurgeHelp);
  purge->add_option("--before", flags->before, "Purge sessions that ended before this date")
      ->required();
  purge->add_flag("--dry-run", flags->dry_run, "Print the counts only; change nothing");
  purge->add_flag("--yes", flags->yes, "Do not ask (needed when stdin is not a terminal)");
  purge->add_flag("--force", flags->force, "Accept a date in the future");
  purge->add_flag("--json", flags->as_json, "Print the counts as JSON");
  purge->add_option("--home", flags->home, "ward's home directory");
  purge->callback([=] { *exit_code = Purge(*flags); });
}

}  // namespace ward
