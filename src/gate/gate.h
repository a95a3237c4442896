// Gate: the single point through which every binding call from guest code — and
// every code action — passes (DESIGN.md, "the flow of one action"):
//
//   prepare ─▶ budget ─▶ policy (allow | ask | deny) ─▶ [approval] ─▶ [intent] ─▶ run
//     ─▶ audit + event
//
// `prepare` (the binding's) refuses arguments of a shape the binding does not take
// before any policy runs, and lists what the call will do: the policy decides on
// each action (a transaction's every entry) and the strictest decision covers the
// call. The handler then executes exactly the prepared call: a write carries
// If-Match on the version the approver saw, and when the resource moved on nothing
// is written, the guest gets a ConflictError and the approval is audited and stored
// as stale (`approval_stale`). A call the policy denies raises PermissionDenied in the guest with the rule's
// reason. A call it asks about is turned into an approval bound to the SHA-256 of
// the canonical action (binding, arguments, and for writes the before/after); the
// guest blocks until a person decides (from any process on the same store), the
// approval expires (= denied) or the session is cancelled. Every decision is
// audited with the rule that made it; a call that cannot be audited is refused
// (fail closed). Writes past the session's write budget are refused, and the gate
// remembers that the budget is exhausted so the session can end.
//
// Nothing happens that the audit log does not already hold:
// - A call with an effect (any operation but "read" and "control") first commits a
//   `binding_intent` entry (binding, step, arguments, the action's SHA-256, decision,
//   rule); if that commit fails the handler is not called and the guest gets a
//   refusal. Its `binding_call` outcome entry names the intent (intent_seq,
//   intent_hash). Reads and control calls get the one `binding_call` entry, after.
// - If the outcome of a call whose effect happened cannot be recorded (audit, or
//   the connector's journal), the guest is told the effect happened, failure() turns
//   non-ok and every later call and code action is refused: the session must end.
// - approval_requested is audited in the same transaction that creates the approval
//   (no audit entry, no approval, the call is refused); a decision that cannot be
//   audited is not acted on; a code-policy entry that cannot be audited stops the code.
//
// One Gate per session, used by the session's thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "gate/binding.h"
#include "gate/policy/policy.h"
#include "protocol/event_sink.h"
#include "store/store.h"
#include "util/cancel.h"
#include "util/clock.h"

namespace ward {

struct GateOptions {
  const Policy* policy = nullptr;  // null: the built-in default policy
  Store* store = nullptr;          // approvals live here
  Clock* clock = nullptr;
  const CancelToken* cancel = nullptr;
  std::string actor;  // who started the session
  int64_t approval_ttl_ms = 15 * 60 * 1000;
  bool require_distinct_approver = false;
  int64_t max_writes = 0;  // 0 = unlimited
  int64_t approval_poll_ms = 100;
};

class Gate {
 public:
  Gate(const BindingRegistry* registry, AuditLog* audit, EventSink* events, GateOptions options);

  // A binding call from the guest.
  GuestCallReply Dispatch(const BindingContext& context, const GuestCall& call);

  // A code action before it runs: ok, or a refusal whose message the model reads.
  GuestCallReply CheckCode(const BindingContext& context, const std::string& code);

  // Non-empty once a budget kept by the gate (writes) is exhausted.
  const std::string& exhausted_budget() const { return exhausted_budget_; }
  int64_t writes() const { return writes_; }
  // Not ok once an effect happened that the audit log (or journal) could not record;
  // the session must then end (failed) with this reason.
  const Status& failure() const { return failure_; }

 private:
  struct Verdict {
    PolicyDecision policy;
    GuestCallReply refusal;  // ok when the action may run
    std::string approval;    // the approval that let it run, if one did
  };
  // The strictest decision over `actions`. `action_json` builds the canonical
  // action and `summary` the one-line description; both are called only when a
  // person must approve.
  Verdict Decide(const BindingContext& context, const std::vector<ActionDescriptor>& actions,
                 const std::function<std::string()>& action_json,
                 const std::function<std::string()>& summary);
  GuestCallReply AwaitApproval(const BindingContext& context, const PolicyDecision& decision,
                               const std::string& action_json, const std::string& summary,
                               std::string* approval_id);
  // Audits, stores and publishes a new approval request, all or nothing.
  Status RequestApproval(const BindingContext& context, const PolicyDecision& decision,
                         const ApprovalRecord& approval);
  // Polls the store until the approval is decided, expires or the session is cancelled.
  ApprovalDecidedEvent WaitForDecision(const ApprovalRecord& approval, int step);
  // Audits and publishes the decision, all or nothing.
  Status RecordDecision(const BindingContext& context, const ApprovalRecord& approval,
                        const ApprovalDecidedEvent& decided);
  // Commits the binding_intent entry of a call with an effect, before it runs.
  // `action_sha256` is the canonical action's (the hash an approval of it carries).
  Result<StoredAuditEntry> RecordIntent(const BindingContext& context, const GuestCall& call,
                                        const std::string& action_sha256,
                                        const PolicyDecision& policy);
  // The binding_call entry and event of a finished (or refused) call, all or nothing.
  Status RecordOutcome(const BindingContext& context, const GuestCall& call, const Verdict& verdict,
                       const BindingOutcome& result, const StoredAuditEntry* intent);
  // Makes failure() non-ok (once): `binding` ran (`succeeded` or not) and `why` kept
  // its outcome from being recorded.
  void FailClosed(const std::string& binding, bool succeeded, const Status& why);
  // Audits that an approved call found its target changed (`approval_stale`) and
  // marks the approval stale in the store, both or neither.
  Status RecordStaleApproval(const BindingContext& context, const std::string& approval);

  const BindingRegistry* registry_;
  AuditLog* audit_;
  EventSink* events_;
  GateOptions options_;
  Policy default_policy_;
  RuleCounters counters_;
  int64_t writes_ = 0;
  std::string exhausted_budget_;
  Status failure_;
};

}  // namespace ward
