// Test helper: runs the real `ward` binary as a child process with a controlled
// environment and captures its output. Test-only.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace ward::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Path of build/ward (from WARD_BUILD_DIR, set by ctest).
std::string WardBinary();
// ../shared/data beside the source tree (WARD_DATA_DIR overrides).
std::string SharedDataDir();

class WardProcess {
 public:
  // Starts `wrapper... ward args...` with exactly `env` as its environment (plus
  // PATH); stdin reads `stdin_path` (default /dev/null).
  WardProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
              const std::string& stdin_path = "/dev/null",
              const std::vector<std::string>& wrapper = {});
  ~WardProcess();
  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Reads one line of stdout (without the newline) while the process runs; empty on
  // EOF or after `timeout_ms`. What was read is not part of Wait()'s result.
  std::string ReadLine(int timeout_ms = 20'000);
  // Waits for exit (killing it after `timeout_ms`) and returns what it printed.
  ProcessResult Wait(int timeout_ms = 60'000);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  bool waited_ = false;
  std::string pending_out_;  // read past the last ReadLine() newline
};

// Runs to completion.
ProcessResult RunWard(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, int timeout_ms = 60'000,
                      const std::string& stdin_path = "/dev/null");
// Runs `wrapper... ward args...` to completion (a wrapper that changes what the
// host allows ward, e.g. build/tests/without_user_namespaces).
ProcessResult RunWardUnder(const std::vector<std::string>& wrapper,
                           const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env, int timeout_ms = 60'000);

}  // namespace ward::testing
