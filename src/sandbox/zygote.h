// Zygote: the host's handle on a pre-initialised guest template (a Python process
// that has imported ward_guest; see guest/ward_guest/zygote.py). Spawn() asks it
// to clone an isolated guest from itself; the guest is a child of the calling
// process (CLONE_PARENT), so the host waits for it and kills it like any child.
//
// The zygote dies with its parent thread (PR_SET_PDEATHSIG) — create it on a
// thread that outlives it — and when the Zygote object is destroyed.
// It runs with a short time slice (sched_hint.h), which its guests inherit until
// they are ready, so each hand-off of a start is picked up quickly on a busy host.
// Thread-safety: Spawn() may be called from any thread; calls are serialized.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "util/status.h"

namespace ward {

struct ZygoteOptions {
  std::string python = "/usr/bin/python3";
  std::string guest_dir;                         // host folder holding ward_guest
  std::string library;                           // libward_isolate.so
  std::string inside_guest_dir = "/ward/guest";  // where guests see the package
  int64_t start_timeout_ms = 10'000;
};

class Zygote {
 public:
  // Unavailable (with the reason) when the zygote did not become ready in time.
  static Result<std::unique_ptr<Zygote>> Start(const ZygoteOptions& options);
  ~Zygote();

  // Clones a guest isolated by the encoded plan, with `channel_fd` (not consumed)
  // as its fd 3. Returns its pid. Unavailable when the zygote is gone (it is then
  // useless: start another); Internal with the zygote's reason when it refused.
  Result<pid_t> Spawn(const std::string& plan_blob, int channel_fd);
  pid_t pid() const { return pid_; }

 private:
  Zygote(pid_t pid, int control) : pid_(pid), control_(control) {}
  Result<std::string> Receive(int64_t timeout_ms);

  pid_t pid_;
  int control_;
  std::mutex mu_;        // serializes requests on control_
  bool broken_ = false;  // guarded by mu_
};

}  // namespace ward
