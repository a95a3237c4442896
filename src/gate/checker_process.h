// CheckerProcess: the trusted code-checker child (`python -I`, ward_guest.checker)
// and the JSON-lines socket to it (fd 3 in the child). Internal to the gate; used
// by the CodeValidator. The child gets a minimal environment, no descriptors but
// the socket, its own process group, and is killed as a group. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "sandbox/guest_channel.h"
#include "util/status.h"

namespace ward {

class CheckerProcess {
 public:
  CheckerProcess(std::string python, std::string guest_dir, size_t max_reply_bytes)
      : python_(std::move(python)), guest_dir_(std::move(guest_dir)), max_reply_(max_reply_bytes) {}
  ~CheckerProcess() { Kill(); }
  CheckerProcess(const CheckerProcess&) = delete;
  CheckerProcess& operator=(const CheckerProcess&) = delete;

  // Starts the child and waits for its ready line. Unavailable (with how the child
  // ended, if it did) when it does not come up within `timeout_ms`.
  Status Start(int64_t timeout_ms);
  // Sends one request line and reads one reply line. DeadlineExceeded after
  // `timeout_ms`, Unavailable when the child is gone, ResourceExhausted when the
  // reply is too long. After any error the caller should Kill().
  Result<std::string> Ask(const std::string& line, int64_t timeout_ms);
  // Kills the process group and reaps the child; returns how it ended ("" if not running).
  std::string Kill();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  std::string python_, guest_dir_;
  size_t max_reply_;
  pid_t pid_ = -1;
  std::unique_ptr<GuestChannel> channel_;
};

}  // namespace ward
