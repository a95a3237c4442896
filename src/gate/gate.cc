#include "gate/gate.h"

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
  Clock* clock = options_.clock;
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
  a.created_ms = clock->NowMillis();
  a.expires_ms = a.created_ms + options_.approval_ttl_ms;
  a.state = "pending";
  if (Status s = options_.store->CreateApproval(a); !s.ok())
    return Denied("approval could not be requested: " + s.message());
  auto emitted = events_->Emit(
      context.session,
      ApprovalRequestedEvent{context.step, a.id, summary, action_json, a.action_hash, a.rule,
                             decision.reason, a.approvers, FormatIso8601(a.expires_ms)});
  if (!emitted.ok())
    return Denied("approval could not be published: " + emitted.status().message());
  AuditData req;
  req.Set("approval", a.id).Set("hash", a.action_hash).Set("rule", a.rule).Set("summary", summary);
  (void)audit_->Record(context.session, "approval_requested", req);

  ApprovalDecidedEvent decided{context.step, a.id, "", "", ""};
  while (decided.decision.empty()) {
    auto current = options_.store->GetApproval(a.id);
    int64_t now = clock->NowMillis();
    if (current.ok() && current->state == "pending" && now >= a.expires_ms)
      (void)options_.store->ListApprovals("pending", 1, now);  // records the expiry
    if (current.ok() && current->state != "pending") {
      decided.decision = current->state;
      decided.by = current->decided_by;
      decided.reason = current->reason;
    } else if (now >= a.expires_ms) {
      decided.decision = "expired";
    } else if (options_.cancel && options_.cancel->cancelled()) {
      decided.decision = "cancelled";
    } else {
      clock->SleepFor(options_.approval_poll_ms);
    }
  }
  (void)events_->Emit(context.session, decided);
  AuditData d;
  d.Set("approval", a.id).Set("decision", decided.decision).Set("by", decided.by);
  d.Set("reason", decided.reason).Set("hash", a.action_hash);
  (void)audit_->Record(context.session, "approval_decided", d);
  if (decided.decision == "approved") return GuestCallReply{};
  std::string why =
      decided.decision == "denied"
          ? "denied by " + decided.by + (decided.reason.empty() ? "" : ": " + decided.reason)
      : decided.decision == "expired" ? "the approval request expired unanswered"
                                      : "the session was cancelled";
  return Denied(summary + " was not approved: " + why);
}

GuestCallReply Gate::Dispatch(const BindingContext& context, const GuestCall& call) {
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
  if (verdict.refusal.ok) {
    result = binding->handler(context, call.args_json);
    if (write && ++writes_ >= options_.max_writes && options_.max_writes > 0)
      exhausted_budget_ =
          "write budget exhausted: " + std::to_string(options_.max_writes) + " writes";
  } else {
    result.reply = verdict.refusal;
  }
  const GuestCallReply& reply = result.reply;
  std::string outcome = reply.ok ? "ok" : reply.error_type + ": " + reply.error_message;
  std::string decision = DecisionName(verdict.policy.decision);

  AuditData data;
  data.Set("binding", call.name).Set("step", context.step).SetJson("arguments", call.args_json);
  data.Set("decision", decision).Set("rule", verdict.policy.rule);
  data.Set("ok", reply.ok).Set("outcome", outcome);
  if (reply.ok) data.Set("result_sha256", Sha256Hex(reply.value_json));
  for (const auto& field : result.audit.fields()) data.Append(field);
  BindingCallEvent event{context.step, call.name, call.args_json,     reply.ok,
                         outcome,      decision,  verdict.policy.rule};
  // The audit entry and the event are stored together (one transaction) or not at all.
  auto record = [&]() -> Status {
    auto audited = audit_->Record(context.session, "binding_call", data);
    if (!audited.ok())
      return audited.status().WithContext("the audit log could not record this call");
    auto emitted = events_->Emit(context.session, event);
    if (!emitted.ok()) return emitted.status().WithContext("the event could not be stored");
    return Status::Ok();
  };
  Status recorded = options_.store ? options_.store->Atomically(record) : record();
  if (!recorded.ok())
    return GuestCallReply{false, "", "BindingError", "refused: " + recorded.message()};
  return reply;
}

GuestCallReply Gate::CheckCode(const BindingContext& context, const std::string& code) {
  ActionDescriptor action{"code", "", "", "", "", "", code};
  auto action_json = [&] { return Canonical({{"kind", "code"}, {"code", code}}); };
  Verdict v = Decide(context, action, action_json, [] { return "run a code action"; });
  if (v.policy.rule != "default" || v.policy.decision != Decision::kAllow) {
    AuditData d;
    d.Set("step", context.step).Set("decision", DecisionName(v.policy.decision));
    d.Set("rule", v.policy.rule).Set("reason", v.policy.reason);
    (void)audit_->Record(context.session, "code_policy", d);
  }
  return v.refusal;
}

}  // namespace ward
