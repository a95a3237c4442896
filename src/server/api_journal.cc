// A session's writes: its journal (the dry run's changeset, or the live writes with
// their state), and rolling its live writes back.
#include <nlohmann/json.hpp>

#include "journal/changeset.h"
#include "journal/rollback.h"
#include "net/http_client.h"
#include "runtime/connectors.h"
#include "server/api.h"
#include "server/api_json.h"

namespace ward::server {

using nlohmann::json;

namespace {

json StepJson(const RollbackStep& step) {
  const JournalEntry& e = step.entry;
  return {{"resource", e.target_type + "/" + e.target_id},
          {"connector", e.connector},
          {"target", DescribeTarget(e)},
          {"operation", e.operation},         // what the session did
          {"version_before", e.pre_version},  // the version it changed ("" for a create)
          {"version_left", e.post_version},   // the version it wrote (a delete's too)
          {"action", step.action},
          {"outcome", step.outcome},
          {"detail", step.detail}};
}

}  // namespace

Result<ApiResponse> Api::Changeset(ApiRequest& r, const Principal& p) {
  std::string name = r.query.count("mode") ? r.query.at("mode") : "dry_run";
  std::optional<JournalMode> mode = JournalModeFromName(name);
  if (!mode) return InvalidArgument("mode must be \"dry_run\" (the planned writes) or \"live\"");
  WARD_ASSIGN_OR_RETURN(auto items, LoadChangeset(ctx_.store, r.params[0], *mode));
  WARD_RETURN_IF_ERROR(Audit(p, r.params[0], "api_session_read", {{"what", "changeset " + name}}));
  return JsonResponse(200, ChangesetJson(items));
}

Result<ApiResponse> Api::Rollback(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(SessionRecord s, ctx_.store->GetSession(r.params[0]));
  if (s.status == "running")
    return FailedPrecondition("session " + s.id + " is still running; cancel it first");
  bool dry_run = r.query.count("dry_run") && r.query.at("dry_run") != "false";
  // One rollback of a session at a time in this server (a double tap on a phone).
  {
    std::lock_guard<std::mutex> lock(rollback_mu_);
    if (!rolling_back_.insert(s.id).second)
      return FailedPrecondition("a rollback of session " + s.id + " is already in progress");
  }
  struct Release {
    Api* api;
    const std::string& id;
    ~Release() {
      std::lock_guard<std::mutex> lock(api->rollback_mu_);
      api->rolling_back_.erase(id);
    }
  } release{this, s.id};
  AuditLog audit(ctx_.store, ctx_.clock, p.user);
  auto http = NewHttpClient();
  WARD_ASSIGN_OR_RETURN(
      RollbackReport report,
      RollbackSession(ctx_.store, &audit,
                      MakeCompensatorLookup(ctx_.config, {http.get(), ctx_.clock}), s.id,
                      {dry_run}));
  json steps = json::array();
  for (const auto& step : report.steps) steps.push_back(StepJson(step));
  WARD_RETURN_IF_ERROR(Audit(
      p, s.id, "api_session_rollback",
      {{"dry_run", dry_run ? "true" : "false"}, {"complete", report.complete ? "true" : "false"}}));
  return JsonResponse(report.stopped ? 409 : 200, DumpJson({{"session", s.id},
                                                            {"complete", report.complete},
                                                            {"stopped", report.stopped},
                                                            {"dry_run", dry_run},
                                                            {"steps", steps}}));
}

}  // namespace ward::server
