// Sessions: list, start, inspect, cancel, and their events (JSON and SSE).
#include <nlohmann/json.hpp>

#include "runtime/session_reaper.h"
#include "server/api.h"
#include "server/api_json.h"

namespace ward::server {

using nlohmann::json;

namespace {

Result<int64_t> IntOption(const json& options, const char* name, int64_t fallback, int64_t min,
                          int64_t max) {
  auto it = options.find(name);
  if (it == options.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max)
    return InvalidArgument(std::string("options.") + name + " must be a whole number from " +
                           std::to_string(min) + " to " + std::to_string(max));
  return it->get<int64_t>();
}

// Builds the request from the body over the configured defaults.
Result<SessionRequest> ParseStart(const json& body, const WardConfig& config, const Principal& p) {
  SessionRequest req;
  StartTaskOp& op = req.op;
  op = config.run_defaults;
  WARD_ASSIGN_OR_RETURN(op.task, StringField(body, "task"));
  if (op.task.empty()) return InvalidArgument("\"task\" is required");
  WARD_ASSIGN_OR_RETURN(op.model, StringField(body, "model"));
  if (op.model.empty()) op.model = config.default_model;
  if (op.model.empty()) return InvalidArgument("no \"model\" given and no default is configured");
  if (op.model.rfind("scripted:", 0) == 0 && p.role != Role::kAdmin)
    return PermissionDenied("only an admin may start a scripted (replayed) session");
  json options = body.value("options", json::object());
  if (!options.is_object()) return InvalidArgument("\"options\" must be an object");
  WARD_ASSIGN_OR_RETURN(std::string mode, StringField(options, "mode"));
  if (!mode.empty() && mode != "code" && mode != "tools")
    return InvalidArgument("options.mode must be \"code\" or \"tools\"");
  if (!mode.empty()) op.mode = mode == "tools" ? AgentMode::kTools : AgentMode::kCode;
  WARD_ASSIGN_OR_RETURN(int64_t steps, IntOption(options, "max_steps", op.max_steps, 1, 1000));
  op.max_steps = static_cast<int>(steps);
  WARD_ASSIGN_OR_RETURN(op.max_total_tokens,
                        IntOption(options, "max_tokens", op.max_total_tokens, 0, int64_t{1} << 40));
  WARD_ASSIGN_OR_RETURN(int64_t secs,
                        IntOption(options, "max_seconds", op.max_wall_ms / 1000, 0, 7 * 86400));
  op.max_wall_ms = secs * 1000;
  WARD_ASSIGN_OR_RETURN(int64_t action, IntOption(options, "action_timeout_seconds",
                                                  op.action_timeout_ms / 1000, 1, 3600));
  op.action_timeout_ms = action * 1000;
  WARD_ASSIGN_OR_RETURN(op.now, StringField(options, "now"));
  int64_t ignored = 0;
  if (!op.now.empty() && !ParseIso8601(op.now, &ignored))
    return InvalidArgument("options.now must be an ISO 8601 date-time");
  WARD_ASSIGN_OR_RETURN(req.fhir_url, StringField(options, "fhir_url"));
  if (!req.fhir_url.empty() && p.role != Role::kAdmin)
    return PermissionDenied("only an admin may point a session at another FHIR server");
  WARD_ASSIGN_OR_RETURN(op.purpose_of_use, StringField(options, "purpose_of_use"));
  if (!op.purpose_of_use.empty())
    WARD_RETURN_IF_ERROR(
        CheckPurposeOfUse(op.purpose_of_use).WithContext("options.purpose_of_use"));
  WARD_ASSIGN_OR_RETURN(req.privacy, StringField(options, "privacy"));
  if (!req.privacy.empty()) {
    WARD_ASSIGN_OR_RETURN(PrivacyMode mode, ParsePrivacyMode(req.privacy));
    // Only an administrator may weaken the configured privacy (or, where none is
    // configured, the default with a FHIR connector).
    auto rank = [](PrivacyMode m) {
      return m == PrivacyMode::kOff ? 0 : m == PrivacyMode::kPseudonymise ? 1 : 2;
    };
    PrivacyMode floor = config.privacy_mode_set ? config.privacy.mode : PrivacyMode::kPseudonymise;
    if (rank(mode) < rank(floor) && p.role != Role::kAdmin)
      return PermissionDenied(std::string("only an admin may start a session with privacy weaker "
                                          "than \"") +
                              PrivacyModeName(floor) + "\"");
  }
  op.actor = p.user;
  return req;
}

}  // namespace

Result<ApiResponse> Api::ListSessions(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(int64_t limit, QueryInt(r, "limit", 50, 1, 1000));
  WARD_RETURN_IF_ERROR(InterruptDeadSessions(ctx_.store, ctx_.clock, p.user).status());
  WARD_ASSIGN_OR_RETURN(auto sessions, ctx_.store->ListSessions(static_cast<int>(limit)));
  json out = json::array();
  for (const auto& s : sessions) out.push_back(SessionJson(s));
  return JsonResponse(200, DumpJson(out));
}

Result<ApiResponse> Api::StartSession(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(json body, ParseJsonObject(r.body));
  WARD_ASSIGN_OR_RETURN(SessionRequest req, ParseStart(body, ctx_.config, p));
  WARD_ASSIGN_OR_RETURN(std::string id, ctx_.sessions->Start(req));
  WARD_RETURN_IF_ERROR(
      Audit(p, id, "api_session_start", {{"model", req.op.model}, {"task", req.op.task}}));
  ApiResponse res = JsonResponse(201, DumpJson({{"id", id}, {"status", "running"}}));
  res.headers.emplace_back("Location", "/api/v1/sessions/" + id);
  return res;
}

Result<ApiResponse> Api::GetSession(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(SessionRecord s,
                        GetLiveSession(ctx_.store, ctx_.clock, p.user, r.params[0]));
  return JsonResponse(200, DumpJson(SessionJson(s)));
}

Result<ApiResponse> Api::CancelSession(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(SessionRecord s,
                        GetLiveSession(ctx_.store, ctx_.clock, p.user, r.params[0]));
  if (s.status != "running")
    return FailedPrecondition("session " + s.id + " is " + s.status + ", not running");
  WARD_RETURN_IF_ERROR(ctx_.store->RequestCancel(s.id));
  WARD_RETURN_IF_ERROR(Audit(p, s.id, "api_session_cancel", {}));
  return JsonResponse(202, DumpJson({{"id", s.id}, {"cancel_requested", true}}));
}

Result<ApiResponse> Api::ListEvents(ApiRequest& r, const Principal& p) {
  const std::string& id = r.params[0];
  WARD_RETURN_IF_ERROR(ctx_.store->GetSession(id).status());
  WARD_ASSIGN_OR_RETURN(int64_t after, QueryInt(r, "after", 0, 0, INT64_MAX));
  WARD_ASSIGN_OR_RETURN(int64_t limit, QueryInt(r, "limit", 1000, 1, 10000));
  WARD_ASSIGN_OR_RETURN(auto events, ctx_.store->ListEvents(id, after, static_cast<int>(limit)));
  std::string out = "[";
  for (size_t i = 0; i < events.size(); ++i) {
    WARD_ASSIGN_OR_RETURN(WireEvent w, RenderEvent(events[i]));
    if (i) out += ',';
    out += w.json;
  }
  out += "]";
  WARD_RETURN_IF_ERROR(Audit(p, id, "api_session_read", {{"what", "events"}}));
  return JsonResponse(200, std::move(out));
}

Result<ApiResponse> Api::StreamEvents(ApiRequest& r, const Principal& p) {
  const std::string& id = r.params[0];
  WARD_RETURN_IF_ERROR(GetLiveSession(ctx_.store, ctx_.clock, p.user, id).status());
  WARD_ASSIGN_OR_RETURN(int64_t after, QueryInt(r, "after", 0, 0, INT64_MAX));
  if (!r.last_event_id.empty()) {
    // A reconnecting browser: resume right after the last event it received.
    ApiRequest probe;
    probe.query["Last-Event-ID"] = r.last_event_id;
    WARD_ASSIGN_OR_RETURN(after, QueryInt(probe, "Last-Event-ID", 0, 0, INT64_MAX));
  }
  WARD_RETURN_IF_ERROR(Audit(p, id, "api_session_read", {{"what", "stream"}}));
  ApiResponse res;
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("X-Accel-Buffering", "no");
  res.stream = std::make_shared<EventStream>(ctx_.hub, ctx_.store, id, after, ctx_.heartbeat_ms);
  res.stream->CheckOwnerAs(ctx_.clock, p.user);
  return res;
}

}  // namespace ward::server
