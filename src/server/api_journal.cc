// A session's writes: its dry-run changeset, and rolling its writes back.
#include <nlohmann/json.hpp>

#include "journal/changeset.h"
#include "journal/rollback.h"
#include "net/http_client.h"
#include "server/api.h"
#include "server/api_json.h"

namespace ward::server {

using nlohmann::json;

namespace {}  // namespace

Result<ApiResponse> Api::Changeset(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(auto items, LoadChangeset(ctx_.store, r.params[0]));
  WARD_RETURN_IF_ERROR(Audit(p, r.params[0], "api_session_read", {{"what", "changeset"}}));
  return JsonResponse(200, ChangesetJson(items));
}

Result<ApiResponse> Api::Rollback(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(SessionRecord s, ctx_.store->GetSession(r.params[0]));
  if (s.status == "running")
    return FailedPrecondition("session " + s.id + " is still running; cancel it first");
  bool dry_run = r.query.count("dry_run") && r.query.at("dry_run") != "false";
  AuditLog audit(ctx_.store, ctx_.clock, p.user);
  auto http = NewHttpClient();
  WARD_ASSIGN_OR_RETURN(RollbackReport report,
                        RollbackSession(ctx_.store, &audit, http.get(), s.id,
                                        {dry_run, FhirBearerToken(ctx_.config)}));
  json steps = json::array();
  for (const auto& step : report.steps)
    steps.push_back({{"resource", step.entry.resource_type + "/" + step.entry.resource_id},
                     {"action", step.action},
                     {"outcome", step.outcome},
                     {"detail", step.detail}});
  WARD_RETURN_IF_ERROR(Audit(
      p, s.id, "api_session_rollback",
      {{"dry_run", dry_run ? "true" : "false"}, {"complete", report.complete ? "true" : "false"}}));
  return JsonResponse(report.complete ? 200 : 409, Dump({{"session", s.id},
                                                         {"complete", report.complete},
                                                         {"dry_run", dry_run},
                                                         {"steps", steps}}));
}

}  // namespace ward::server
