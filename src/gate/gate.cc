#include "gate/gate.h"

#include "util/hash.h"

namespace ward {

GuestCallReply Gate::Dispatch(const BindingContext& context, const GuestCall& call) {
  const Binding* binding = registry_->Find(call.name);
  BindingOutcome result =
      binding ? binding->handler(context, call.args_json)
              : BindingFailure("BindingError", "there is no binding named " + call.name);
  const GuestCallReply& reply = result.reply;
  std::string outcome = reply.ok ? "ok" : reply.error_type + ": " + reply.error_message;

  AuditData data;
  data.Set("binding", call.name).Set("step", context.step).SetJson("arguments", call.args_json);
  data.Set("ok", reply.ok).Set("outcome", outcome);
  if (reply.ok) data.Set("result_sha256", Sha256Hex(reply.value_json));
  for (const auto& field : result.audit.fields()) data.Append(field);
  auto audited = audit_->Record(context.session, "binding_call", data);
  if (!audited.ok()) {
    return GuestCallReply{
        false, "", "BindingError",
        "refused: the audit log could not record this call (" + audited.status().message() + ")"};
  }
  BindingCallEvent event{context.step, call.name, call.args_json, reply.ok, outcome};
  auto emitted = events_->Emit(context.session, event);
  if (!emitted.ok()) {
    return GuestCallReply{
        false, "", "BindingError",
        "refused: the event could not be stored (" + emitted.status().message() + ")"};
  }
  return reply;
}

}  // namespace ward
