// Approvals: list, inspect, decide (bound to the action's hash).
#include <nlohmann/json.hpp>

#include "runtime/session_reaper.h"
#include "server/api.h"
#include "server/api_json.h"

namespace ward::server {

using nlohmann::json;

Result<ApiResponse> Api::ListApprovals(ApiRequest& r, const Principal& p) {
  std::string state = r.query.count("state") ? r.query["state"] : "";
  if (!state.empty() && state != "pending" && state != "approved" && state != "denied" &&
      state != "expired" && state != "closed")
    return InvalidArgument("state must be pending, approved, denied, expired or closed");
  std::string session = r.query.count("session") ? r.query["session"] : "";
  WARD_ASSIGN_OR_RETURN(int64_t limit, QueryInt(r, "limit", 100, 1, 1000));
  WARD_RETURN_IF_ERROR(InterruptDeadSessions(ctx_.store, ctx_.clock, p.user).status());
  WARD_ASSIGN_OR_RETURN(auto approvals, ctx_.store->ListApprovals(
                                            state, session.empty() ? static_cast<int>(limit) : 0,
                                            ctx_.clock->NowMillis()));
  json out = json::array();
  std::vector<std::string> ids;
  for (const auto& a : approvals) {
    if (!session.empty() && a.session != session) continue;
    out.push_back(ApprovalJson(a));
    ids.push_back(a.id);
    if (static_cast<int64_t>(out.size()) >= limit) break;
  }
  // Approvals carry the before/after of the resources they would write: showing
  // one to a user is audited like any other read of session data (once per user
  // and approval for a list that polls; every time for GetApproval).
  std::vector<std::string> first = FirstShown(p.user, ids);
  if (!first.empty()) {
    std::string shown;
    for (const auto& id : first) shown += (shown.empty() ? "" : ",") + id;
    Status audited = Audit(p, session, "api_approval_read", {{"what", "list"}, {"ids", shown}});
    if (!audited.ok()) {
      std::lock_guard<std::mutex> lock(shown_mu_);
      for (const auto& id : first) shown_.erase(p.user + "\n" + id);
      return audited;
    }
  }
  return JsonResponse(200, DumpJson(out));
}

std::vector<std::string> Api::FirstShown(const std::string& user,
                                         const std::vector<std::string>& approvals) {
  std::lock_guard<std::mutex> lock(shown_mu_);
  if (shown_.size() > 100'000) shown_.clear();  // bounded: at worst audited again
  std::vector<std::string> first;
  for (const auto& id : approvals)
    if (shown_.insert(user + "\n" + id).second) first.push_back(id);
  return first;
}

Result<ApiResponse> Api::GetApproval(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(ApprovalRecord a, ctx_.store->GetApproval(r.params[0]));
  WARD_RETURN_IF_ERROR(Audit(p, a.session, "api_approval_read", {{"what", a.id}}));
  return JsonResponse(200, DumpJson(ApprovalJson(a)));
}

Result<ApiResponse> Api::DecideApproval(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(json body, ParseJsonObject(r.body));
  WARD_ASSIGN_OR_RETURN(std::string decision, StringField(body, "decision"));
  WARD_ASSIGN_OR_RETURN(std::string hash, StringField(body, "hash"));
  WARD_ASSIGN_OR_RETURN(std::string reason, StringField(body, "reason"));
  if (decision != "approve" && decision != "deny")
    return InvalidArgument("\"decision\" must be \"approve\" or \"deny\"");
  if (hash.empty()) return InvalidArgument("\"hash\" (the action's hash you reviewed) is required");
  if (reason.size() > 2000) return InvalidArgument("\"reason\" is too long");
  const std::string& id = r.params[0];
  WARD_ASSIGN_OR_RETURN(ApprovalRecord pending, ctx_.store->GetApproval(id));
  // A session whose process has gone is interrupted first: its approvals close.
  auto session = GetLiveSession(ctx_.store, ctx_.clock, p.user, pending.session);
  if (!session.ok() && session.status().code() != StatusCode::kNotFound) return session.status();
  if (!pending.approvers.empty()) {
    auto needed = ParseRole(pending.approvers);
    if (needed.ok() && p.role < *needed)
      return PermissionDenied("approval " + id + " needs the " + pending.approvers + " role");
  }
  ApprovalDecision d{decision == "approve", p.user, reason, hash, ctx_.clock->NowMillis()};
  auto decided = ctx_.store->DecideApproval(id, d);
  WARD_RETURN_IF_ERROR(
      Audit(p, pending.session, "api_approval_decision",
            {{"approval", id},
             {"decision", decision},
             {"hash", hash},
             {"reason", reason},
             {"outcome", decided.ok() ? "applied" : decided.status().ToString()}}));
  if (!decided.ok()) return decided.status();
  return JsonResponse(200, DumpJson(ApprovalJson(*decided)));
}

}  // namespace ward::server
