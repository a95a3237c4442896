#include "gate/gate.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "util/hash.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

std::string Canonical(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json ParseOrNull(const std::string& text) {
  json j = ParseJsonOrDiscarded(text);
  return j.is_discarded() ? json() : j;
}

GuestCallReply Denied(std::string message) {
  return GuestCallReply{false, "", "PermissionDenied", std::move(message)};
}

// The strictest of the policy's decisions on each action; every counted rule once.
PolicyDecision Strictest(const Policy& policy, const std::vector<ActionDescriptor>& actions,
                         const RuleCounters& counters) {
  std::optional<PolicyDecision> best;
  std::vector<std::string> counted;
  for (const auto& action : actions) {
    PolicyDecision d = policy.Evaluate(action, counters);
    for (auto& rule : d.counted)
      if (std::find(counted.begin(), counted.end(), rule) == counted.end()) counted.push_back(rule);
    if (!best || static_cast<int>(d.decision) > static_cast<int>(best->decision))
      best = std::move(d);
  }
  PolicyDecision out = best ? std::move(*best) : PolicyDecision{};
  out.counted = std::move(counted);
  return out;
}

// A binding without `prepare`: one action, known by its name and operation only.
PreparedCall Unprepared(const Binding& binding) {
  PreparedCall p;
  PreparedAction a;
  a.descriptor = ActionDescriptor{"binding", binding.name, "", binding.operation};
  a.summary = binding.name;
  p.actions.push_back(a);
  p.summary = binding.name;
  return p;
}

// The canonical action a person approves: the call, and every action it will take
// with its target's version, before and after. A single write's before/after are
// also given at the top, for diff views.
std::string CanonicalAction(const GuestCall& call, const PreparedCall& prepared, bool write) {
  json a = json::object();
  a["binding"] = call.name;
  a["arguments"] = ParseOrNull(call.args_json);
  json actions = json::array();
  for (const auto& p : prepared.actions) {
    json one = {{"binding", p.descriptor.binding},
                {"operation", p.descriptor.operation},
                {"resource", p.resource},
                {"version", p.version},
                {"before", ParseOrNull(p.before)},
                {"after", ParseOrNull(p.after)},
                {"patients", p.descriptor.patients},
                {"patient_unknown", p.descriptor.patient_unknown}};
    if (!p.descriptor.connector.empty()) one["connector"] = p.descriptor.connector;
    if (!p.descriptor.reversible) one["reversible"] = false;
    actions.push_back(std::move(one));
  }
  if (write && prepared.actions.size() == 1) {
    a["before"] = actions[0]["before"];
    a["after"] = actions[0]["after"];
  }
  a["actions"] = std::move(actions);
  return Canonical(a);
}

// Anything but a pure read or a control call (which acts on the session only) may
// change the world, so it is audited before it runs.
bool HasEffect(const std::string& operation) {
  return operation != "read" && operation != "control";
}

bool IsWrite(const std::string& operation) {
  return operation == "write" || operation == "delete" || operation == "execute";
}

// The one line an approver reads: the prepared summary, and a warning when any
// action cannot be undone (ward's rollback will not reach it).
std::string ApprovalSummary(const PreparedCall& prepared) {
  for (const auto& a : prepared.actions)
    if (HasEffect(a.descriptor.operation) && !a.descriptor.reversible)
      return prepared.summary + " — cannot be undone";
  return prepared.summary;
}

}  // namespace

Gate::Gate(const BindingRegistry* registry, AuditLog* audit, EventSink* events, GateOptions options)
    : registry_(registry), audit_(audit), events_(events), options_(std::move(options)) {
  if (!options_.clock) options_.clock = SystemClock::Default();
}

Gate::Verdict Gate::Decide(const BindingContext& context,
                           const std::vector<ActionDescriptor>& actions,
                           const std::function<std::string()>& action_json,
                           const std::function<std::string()>& summary) {
  Verdict v;
  const Policy& policy = options_.policy ? *options_.policy : default_policy_;
  v.policy = Strictest(policy, actions, counters_);
  for (const auto& rule : v.policy.counted) ++counters_[rule];
  if (v.policy.decision == Decision::kDeny) {
    v.refusal = Denied("refused by policy (" + v.policy.rule + "): " + v.policy.reason);
  } else if (v.policy.decision == Decision::kAsk) {
    v.refusal = AwaitApproval(context, v.policy, action_json(), summary(), &v.approval);
  }
  return v;
}

GuestCallReply Gate::AwaitApproval(const BindingContext& context, const PolicyDecision& decision,
                                   const std::string& action_json, const std::string& summary,
                                   std::string* approval_id) {
  if (!options_.store) return Denied("approval needed (" + decision.reason + ") but no store");
  ApprovalRecord a;
  a.id = NewId("a");
  a.session = context.session;
  a.action_json = action_json;
  a.action_hash = Sha256Hex(action_json);
  a.summary = summary;
  a.rule = decision.rule;
  a.approvers = decision.approvers;
  a.requested_by = options_.actor;
  a.distinct_approver = options_.require_distinct_approver;
  a.created_ms = options_.clock->NowMillis();
  a.expires_ms = a.created_ms + options_.approval_ttl_ms;
  a.state = "pending";
  if (Status s = RequestApproval(context, decision, a); !s.ok())
    return Denied("approval could not be requested, so " + summary +
                  " was not run: " + s.message());
  ApprovalDecidedEvent decided = WaitForDecision(a, context.step);
  if (Status s = RecordDecision(context, a, decided); !s.ok())
    return Denied(summary + " was not run: its approval's outcome (" + decided.decision +
                  ") could not be audited: " + s.message());
  if (decided.decision == "approved") {
    *approval_id = a.id;
    return GuestCallReply{};
  }
  std::string why =
      decided.decision == "denied"
          ? "denied by " + decided.by + (decided.reason.empty() ? "" : ": " + decided.reason)
      : decided.decision == "expired" ? "the approval request expired unanswered"
                                      : "the session was cancelled";
  return Denied(summary + " was not approved: " + why);
}

Status Gate::RequestApproval(const BindingContext& context, const PolicyDecision& decision,
                             const ApprovalRecord& a) {
  AuditData req;
  req.Set("approval", a.id).Set("hash", a.action_hash).Set("rule", a.rule);
  req.Set("summary", a.summary);
  // The audit entry first: when the audit log is another store than the approvals',
  // an approval never exists without its entry.
  return options_.store->Atomically([&]() -> Status {
    auto audited = audit_->Record(context.session, "approval_requested", req);
    if (!audited.ok())
      return audited.status().WithContext("the audit log could not record the request");
    WARD_RETURN_IF_ERROR(options_.store->CreateApproval(a));
    auto emitted = events_->Emit(
        context.session,
        ApprovalRequestedEvent{context.step, a.id, a.summary, a.action_json, a.action_hash, a.rule,
                               decision.reason, a.approvers, FormatIso8601(a.expires_ms)});
    if (!emitted.ok()) return emitted.status().WithContext("the request could not be published");
    return Status::Ok();
  });
}

ApprovalDecidedEvent Gate::WaitForDecision(const ApprovalRecord& a, int step) {
  Clock* clock = options_.clock;
  ApprovalDecidedEvent decided{step, a.id, "", "", ""};
  while (decided.decision.empty()) {
    auto current = options_.store->GetApproval(a.id);
    int64_t now = clock->NowMillis();
    if (current.ok() && current->state != "pending") {
      decided.decision = current->state;
      decided.by = current->decided_by;
      decided.reason = current->reason;
    } else if (now >= a.expires_ms) {
      decided.decision = "expired";
      // Marks it expired in the store, so no one can approve it any more.
      auto listed = options_.store->ListApprovals("pending", 1, now);
      if (!listed.ok())
        decided.reason = "the expiry could not be stored: " + listed.status().message();
    } else if (options_.cancel && options_.cancel->cancelled()) {
      decided.decision = "cancelled";
    } else {
      clock->SleepFor(options_.approval_poll_ms);
    }
  }
  return decided;
}

Status Gate::RecordDecision(const BindingContext& context, const ApprovalRecord& a,
                            const ApprovalDecidedEvent& decided) {
  AuditData d;
  d.Set("approval", a.id).Set("decision", decided.decision).Set("by", decided.by);
  d.Set("reason", decided.reason).Set("hash", a.action_hash);
  return options_.store->Atomically([&]() -> Status {
    auto audited = audit_->Record(context.session, "approval_decided", d);
    if (!audited.ok()) return audited.status().WithContext("the audit log");
    auto emitted = events_->Emit(context.session, decided);
    if (!emitted.ok()) return emitted.status().WithContext("the event could not be stored");
    return Status::Ok();
  });
}

Result<StoredAuditEntry> Gate::RecordIntent(const BindingContext& context, const GuestCall& call,
                                            const std::string& action_sha256,
                                            const PolicyDecision& policy) {
  AuditData data;
  data.Set("binding", call.name).Set("step", context.step).SetJson("arguments", call.args_json);
  data.Set("action_sha256", action_sha256);
  data.Set("decision", DecisionName(policy.decision)).Set("rule", policy.rule);
  return audit_->Append(context.session, "binding_intent", data);
}

Status Gate::RecordOutcome(const BindingContext& context, const GuestCall& call,
                           const Verdict& verdict, const BindingOutcome& result,
                           const StoredAuditEntry* intent) {
  const PolicyDecision& policy = verdict.policy;
  const GuestCallReply& reply = result.reply;
  std::string outcome = reply.ok ? "ok" : reply.error_type + ": " + reply.error_message;
  std::string decision = DecisionName(policy.decision);
  AuditData data;
  data.Set("binding", call.name).Set("step", context.step).SetJson("arguments", call.args_json);
  data.Set("decision", decision).Set("rule", policy.rule);
  data.Set("ok", reply.ok).Set("outcome", outcome);
  if (intent) data.Set("intent_seq", intent->seq).Set("intent_hash", intent->hash);
  if (reply.ok) data.Set("result_sha256", Sha256Hex(reply.value_json));
  if (!verdict.approval.empty()) data.Set("approval", verdict.approval);
  if (result.stale) data.Set("stale", true);
  for (const auto& field : result.audit.fields()) data.Append(field);
  BindingCallEvent event{context.step, call.name, call.args_json, reply.ok,
                         outcome,      decision,  policy.rule};
  // The audit entry and the event are stored together (one transaction) or not at all.
  auto record = [&]() -> Status {
    auto audited = audit_->Record(context.session, "binding_call", data);
    if (!audited.ok())
      return audited.status().WithContext("the audit log could not record this call");
    auto emitted = events_->Emit(context.session, event);
    if (!emitted.ok()) return emitted.status().WithContext("the event could not be stored");
    return Status::Ok();
  };
  return options_.store ? options_.store->Atomically(record) : record();
}

GuestCallReply Gate::Dispatch(const BindingContext& context, const GuestCall& call) {
  if (!failure_.ok())
    return GuestCallReply{false, "", "BindingError",
                          "refused: this session can make no more calls: " + failure_.message()};
  const Binding* binding = registry_->Find(call.name);
  if (!binding)
    return GuestCallReply{false, "", "BindingError", "there is no binding named " + call.name};
  PreparedCall prepared =
      binding->prepare ? binding->prepare(call.args_json) : Unprepared(*binding);
  BindingContext run_context = context;
  run_context.prepared = binding->prepare ? &prepared : nullptr;
  if (!run_context.cancel) run_context.cancel = options_.cancel;
  std::vector<ActionDescriptor> actions;
  for (const auto& a : prepared.actions) actions.push_back(a.descriptor);
  Verdict verdict;
  BindingOutcome result;
  bool write = IsWrite(binding->operation);
  auto action_json = [&] { return CanonicalAction(call, prepared, write); };
  if (!prepared.refusal.ok) {
    verdict.policy = {Decision::kDeny, "arguments", prepared.refusal.error_message, ""};
    verdict.refusal = prepared.refusal;
  } else if (write && options_.max_writes > 0 && writes_ >= options_.max_writes) {
    exhausted_budget_ =
        "write budget exhausted: " + std::to_string(options_.max_writes) + " writes";
    verdict.policy = {Decision::kDeny, "budget", exhausted_budget_, ""};
    verdict.refusal = Denied(exhausted_budget_);
  } else {
    verdict = Decide(context, actions, action_json, [&] { return ApprovalSummary(prepared); });
  }
  std::optional<StoredAuditEntry> intent;
  if (verdict.refusal.ok && HasEffect(binding->operation)) {
    auto committed = RecordIntent(context, call, Sha256Hex(action_json()), verdict.policy);
    if (!committed.ok())
      return GuestCallReply{false, "", "BindingError",
                            "refused: " + call.name +
                                " was not run: the audit log could not record it before it "
                                "ran: " +
                                committed.status().message()};
    intent = *committed;
  }
  if (verdict.refusal.ok) {
    result = binding->handler(run_context, call.args_json);
    if (write && ++writes_ >= options_.max_writes && options_.max_writes > 0)
      exhausted_budget_ =
          "write budget exhausted: " + std::to_string(options_.max_writes) + " writes";
    if (result.stale && !verdict.approval.empty()) {
      Status stale = RecordStaleApproval(context, verdict.approval);
      if (!stale.ok()) result.reply.error_message += " (" + stale.message() + ")";
    }
  } else {
    result.reply = verdict.refusal;
  }
  Status recorded = RecordOutcome(context, call, verdict, result, intent ? &*intent : nullptr);
  if (!result.unrecorded.ok()) FailClosed(call.name, result.reply.ok, result.unrecorded);
  if (!recorded.ok() && intent) {
    FailClosed(call.name, result.reply.ok, recorded);
    return GuestCallReply{false, "", "BindingError", failure_.message()};
  }
  if (!recorded.ok())
    return GuestCallReply{false, "", "BindingError", "refused: " + recorded.message()};
  return result.reply;
}

void Gate::FailClosed(const std::string& binding, bool succeeded, const Status& why) {
  if (!failure_.ok()) return;
  std::string what = succeeded ? binding + " ran and its effect happened"
                               : binding + " ran and failed (it may have had an effect)";
  failure_ = Internal(what + ", but its outcome could not be recorded (" + why.message() +
                      "); the session stops");
}

Status Gate::RecordStaleApproval(const BindingContext& context, const std::string& approval) {
  const std::string reason = "the resource changed after the approver saw it; nothing was written";
  AuditData d;
  d.Set("approval", approval).Set("state", "stale").Set("reason", reason);
  // The audit entry and the approval's state change together or not at all.
  auto record = [&]() -> Status {
    auto audited = audit_->Record(context.session, "approval_stale", d);
    if (!audited.ok())
      return audited.status().WithContext("the audit log could not record the stale approval");
    if (options_.store) WARD_RETURN_IF_ERROR(options_.store->MarkApprovalStale(approval, reason));
    return Status::Ok();
  };
  return options_.store ? options_.store->Atomically(record) : record();
}

GuestCallReply Gate::CheckCode(const BindingContext& context, const std::string& code) {
  if (!failure_.ok()) return Denied("this session can run no more code: " + failure_.message());
  ActionDescriptor action{"code", "", "", "", "", code};
  auto action_json = [&] { return Canonical({{"kind", "code"}, {"code", code}}); };
  Verdict v = Decide(context, {action}, action_json, [] { return "run a code action"; });
  if (v.policy.rule != "default" || v.policy.decision != Decision::kAllow) {
    AuditData d;
    d.Set("step", context.step).Set("decision", DecisionName(v.policy.decision));
    d.Set("rule", v.policy.rule).Set("reason", v.policy.reason);
    auto audited = audit_->Record(context.session, "code_policy", d);
    if (!audited.ok())
      return Denied("the policy's decision on this code could not be audited: " +
                    audited.status().message());
  }
  return v.refusal;
}

}  // namespace ward
