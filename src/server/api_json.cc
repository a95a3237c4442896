#include "server/api_json.h"

#include "util/clock.h"
#include "util/json_limits.h"

namespace ward::server {

using nlohmann::json;

json SessionJson(const SessionRecord& r) {
  return {{"id", r.id},
          {"task", r.task},
          {"model", r.model},
          {"mode", r.mode},
          {"actor", r.actor},
          {"claimed_actor", r.claimed_actor},
          {"status", r.status},
          {"created", FormatIso8601(r.created_ms)},
          {"updated", FormatIso8601(r.updated_ms)},
          {"answer", r.answer},
          {"reason", r.reason},
          {"steps", r.steps},
          {"input_tokens", r.input_tokens},
          {"output_tokens", r.output_tokens}};
}

json ApprovalJson(const ApprovalRecord& a) {
  json action = ParseJsonOrDiscarded(a.action_json);
  if (action.is_discarded()) action = a.action_json;
  json out = {{"id", a.id},
              {"session", a.session},
              {"hash", a.action_hash},
              {"action", std::move(action)},
              {"summary", a.summary},
              {"rule", a.rule},
              {"approvers", a.approvers},
              {"requested_by", a.requested_by},
              {"distinct_approver", a.distinct_approver},
              {"created", FormatIso8601(a.created_ms)},
              {"expires", FormatIso8601(a.expires_ms)},
              {"expires_ms", a.expires_ms},
              {"state", a.state}};
  if (a.state != "pending") {
    out["decided_by"] = a.decided_by;
    out["reason"] = a.reason;
    out["decided"] = FormatIso8601(a.decided_ms);
  }
  return out;
}

Result<json> ParseJsonObject(const std::string& body) {
  auto v = ParseJson(body);
  if (!v.ok()) return InvalidArgument("the body must be a JSON object: " + v.status().message());
  if (!v->is_object()) return InvalidArgument("the body must be a JSON object");
  return v;
}

Result<std::string> StringField(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument(std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace ward::server
