// Bindings: the functions guest code may call to act on the world (finish, and
// later fhir.*, sql.*, http.*, ...). A registry lists them — the guest is built
// from it and the system prompt documents it — and the Gate is the one dispatch
// point every call from the guest passes through. Registry: not thread-safe
// (filled before a session starts, read-only after).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "gate/policy/policy.h"
#include "sandbox/guest.h"
#include "util/cancel.h"

namespace ward {

struct PreparedCall;

struct BindingContext {
  std::string session;
  int step = 0;
  // What the gate prepared, decided on and (when asked) had approved: a handler
  // that has a `prepare` executes exactly this (e.g. writes If-Match on the
  // versions it holds). Null when the binding has no `prepare`.
  const PreparedCall* prepared = nullptr;
  // The session's cancel (null: none): a handler that waits on another system
  // stops when it fires. The gate sets it from GateOptions::cancel.
  const CancelToken* cancel = nullptr;
};

// What a binding call produced: the reply for the guest (a value as JSON text, or
// a typed error for the guest to raise) and details for its audit entry (e.g. the
// URL, method, HTTP status and resource ids of a connector call).
struct BindingOutcome {
  GuestCallReply reply;
  AuditData audit;
  // Not ok when the call had an effect that the binding could not record (e.g. its
  // journal entry stayed at "intent"): the gate then fails the session closed.
  Status unrecorded;
  // The target moved on since the call was prepared (a failed If-Match): nothing
  // was written, and an approval of the call is stale.
  bool stale = false;
};

// What a binding does with a call: gets the bound arguments as a JSON object text.
using BindingHandler =
    std::function<BindingOutcome(const BindingContext& context, const std::string& args_json)>;

// Model text for people (approvers, webhooks): printable ASCII only, at most
// `max` characters, quoted and marked: `model text "Patient/Jane Doe, DO…"`.
// Every part of a summary that was not validated goes through it.
std::string QuoteModelText(const std::string& text, size_t max = 24);

// A call refused as it is, before any policy runs (PreparedCall::refusal), with
// the error type the guest raises.
PreparedCall RefusedCall(std::string error_type, std::string message);

// Shorthands for handlers.
BindingOutcome BindingValue(std::string value_json);
BindingOutcome BindingFailure(std::string error_type, std::string message);

// One read or effect a call will have, worked out before the policy runs: what the
// policy decides on, and what a person asked to approve it is shown.
struct PreparedAction {
  ActionDescriptor descriptor;
  std::string summary;          // built from validated parts only (see QuoteModelText)
  std::string resource;         // "Patient/123", or "Patient" for a create; "" for none
  std::string version;          // the version `before` is: a write must still find it
  std::string before = "null";  // JSON texts
  std::string after = "null";
};

// A call made ready for the policy: every action it will take (a transaction has
// one per entry, after one for the whole), or a refusal of its arguments' shape
// before any policy runs. The strictest decision over all actions covers the call.
struct PreparedCall {
  GuestCallReply refusal;  // not ok: refused as it is, never evaluated
  std::vector<PreparedAction> actions;
  std::string summary;  // one line for approvers, from validated parts only
  // Time the prepare spent on the connector's system (e.g. reading a pre-image),
  // which the handler takes off the call's own time budget.
  int64_t spent_ms = 0;
};

struct Binding {
  std::string name;       // "finish", "fhir.search", ...
  std::string signature;  // Python signature, e.g. "finish(answer)"
  std::string doc;        // docstring, shown to the model
  std::string operation;  // "control", "read", "write", "delete"
  BindingHandler handler;
  // Optional: validates the arguments' shape and works out what the call will do
  // (resource types, patients, the current versions a write's before/after are
  // taken from). When absent the gate knows only the binding's name and operation.
  std::function<PreparedCall(const std::string& args_json)> prepare;
  // The error types (beyond PermissionDenied, BindingError and Python's own) the
  // handler may answer with, declared to the guest; bases first.
  std::vector<GuestErrorType> raises;
};

class BindingRegistry {
 public:
  // InvalidArgument on a duplicate name, a signature that does not start with
  // the binding's last name component followed by "(", or an error type that is
  // not a name ending in "Error", whose base is neither BindingError nor declared
  // before, or that another binding declared with another base.
  Status Add(Binding binding);
  const Binding* Find(const std::string& name) const;
  std::vector<BindingInfo> Infos() const;  // in name order
  // Every error type the bindings raise, each once, bases before derived types.
  const std::vector<GuestErrorType>& ErrorTypes() const { return error_types_; }

 private:
  Status DeclareErrorType(const std::string& binding, const GuestErrorType& type);

  std::map<std::string, Binding> bindings_;
  std::vector<GuestErrorType> error_types_;
};

// finish(answer): ends the task. The answer (a string as-is, any other JSON value
// as compact JSON text) is stored in *answer_out, which must outlive the registry.
Binding MakeFinishBinding(std::string* answer_out);

}  // namespace ward
