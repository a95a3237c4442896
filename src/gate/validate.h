// CodeValidator: checks a code action before it runs — Python syntax (with line and
// column) and configurable static checks (forbidden imports such as ctypes,
// subprocess, socket; forbidden calls such as os.system) — in a trusted checker
// process that never runs model code. Defence in depth on top of the sandbox.
// A validation failure is reported back to the model as the observation.
// A validator from NewCodeValidator serves one session and is not thread-safe; one
// from NewSharedCodeValidator is thread-safe and serves many (a server's sessions).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"

namespace ward {

struct ValidationRules {
  std::vector<std::string> forbid_imports = {"ctypes", "subprocess", "socket"};
  std::vector<std::string> forbid_calls = {"os.system", "os.popen", "os.exec*", "os.spawn*",
                                           "os.fork"};
};

struct ValidationResult {
  bool ok = true;
  std::string message;  // when !ok: what failed and where ("line 3, column 5: ...")
};

class CodeValidator {
 public:
  virtual ~CodeValidator() = default;
  // An error Status only when the checker itself could not run.
  virtual Result<ValidationResult> Validate(const std::string& code) = 0;
};

struct CodeValidatorOptions {
  int64_t timeout_ms = 2000;         // per Validate; past it the checker is killed
  int64_t start_timeout_ms = 10000;  // for the checker to start and say it is ready
  size_t max_code_bytes = 1 << 20;   // a longer action fails validation unchecked
  size_t max_reply_bytes = 64 << 10;
};

// The checker runs `python` -I on guest_dir's ward_guest.checker module; it is
// started here (an error Status when it does not start), reused for every Validate,
// and restarted when it has died. Validate returns DeadlineExceeded when the checker
// does not answer within the timeout (the checker is killed and restarted on the
// next call), Unavailable when it cannot be started or dies twice on one action.
Result<std::unique_ptr<CodeValidator>> NewCodeValidator(const std::string& python,
                                                        const std::string& guest_dir,
                                                        const ValidationRules& rules,
                                                        const CodeValidatorOptions& options);
Result<std::unique_ptr<CodeValidator>> NewCodeValidator(const std::string& python,
                                                        const std::string& guest_dir,
                                                        const ValidationRules& rules);

// A thread-safe validator for many sessions at once: each Validate borrows one of
// at most `max_checkers` checker processes (started on demand; a call waits while
// all are busy) and gives it back. One checker is started here, so an error
// Status means no checker can run at all. Results are the same as from
// NewCodeValidator.
Result<std::unique_ptr<CodeValidator>> NewSharedCodeValidator(const std::string& python,
                                                              const std::string& guest_dir,
                                                              const ValidationRules& rules,
                                                              size_t max_checkers,
                                                              const CodeValidatorOptions& options);

}  // namespace ward
