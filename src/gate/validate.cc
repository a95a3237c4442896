// CodeValidator backed by the checker process (guest/ward_guest/checker.py).
#include "gate/validate.h"

#include <nlohmann/json.hpp>

#include "gate/checker_process.h"

namespace ward {
namespace {

using nlohmann::json;

constexpr size_t kMaxMessageBytes = 8 << 10;  // what the model is shown of a failure

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<ValidationResult> DecodeReply(const std::string& line) {
  json reply = json::parse(line, nullptr, false);
  if (!reply.is_object() || !reply.contains("ok") || !reply["ok"].is_boolean())
    return Internal("the code checker sent a malformed reply");
  ValidationResult out;
  out.ok = reply["ok"].get<bool>();
  if (auto it = reply.find("message"); it != reply.end() && it->is_string())
    out.message = it->get<std::string>();
  if (out.message.size() > kMaxMessageBytes) {
    size_t cut = kMaxMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(out.message[cut]) & 0xC0) == 0x80) --cut;
    out.message.resize(cut);  // at a UTF-8 character boundary
  }
  if (!out.ok && out.message.empty()) out.message = "the code failed validation";
  return out;
}

class ProcessCodeValidator : public CodeValidator {
 public:
  ProcessCodeValidator(const std::string& python, const std::string& guest_dir,
                       const ValidationRules& rules, const CodeValidatorOptions& options)
      : process_(python, guest_dir, options.max_reply_bytes), options_(options) {
    rules_json_ =
        Dump({{"forbid_imports", rules.forbid_imports}, {"forbid_calls", rules.forbid_calls}});
    rules_json_.pop_back();  // the closing brace: requests append the code
  }

  Status Start() { return process_.Start(options_.start_timeout_ms); }

  Result<ValidationResult> Validate(const std::string& code) override {
    if (code.size() > options_.max_code_bytes)
      return ValidationResult{false, "the code action is " + std::to_string(code.size()) +
                                         " bytes; at most " +
                                         std::to_string(options_.max_code_bytes) + " are allowed"};
    std::string request = rules_json_ + ",\"code\":" + Dump(code) + "}";
    Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {  // a second try after the checker died
      if (!process_.running()) WARD_RETURN_IF_ERROR(Start());
      auto reply = process_.Ask(request, options_.timeout_ms);
      if (reply.ok()) {
        auto decoded = DecodeReply(*reply);
        if (!decoded.ok()) process_.Kill();
        return decoded;
      }
      std::string exit = process_.Kill();
      last = reply.status().WithContext("code checker");
      if (!exit.empty()) last = Status(last.code(), last.message() + " (" + exit + ")");
      if (reply.status().code() != StatusCode::kUnavailable) return last;  // timeout, oversize
    }
    return last;
  }

 private:
  CheckerProcess process_;
  CodeValidatorOptions options_;
  std::string rules_json_;  // {"forbid_imports":[…],"forbid_calls":[…]  (no closing brace)
};

}  // namespace

Result<std::unique_ptr<CodeValidator>> NewCodeValidator(const std::string& python,
                                                        const std::string& guest_dir,
                                                        const ValidationRules& rules,
                                                        const CodeValidatorOptions& options) {
  auto validator = std::make_unique<ProcessCodeValidator>(python, guest_dir, rules, options);
  WARD_RETURN_IF_ERROR(validator->Start());
  return std::unique_ptr<CodeValidator>(std::move(validator));
}

Result<std::unique_ptr<CodeValidator>> NewCodeValidator(const std::string& python,
                                                        const std::string& guest_dir,
                                                        const ValidationRules& rules) {
  return NewCodeValidator(python, guest_dir, rules, CodeValidatorOptions());
}

}  // namespace ward
