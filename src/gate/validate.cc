// CodeValidator backed by the checker process (guest/ward_guest/checker.py).
#include "gate/validate.h"

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "gate/checker_process.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

constexpr size_t kMaxMessageBytes = 8 << 10;  // what the model is shown of a failure

Result<ValidationResult> DecodeReply(const std::string& line) {
  json reply = ParseJsonOrDiscarded(line);
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
        DumpJson({{"forbid_imports", rules.forbid_imports}, {"forbid_calls", rules.forbid_calls}});
    rules_json_.pop_back();  // the closing brace: requests append the code
  }

  Status Start() { return process_.Start(options_.start_timeout_ms); }

  Result<ValidationResult> Validate(const std::string& code) override {
    if (code.size() > options_.max_code_bytes)
      return ValidationResult{false, "the code action is " + std::to_string(code.size()) +
                                         " bytes; at most " +
                                         std::to_string(options_.max_code_bytes) + " are allowed"};
    std::string request = rules_json_ + ",\"code\":" + DumpJson(code) + "}";
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

// Lends one of up to `max` ProcessCodeValidators to each call.
class SharedCodeValidator : public CodeValidator {
 public:
  SharedCodeValidator(std::string python, std::string guest_dir, ValidationRules rules, size_t max,
                      CodeValidatorOptions options)
      : python_(std::move(python)),
        guest_dir_(std::move(guest_dir)),
        rules_(std::move(rules)),
        max_(max > 0 ? max : 1),
        options_(options) {}

  Status StartFirst() {
    WARD_ASSIGN_OR_RETURN(auto first, StartOne());
    idle_.push_back(std::move(first));
    started_ = 1;
    return Status::Ok();
  }

  Result<ValidationResult> Validate(const std::string& code) override {
    WARD_ASSIGN_OR_RETURN(auto checker, Borrow());
    auto result = checker->Validate(code);
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(checker));  // it restarts itself if it died
    returned_.notify_one();
    return result;
  }

 private:
  Result<std::unique_ptr<ProcessCodeValidator>> StartOne() {
    auto checker = std::make_unique<ProcessCodeValidator>(python_, guest_dir_, rules_, options_);
    WARD_RETURN_IF_ERROR(checker->Start());
    return checker;
  }

  // An idle checker, a newly started one while fewer than max_ exist, or the next
  // one given back.
  Result<std::unique_ptr<ProcessCodeValidator>> Borrow() {
    std::unique_lock<std::mutex> lock(mu_);
    returned_.wait(lock, [this] { return !idle_.empty() || started_ < max_; });
    if (!idle_.empty()) {
      auto checker = std::move(idle_.back());
      idle_.pop_back();
      return checker;
    }
    ++started_;
    lock.unlock();
    auto checker = StartOne();
    if (!checker.ok()) {
      lock.lock();
      --started_;
      returned_.notify_one();
    }
    return checker;
  }

  const std::string python_, guest_dir_;
  const ValidationRules rules_;
  const size_t max_;
  const CodeValidatorOptions options_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<ProcessCodeValidator>> idle_;  // guarded by mu_
  size_t started_ = 0;                                       // guarded by mu_
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

Result<std::unique_ptr<CodeValidator>> NewSharedCodeValidator(const std::string& python,
                                                              const std::string& guest_dir,
                                                              const ValidationRules& rules,
                                                              size_t max_checkers,
                                                              const CodeValidatorOptions& options) {
  auto shared =
      std::make_unique<SharedCodeValidator>(python, guest_dir, rules, max_checkers, options);
  WARD_RETURN_IF_ERROR(shared->StartFirst());
  return std::unique_ptr<CodeValidator>(std::move(shared));
}

}  // namespace ward
