#include "gate/binding.h"

#include <nlohmann/json.hpp>
#include <regex>

#include "util/json_limits.h"

namespace ward {

Status BindingRegistry::Add(Binding binding) {
  std::string last = binding.name.substr(binding.name.rfind('.') + 1);
  if (binding.signature.rfind(last + "(", 0) != 0 || binding.signature.back() != ')')
    return InvalidArgument("binding " + binding.name + " has a malformed signature '" +
                           binding.signature + "'");
  if (!binding.handler) return InvalidArgument("binding " + binding.name + " has no handler");
  for (const auto& type : binding.raises)
    WARD_RETURN_IF_ERROR(DeclareErrorType(binding.name, type));
  std::string name = binding.name;
  if (!bindings_.emplace(name, std::move(binding)).second)
    return InvalidArgument("binding " + name + " is registered twice");
  return Status::Ok();
}

Status BindingRegistry::DeclareErrorType(const std::string& binding, const GuestErrorType& type) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("binding " + binding + " declares error type '" + type.name +
                           "': " + why);
  };
  static const std::regex kName("[A-Z][A-Za-z0-9]{0,62}Error");
  if (!std::regex_match(type.name, kName)) return bad("not a name ending in \"Error\"");
  if (type.name == "BindingError" || type.name == "PermissionDenied")
    return bad("that name is ward's own");
  for (const auto& known : error_types_) {
    if (known.name != type.name) continue;
    if (known.base != type.base) return bad("declared before with base " + known.base);
    return Status::Ok();
  }
  bool base_known = type.base == "BindingError";
  for (const auto& known : error_types_) base_known = base_known || known.name == type.base;
  if (!base_known) return bad("its base " + type.base + " is not declared before it");
  error_types_.push_back(type);
  return Status::Ok();
}

const Binding* BindingRegistry::Find(const std::string& name) const {
  auto it = bindings_.find(name);
  return it == bindings_.end() ? nullptr : &it->second;
}

std::vector<BindingInfo> BindingRegistry::Infos() const {
  std::vector<BindingInfo> out;
  for (const auto& [name, b] : bindings_) out.push_back({b.name, b.signature, b.doc});
  return out;
}

std::string QuoteModelText(const std::string& text, size_t max) {
  std::string shown;
  for (char c : text) {
    if (shown.size() >= max) break;
    shown += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  }
  return "model text \"" + shown + (text.size() > max ? "…" : "") + "\"";
}

PreparedCall RefusedCall(std::string error_type, std::string message) {
  PreparedCall p;
  p.refusal = GuestCallReply{false, "", std::move(error_type), std::move(message)};
  return p;
}

BindingOutcome BindingValue(std::string value_json) {
  BindingOutcome out;
  out.reply.value_json = std::move(value_json);
  return out;
}

BindingOutcome BindingFailure(std::string error_type, std::string message) {
  BindingOutcome out;
  out.reply.ok = false;
  out.reply.error_type = std::move(error_type);
  out.reply.error_message = std::move(message);
  return out;
}

Binding MakeFinishBinding(std::string* answer_out) {
  Binding b;
  b.name = "finish";
  b.signature = "finish(answer)";
  b.doc =
      "End the task and report `answer` to the user (a string, or any JSON value). "
      "Code after finish() in the same action does not run.";
  b.operation = "control";
  b.handler = [answer_out](const BindingContext&, const std::string& args_json) {
    auto args = ParseJsonOrDiscarded(args_json);
    if (args.is_discarded() || !args.is_object() || !args.contains("answer"))
      return BindingFailure("TypeError", "finish() needs an answer");
    const auto& answer = args["answer"];
    *answer_out = answer.is_string()
                      ? answer.get<std::string>()
                      : answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return BindingValue("null");
  };
  return b;
}

}  // namespace ward
