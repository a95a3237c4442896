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

namespace ward {

struct BindingContext {
  std::string session;
  int step = 0;
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
};

// What a binding does with a call: gets the bound arguments as a JSON object text.
using BindingHandler =
    std::function<BindingOutcome(const BindingContext& context, const std::string& args_json)>;

// Shorthands for handlers.
BindingOutcome BindingValue(std::string value_json);
BindingOutcome BindingFailure(std::string error_type, std::string message);

// Before and after of a write, as JSON texts ("null" when absent), for approval diffs.
struct WritePreview {
  std::string before = "null";
  std::string after = "null";
};

struct Binding {
  std::string name;       // "finish", "fhir.search", ...
  std::string signature;  // Python signature, e.g. "finish(answer)"
  std::string doc;        // docstring, shown to the model
  std::string operation;  // "control", "read", "write", "delete"
  BindingHandler handler;
  // Optional: what the call touches (resource type, patient) for the policy; when
  // absent the gate knows only the binding's name and operation.
  std::function<ActionDescriptor(const std::string& args_json)> describe;
  // Optional, for writes: the before/after a person is shown when asked to approve.
  std::function<WritePreview(const std::string& args_json)> preview;
};

class BindingRegistry {
 public:
  // InvalidArgument on a duplicate name or a signature that does not start with
  // the binding's last name component followed by "(".
  Status Add(Binding binding);
  const Binding* Find(const std::string& name) const;
  std::vector<BindingInfo> Infos() const;  // in name order

 private:
  std::map<std::string, Binding> bindings_;
};

// finish(answer): ends the task. The answer (a string as-is, any other JSON value
// as compact JSON text) is stored in *answer_out, which must outlive the registry.
Binding MakeFinishBinding(std::string* answer_out);

}  // namespace ward
