// Approvals: list, inspect, decide (bound to the action's hash).
#include <nlohmann/json.hpp>

#include "server/api.h"
#include "server/api_json.h"

namespace ward::server {

using nlohmann::json;

Result<ApiResponse> Api::ListApprovals(ApiRequest& r, const Principal&) {
  std::string state = r.query.count("state") ? r.query["state"] : "";
  if (!state.empty() && state != "pending" && state != "approved" && state != "denied" &&
      state != "expired")
    return InvalidArgument("state must be pending, approved, denied or expired");
  std::string session = r.query.count("session") ? r.query["session"] : "";
  WARD_ASSIGN_OR_RETURN(int64_t limit, QueryInt(r, "limit", 100, 1, 1000));
  WARD_ASSIGN_OR_RETURN(auto approvals, ctx_.store->ListApprovals(
                                            state, session.empty() ? static_cast<int>(limit) : 0,
                                            ctx_.clock->NowMillis()));
  json out = json::array();
  for (const auto& a : approvals) {
    if (!session.empty() && a.session != session) continue;
    out.push_back(ApprovalJson(a));
    if (static_cast<int64_t>(out.size()) >= limit) break;
  }
  return JsonResponse(200, Dump(out));
}

Result<ApiResponse> Api::GetApproval(ApiRequest& r, const Principal&) {
  WARD_ASSIGN_OR_RETURN(ApprovalRecord a, ctx_.store->GetApproval(r.params[0]));
  return JsonResponse(200, Dump(ApprovalJson(a)));
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
  return JsonResponse(200, Dump(ApprovalJson(*decided)));
}

}  // namespace ward::server
