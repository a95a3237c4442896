// Gate: the single point through which every binding call from guest code passes
// (DESIGN.md, "the flow of one action"). Today it resolves the binding, runs it,
// and records the call in the audit log and the session's events; policy,
// approvals and the journal slot in here. It fails closed: a call that cannot be
// audited is refused. Thread-safe if its collaborators are.
#pragma once

#include "audit/audit_log.h"
#include "gate/binding.h"
#include "protocol/event_sink.h"

namespace ward {

class Gate {
 public:
  Gate(const BindingRegistry* registry, AuditLog* audit, EventSink* events)
      : registry_(registry), audit_(audit), events_(events) {}

  GuestCallReply Dispatch(const BindingContext& context, const GuestCall& call);

 private:
  const BindingRegistry* registry_;  // not owned
  AuditLog* audit_;                  // not owned
  EventSink* events_;                // not owned
};

}  // namespace ward
