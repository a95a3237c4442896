// `ward approvals list`, `ward approve ID`, `ward deny ID`: decide pending actions
// from any terminal on the same store while the session waits.
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "commands.h"
#include "runtime/config.h"
#include "runtime/session_reaper.h"
#include "server/auth.h"
#include "util/clock.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

int List(const std::string& home, bool as_json, bool all) {
  auto store = OpenHomeStore(home);
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  auto reaped = InterruptDeadSessions(store->get(), SystemClock::Default(), CurrentUserName());
  if (!reaped.ok()) return PrintError(reaped.status().message()), kExitFailed;
  auto list =
      (*store)->ListApprovals(all ? "" : "pending", 100, SystemClock::Default()->NowMillis());
  if (!list.ok()) return PrintError(list.status().message()), kExitFailed;
  if (as_json) {
    json out = json::array();
    for (const auto& a : *list)
      out.push_back({{"id", a.id},
                     {"session", a.session},
                     {"state", a.state},
                     {"summary", a.summary},
                     {"hash", a.action_hash},
                     {"rule", a.rule},
                     {"approvers", a.approvers},
                     {"requested_by", a.requested_by},
                     {"expires", FormatIso8601(a.expires_ms)},
                     {"decided_by", a.decided_by},
                     {"reason", a.reason},
                     {"action", ParseJsonOrDiscarded(a.action_json)}});
    printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (list->empty()) {
    printf(all ? "no approvals yet\n" : "no approvals pending\n");
    return kExitOk;
  }
  for (const auto& a : *list) {
    printf("%s  %-8s  %s  (session %s, rule %s, expires %s)\n    hash %s\n", a.id.c_str(),
           a.state.c_str(), a.summary.c_str(), a.session.c_str(), a.rule.c_str(),
           FormatIso8601(a.expires_ms).c_str(), a.action_hash.c_str());
  }
  return kExitOk;
}

// Who decides: the OS user running this command (from the kernel), or with --as
// the ward user whose password is given (prompted, or one line of stdin), who must
// hold a role that may decide approvals. Never a name taken on trust.
Result<std::string> VerifiedApprover(const std::string& home, const std::string& as) {
  if (as.empty()) return CurrentUserName();
  WARD_ASSIGN_OR_RETURN(auto users, OpenUsers(home));
  std::string password = ReadPassword("password for " + as + ": ");
  WARD_ASSIGN_OR_RETURN(server::Principal who, server::CheckPassword(users.get(), as, password));
  if (who.role < server::Role::kApprover)
    return PermissionDenied(as + " is a " + server::RoleName(who.role) +
                            " and may not decide approvals");
  return who.user;
}

int Decide(const std::string& home, const std::string& id, bool approve, const std::string& as,
           const std::string& hash, const std::string& reason) {
  auto store = OpenHomeStore(home);
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  auto pending = (*store)->GetApproval(id);
  if (!pending.ok()) return PrintError(pending.status().message()), kExitFailed;
  auto by = VerifiedApprover(home, as);
  if (!by.ok()) return PrintError(by.status().message()), kExitFailed;
  Clock* clock = SystemClock::Default();
  // A session whose process has gone is interrupted first: its approvals close.
  auto session = GetLiveSession(store->get(), clock, *by, pending->session);
  if (!session.ok() && session.status().code() != StatusCode::kNotFound)
    return PrintError(session.status().message()), kExitFailed;
  // Without --hash the person decides on the action as shown by `ward approvals list`.
  ApprovalDecision d{approve, *by, reason, hash.empty() ? pending->action_hash : hash,
                     clock->NowMillis()};
  auto decided = (*store)->DecideApproval(id, d);
  AuditLog audit(store->get(), clock, *by);
  AuditData data;
  data.Set("approval", id).Set("decision", approve ? "approve" : "deny").Set("hash", d.hash);
  data.Set("os_user", CurrentUserName());
  data.Set("ok", decided.ok()).Set("error", decided.ok() ? "" : decided.status().message());
  auto recorded = audit.Record(pending->session, "approval_decision", data);
  if (!decided.ok()) return PrintError(decided.status().message()), kExitFailed;
  if (!recorded.ok())
    return PrintError("the decision was stored but not written to the audit log: " +
                      recorded.status().message()),
           kExitFailed;
  printf("%s %s: %s\n", approve ? "approved" : "denied", id.c_str(), decided->summary.c_str());
  return kExitOk;
}

}  // namespace

void AddApprovalCommands(CLI::App& app, int* exit_code) {
  auto home = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto all = std::make_shared<bool>(false);
  auto* approvals = app.add_subcommand("approvals", "Actions waiting for a person's decision");
  approvals->require_subcommand(1);
  auto* list = approvals->add_subcommand("list", "Pending approvals (--all: every approval)");
  list->add_option("--home", *home, "ward's home directory");
  list->add_flag("--json", *as_json, "Print JSON (with the full action and its before/after)");
  list->add_flag("--all", *all, "Include decided and expired approvals");
  list->callback([=] { *exit_code = List(*home, *as_json, *all); });

  auto id = std::make_shared<std::string>();
  auto as = std::make_shared<std::string>();
  auto hash = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto* approve = app.add_subcommand("approve", "Approve a pending action");
  approve->add_option("id", *id, "Approval id")->required();
  approve->add_option("--as", *as,
                      "Approve as this `ward user` (asks for their password; default: the OS "
                      "user running this command)");
  approve->add_option("--hash", *hash,
                      "The action hash you reviewed; the approval applies only if it matches");
  approve->add_option("--reason", *reason, "Why");
  approve->add_option("--home", *home, "ward's home directory");
  approve->callback([=] { *exit_code = Decide(*home, *id, true, *as, *hash, *reason); });
  auto* deny = app.add_subcommand("deny", "Deny a pending action");
  deny->add_option("id", *id, "Approval id")->required();
  deny->add_option("--as", *as, "Deny as this `ward user` (asks for their password)");
  deny->add_option("--hash", *hash, "The action hash you reviewed");
  deny->add_option("--reason", *reason, "Why (the model reads it)");
  deny->add_option("--home", *home, "ward's home directory");
  deny->callback([=] { *exit_code = Decide(*home, *id, false, *as, *hash, *reason); });
}

}  // namespace ward
