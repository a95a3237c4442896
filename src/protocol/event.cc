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

}  // namespace ward
