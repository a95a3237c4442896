// Event: what a session reports, in ward's own types. Core emits these; frontends
// (CLI, `ward exec --json`, the HTTP server) consume them. Every event is persisted
// with a per-session sequence number before anyone sees it. JSON lives only in
// event_json.h. Plain data; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ward {

struct SessionStartedEvent {
  std::string task;
  std::string model;  // "provider:model"
  bool scripted = false;
  std::string mode;  // "code" or "tools"
  std::string actor;
  std::string launcher;                // how the guest runs, e.g. "process"
  std::vector<std::string> isolation;  // isolation layers active for the guest
  std::string workspace;               // empty when none was given
  std::string privacy;                 // privacy mode toward the model ("off", ...)
  std::string model_task;              // the task as the model got it, when it differs
};

struct ToolCallSummary {
  std::string id;
  std::string name;
  std::string arguments_json;        // re-identified (tokens back to values)
  std::string model_arguments_json;  // as the model wrote them, when they differ
};

struct ModelTurnEvent {
  int step = 0;
  std::string content;  // re-identified (tokens back to values)
  std::vector<ToolCallSummary> tool_calls;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int attempts = 1;
  int64_t latency_ms = 0;
  std::string model_content;  // as the model wrote it, when it differs from content
};

struct ActionProposedEvent {
  int step = 0;
  std::string code;
  std::string source;      // "code_block" or "tool_call"
  std::string model_code;  // as the model wrote it, when it differs (tokens re-identified)
};

struct BindingCallEvent {
  int step = 0;
  std::string name;
  std::string arguments_json;
  bool ok = true;
  std::string outcome;   // short text: "ok" or the error
  std::string decision;  // the policy's: "allow", "ask", "deny"
  std::string rule;      // the rule that decided ("default" when none matched)
};

// A person must decide before the action runs (the guest is blocked meanwhile).
struct ApprovalRequestedEvent {
  int step = 0;
  std::string approval_id;
  std::string summary;      // one line: "fhir.update Patient/123"
  std::string action_json;  // canonical JSON of the exact action (incl. before/after)
  std::string hash;         // SHA-256 of action_json: a decision binds to it
  std::string rule;
  std::string reason;
  std::string approvers;
  std::string expires;  // RFC 3339
};

struct ApprovalDecidedEvent {
  int step = 0;
  std::string approval_id;
  std::string decision;  // "approved", "denied", "expired", "cancelled"
  std::string by;
  std::string reason;
};

struct ObservationEvent {
  int step = 0;
  std::string kind;  // "result", "finished", "error", "timeout", "guest_failed", "correction"
  std::string text;
  bool truncated = false;
  int64_t elapsed_ms = 0;
  std::string model_text;  // as the model was sent it (pseudonymised), when it differs
};

struct ContextElidedEvent {
  int elided_messages = 0;
  int64_t estimated_tokens_before = 0;
  int64_t estimated_tokens_after = 0;
};

struct FinishedEvent {
  std::string status;  // "succeeded", "failed", "cancelled"
  std::string answer;
  std::string reason;  // why it failed or was cancelled; empty on success
  int steps = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

using EventBody = std::variant<SessionStartedEvent, ModelTurnEvent, ActionProposedEvent,
                               BindingCallEvent, ObservationEvent, ContextElidedEvent,
                               FinishedEvent, ApprovalRequestedEvent, ApprovalDecidedEvent>;

struct Event {
  std::string session;
  int64_t seq = 0;      // assigned by the store, from 1
  int64_t time_ms = 0;  // wall clock, ms since epoch
  EventBody body;
};

// The event as the model saw it: where an event keeps the text exchanged with the
// model (model_task, model_content, model_arguments_json, model_text), that text
// replaces the host's view in the main field, and the model_* field is cleared.
// Other events are returned unchanged.
EventBody AsExchangedWithModel(EventBody body);

// Stable wire name of an event body: "session_started", "model_turn", ...
const char* EventTypeName(const EventBody& body);

}  // namespace ward
