#include "gate/gate.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "util/hash.h"

namespace ward {
namespace {

using nlohmann::json;

std::string Canonical(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json ParseOrNull(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json() : j;
}

GuestCallReply Denied(std::string message) {
  return GuestCallReply{false, "", "PermissionDenied", std::move(message)};
}

std::string Summarize(const ActionDescriptor& a, const json& args) {
  std::string s = a.binding;
  std::string id = args.is_object() && args.contains("id") && args["id"].is_string()
                       ? args["id"].get<std::string>()
                       : "";
  if (id.empty() && args.is_object() && args.contains("resource") && args["resource"].is_object())
    id = args["resource"].value("id", "");
  if (!a.resource_type.empty()) s += " " + a.resource_type + (id.empty() ? "" : "/" + id);
  if (!a.patient.empty() && a.resource_type != "Patient") s += " (patient " + a.patient + ")";
  return s;
}

bool IsWrite(const std::string& operation) { return operation == "write" || operation == "delete"; }

// Anything but a pure read or a control call (which acts on the session only) may
// change the world, so it is audited before it runs.
bool HasEffect(const std::string& operation) {
  return operation != "read" && operation != "control";
}

}  // namespace

Gate::Gate(const BindingRegistry* registry, AuditLog* audit, EventSink* events, GateOptions options)
    : registry_(registry), audit_(audit), events_(events), options_(std::move(options)) {
  if (!options_.clock) options_.clock = SystemClock::Default();
}

Gate::Verdict Gate::Decide(const BindingContext& context, const ActionDescriptor& action,
                           const std::function<std::string()>& action_json,
                           const std::function<std::string()>& summary) {
  Verdict v;
  const Policy& policy = options_.policy ? *options_.policy : default_policy_;
  v.policy = policy.Evaluate(action, counters_);
  for (const auto& rule : v.policy.counted) ++counters_[rule];
  if (v.policy.decision == Decision::kDeny) {
    v.refusal = Denied("refused by policy (" + v.policy.rule + "): " + v.policy.reason);
  } else if (v.policy.decision == Decision::kAsk) {
    v.refusal = AwaitApproval(context, v.policy, action_json(), summary());
  }
  return v;
}

GuestCallReply Gate::AwaitApproval(const BindingContext& context, const PolicyDecision& decision,
                                   const std::string& action_json, const std::string& summary) {
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
  if (decided.decision == "approved") return GuestCallReply{};
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
                                            const PolicyDecision& policy) {
  json action = json::object();
  action["binding"] = call.name;
  action["arguments"] = ParseOrNull(call.args_json);
  AuditData data;
  data.Set("binding", call.name).Set("step", context.step).SetJson("arguments", call.args_json);
  data.Set("action_sha256", Sha256Hex(Canonical(action)));
  data.Set("decision", DecisionName(policy.decision)).Set("rule", policy.rule);
  return audit_->Append(context.session, "binding_intent", data);
}

Status Gate::RecordOutcome(const BindingContext& context, const GuestCall& call,
                           const PolicyDecision& policy, const BindingOutcome& result,
                           const StoredAuditEntry* intent) {
  const GuestCallReply& reply = result.reply;
  std::string outcome = reply.ok ? "ok" : reply.error_type + ": " + reply.error_message;
  std::string decision = DecisionName(policy.decision);
  AuditData data;
  data.Set("binding", call.name).Set("step", context.step).SetJson("arguments", call.args_json);
  data.Set("decision", decision).Set("rule", policy.rule);
  data.Set("ok", reply.ok).Set("outcome", outcome);
  if (intent) data.Set("intent_seq", intent->seq).Set("intent_hash", intent->hash);
  if (reply.ok) data.Set("result_sha256", Sha256Hex(reply.value_json));
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
  ActionDescriptor action =
      binding->describe ? binding->describe(call.args_json)
                        : ActionDescriptor{"binding", binding->name, "", binding->operation};
  std::optional<json> args;  // parsed only when a person must approve
  auto parsed_args = [&]() -> const json& {
    if (!args) args = ParseOrNull(call.args_json);
    return *args;
  };
  auto summary = [&] { return Summarize(action, parsed_args()); };
  Verdict verdict;
  BindingOutcome result;
  bool write = IsWrite(binding->operation);
  if (write && options_.max_writes > 0 && writes_ >= options_.max_writes) {
    exhausted_budget_ =
        "write budget exhausted: " + std::to_string(options_.max_writes) + " writes";
    verdict.policy = {Decision::kDeny, "budget", exhausted_budget_, ""};
    verdict.refusal = Denied(exhausted_budget_);
  } else {
    auto action_json = [&]() {
      json a = json::object();
      a["binding"] = call.name;
      a["arguments"] = parsed_args();
      if (binding->preview && write) {
        WritePreview p = binding->preview(call.args_json);
        a["before"] = ParseOrNull(p.before);
        a["after"] = ParseOrNull(p.after);
      }
      return Canonical(a);
    };
    verdict = Decide(context, action, action_json, summary);
  }
  std::optional<StoredAuditEntry> intent;
  if (verdict.refusal.ok && HasEffect(binding->operation)) {
    auto committed = RecordIntent(context, call, verdict.policy);
    if (!committed.ok())
      return GuestCallReply{false, "", "BindingError",
                            "refused: " + call.name +
                                " was not run: the audit log could not record it before it "
                                "ran: " +
                                committed.status().message()};
    intent = *committed;
  }
  if (verdict.refusal.ok) {
    result = binding->handler(context, call.args_json);
    if (write && ++writes_ >= options_.max_writes && options_.max_writes > 0)
      exhausted_budget_ =
          "write budget exhausted: " + std::to_string(options_.max_writes) + " writes";
  } else {
    result.reply = verdict.refusal;
  }
  Status recorded =
      RecordOutcome(context, call, verdict.policy, result, intent ? &*intent : nullptr);
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

GuestCallReply Gate::CheckCode(const BindingContext& context, const std::string& code) {
  if (!failure_.ok()) return Denied("this session can run no more code: " + failure_.message());
  ActionDescriptor action{"code", "", "", "", "", "", code};
  auto action_json = [&] { return Canonical({{"kind", "code"}, {"code", code}}); };
  Verdict v = Decide(context, action, action_json, [] { return "run a code action"; });
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
