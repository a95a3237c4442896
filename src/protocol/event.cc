#include "protocol/event.h"

#include "protocol/op.h"

namespace ward {

const char* EventTypeName(const EventBody& body) {
  struct Namer {
    const char* operator()(const SessionStartedEvent&) const { return "session_started"; }
    const char* operator()(const ModelTurnEvent&) const { return "model_turn"; }
    const char* operator()(const ActionProposedEvent&) const { return "action_proposed"; }
    const char* operator()(const BindingCallEvent&) const { return "binding_call"; }
    const char* operator()(const ObservationEvent&) const { return "observation"; }
    const char* operator()(const ContextElidedEvent&) const { return "context_elided"; }
    const char* operator()(const FinishedEvent&) const { return "finished"; }
    const char* operator()(const ApprovalRequestedEvent&) const { return "approval_requested"; }
    const char* operator()(const ApprovalDecidedEvent&) const { return "approval_decided"; }
  };
  return std::visit(Namer{}, body);
}

const char* AgentModeName(AgentMode mode) { return mode == AgentMode::kCode ? "code" : "tools"; }

namespace {
void Swap(std::string& shown, std::string& exchanged) {
  if (exchanged.empty()) return;
  shown = std::move(exchanged);
  exchanged.clear();
}
}  // namespace

EventBody AsExchangedWithModel(EventBody body) {
  if (auto* started = std::get_if<SessionStartedEvent>(&body)) {
    Swap(started->task, started->model_task);
  } else if (auto* turn = std::get_if<ModelTurnEvent>(&body)) {
    Swap(turn->content, turn->model_content);
    for (auto& call : turn->tool_calls) Swap(call.arguments_json, call.model_arguments_json);
  } else if (auto* action = std::get_if<ActionProposedEvent>(&body)) {
    Swap(action->code, action->model_code);
  } else if (auto* observation = std::get_if<ObservationEvent>(&body)) {
    Swap(observation->text, observation->model_text);
  }
  return body;
}

}  // namespace ward
