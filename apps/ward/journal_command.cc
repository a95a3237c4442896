// `ward rollback SESSION` and `ward changeset show|apply SESSION`.
#include <nlohmann/json.hpp>

#include "commands.h"
#include "journal/changeset.h"
#include "journal/rollback.h"
#include "net/http_client.h"
#include "runtime/config.h"
#include "runtime/connectors.h"
#include "runtime/session_runner.h"
#include "store/event_log.h"
#include "util/clock.h"

namespace ward {
namespace {

using nlohmann::json;

int Rollback(const std::string& home, const std::string& session, bool dry_run) {
  auto config = LoadConfig(home);
  if (!config.ok()) return PrintError(config.status().message()), kExitUsage;
  auto store = OpenSqliteStore(config->home + "/ward.db");
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  AuditLog audit(store->get(), SystemClock::Default(), CurrentUserName());
  auto http = NewHttpClient();
  auto report = RollbackSession(
      store->get(), &audit, MakeCompensatorLookup(*config, {http.get(), SystemClock::Default()}),
      session, {dry_run});
  if (!report.ok()) return PrintError(report.status().message()), kExitFailed;
  if (report->steps.empty())
    printf("nothing to roll back: %s has no writes left to undo\n", session.c_str());
  for (const auto& s : report->steps)
    printf("%-15s %s %s — %s\n", s.outcome.c_str(), s.action.c_str(),
           DescribeTarget(s.entry).c_str(), s.detail.c_str());
  if (report->stopped) {
    PrintError(
        "rollback stopped; nothing after that entry was changed. Resolve it and run "
        "`ward rollback " +
        session + "` again to resume.");
    return kExitFailed;
  }
  if (!report->complete) {
    PrintError(
        "rollback went through, but the effects marked irreversible above cannot be "
        "undone by ward: undo them by hand");
    return kExitFailed;
  }
  return kExitOk;
}

int Show(const std::string& home, const std::string& session, bool as_json) {
  auto store = OpenHomeStore(home);
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  auto items = LoadChangeset(store->get(), session);
  if (!items.ok()) return PrintError(items.status().message()), kExitFailed;
  if (as_json) {
    printf("%s\n", ChangesetJson(*items).c_str());
    return kExitOk;
  }
  if (items->empty())
    printf("%s recorded no writes (was it run with --dry-run?)\n", session.c_str());
  for (const auto& i : *items) {
    printf("#%lld %s %s/%s (%s%s)\n", static_cast<long long>(i.entry.seq),
           i.entry.operation.c_str(), i.entry.target_type.c_str(), i.entry.target_id.c_str(),
           JournalStateName(i.entry.state),
           i.entry.pre_version.empty() ? "" : (", base version " + i.entry.pre_version).c_str());
    for (const auto& line : i.diff) printf("    %s\n", line.c_str());
  }
  return kExitOk;
}

int Apply(const std::string& home, const std::string& session, const std::string& policy_file) {
  auto config = LoadConfig(home);
  if (!config.ok()) return PrintError(config.status().message()), kExitUsage;
  auto store = OpenSqliteStore(config->home + "/ward.db");
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  auto policy = LoadPolicy(*config, policy_file);
  if (!policy.ok()) return PrintError(policy.status().message()), kExitUsage;
  Clock* clock = SystemClock::Default();
  AuditLog audit(store->get(), clock, CurrentUserName());
  EventLog events(store->get(), clock);
  GateOptions gate;
  gate.policy = &*policy;
  gate.store = store->get();
  gate.clock = clock;
  gate.actor = CurrentUserName();
  gate.approval_ttl_ms = config->approval_ttl_ms;
  gate.require_distinct_approver = config->require_distinct_approver;
  auto http = NewHttpClient();
  auto report = ApplyChangeset(store->get(), &audit, &events,
                               MakeCompensatorLookup(*config, {http.get(), SystemClock::Default()}),
                               session, gate);
  if (!report.ok()) return PrintError(report.status().message()), kExitFailed;
  if (!report->drift.empty()) {
    PrintError("the server moved on since the dry run; nothing was applied:");
    for (const auto& d : report->drift) fprintf(stderr, "  %s\n", d.c_str());
    return kExitFailed;
  }
  for (const auto& a : report->applied) printf("applied %s\n", a.c_str());
  if (!report->stopped.empty()) return PrintError(report->stopped), kExitFailed;
  return kExitOk;
}

}  // namespace

void AddJournalCommands(CLI::App& app, int* exit_code) {
  auto home = std::make_shared<std::string>();
  auto session = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  auto* rollback = app.add_subcommand(
      "rollback", "Undo a session's writes in reverse order (stops at anyone else's change)");
  rollback->add_option("session", *session, "Session id")->required();
  rollback->add_flag("--dry-run", *dry_run, "Show what would be undone; change nothing");
  rollback->add_option("--home", *home, "ward's home directory");
  rollback->callback([=] { *exit_code = Rollback(*home, *session, *dry_run); });

  auto as_json = std::make_shared<bool>(false);
  auto policy = std::make_shared<std::string>();
  auto* changeset = app.add_subcommand("changeset", "The writes a --dry-run session recorded");
  changeset->require_subcommand(1);
  auto* show = changeset->add_subcommand("show", "Each recorded write with its before/after diff");
  show->add_option("session", *session, "Session id")->required();
  show->add_flag("--json", *as_json, "Print JSON");
  show->add_option("--home", *home, "ward's home directory");
  show->callback([=] { *exit_code = Show(*home, *session, *as_json); });
  auto* apply = changeset->add_subcommand(
      "apply", "Replay the recorded writes through the gate; nothing if the server moved on");
  apply->add_option("session", *session, "Session id")->required();
  apply->add_option("--policy", *policy, "Policy file (default: ward.toml's rules)");
  apply->add_option("--home", *home, "ward's home directory");
  apply->callback([=] { *exit_code = Apply(*home, *session, *policy); });
}

}  // namespace ward
