#include "protocol/event_json.h"

#include <nlohmann/json.hpp>

#include "util/clock.h"
#include "util/json_limits.h"

namespace ward {

using nlohmann::json;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SessionStartedEvent, task, model, scripted, mode,
                                                actor, launcher, isolation, workspace, privacy,
                                                model_task)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ToolCallSummary, id, name, arguments_json,
                                                model_arguments_json)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ModelTurnEvent, step, content, tool_calls,
                                                input_tokens, output_tokens, attempts, latency_ms,
                                                model_content)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ActionProposedEvent, step, code, source, model_code)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BindingCallEvent, step, name, arguments_json, ok,
                                                outcome, decision, rule)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ApprovalRequestedEvent, step, approval_id, summary,
                                                action_json, hash, rule, reason, approvers, expires)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ApprovalDecidedEvent, step, approval_id, decision,
                                                by, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ObservationEvent, step, kind, text, truncated,
                                                elapsed_ms, model_text)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContextElidedEvent, elided_messages,
                                                estimated_tokens_before, estimated_tokens_after)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FinishedEvent, status, answer, reason, steps,
                                                input_tokens, output_tokens)

namespace {

// Tries to decode `payload` as alternative I of EventBody when its name matches.
template <size_t I = 0>
Result<EventBody> DecodeBody(std::string_view type, const json& payload) {
  if constexpr (I == std::variant_size_v<EventBody>) {
    return InvalidArgument("unknown event type '" + std::string(type) + "'");
  } else {
    using T = std::variant_alternative_t<I, EventBody>;
    EventBody probe{std::in_place_index<I>};
    if (type == EventTypeName(probe)) return EventBody{payload.get<T>()};
    return DecodeBody<I + 1>(type, payload);
  }
}

}  // namespace

std::string PayloadJson(const EventBody& body) {
  return std::visit([](const auto& b) { return DumpJson(json(b)); }, body);
}

Result<Event> EventFromStored(const std::string& session, int64_t seq, int64_t time_ms,
                              std::string_view type, std::string_view payload_json) {
  try {
    auto payload = ParseJson(payload_json);
    if (!payload.ok()) {
      return InvalidArgument("event " + session + "#" + std::to_string(seq) +
                             " has a malformed payload: " + payload.status().message());
    }
    WARD_ASSIGN_OR_RETURN(EventBody body, DecodeBody(type, *payload));
    return Event{session, seq, time_ms, std::move(body)};
  } catch (const json::exception& e) {
    return InvalidArgument("event " + session + "#" + std::to_string(seq) +
                           " has a malformed payload: " + e.what());
  }
}

std::string EventJsonLine(const Event& event) {
  json j = std::visit([](const auto& b) { return json(b); }, event.body);
  j["type"] = EventTypeName(event.body);
  j["session"] = event.session;
  j["seq"] = event.seq;
  j["time"] = FormatIso8601(event.time_ms);
  return DumpJson(j);
}

}  // namespace ward
