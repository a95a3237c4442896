// Background CPU weight: the Python processes ward starts for sessions — zygotes
// (and so the guests they fork), plain guests and code checkers — run together in
// one cgroup whose CPU weight is low beside ward's own threads. However many
// sessions run, they share that one weight, so a host under load keeps answering
// its API, its event streams and its terminal promptly; idle CPU is still theirs.
//
// Best effort and not an isolation layer: where no cpu controller can be used
// (cgroup v2 not delegated, no permission), processes stay where they are and
// detail() says why. cgroup v1: <cpu mount><own>/ward-<pid>-background with
// cpu.shares; cgroup v2: <own>/ward-<pid>-background with cpu.weight, when the
// controller is delegated. Thread-safe.
#pragma once

#include <string>

#include "sandbox/cgroups.h"
#include "util/status.h"

namespace ward {

class BackgroundCpu {
 public:
  // Finds or creates the group; `sources` as for Cgroups::Detect.
  static BackgroundCpu Open(const CgroupSources& sources = {});
  // The process-wide group: inactive unless EnableShared() was called first (by
  // `ward serve`, which runs many sessions beside its API; a single `ward run`
  // keeps its guest at normal weight). Opened on first use.
  static void EnableShared();
  static const BackgroundCpu& Shared();

  ~BackgroundCpu();
  BackgroundCpu(BackgroundCpu&& other) noexcept;
  BackgroundCpu& operator=(BackgroundCpu&&) = delete;

  bool active() const { return !procs_.empty(); }
  const std::string& detail() const { return detail_; }  // where, or why not

  // Moves process `pid` (and the threads it has) into the group. Ok and no-op
  // when inactive; Internal naming the file when the move fails.
  Status Join(int pid) const;

 private:
  BackgroundCpu() = default;
  std::string dir_, procs_, detail_;
};

// v1 cpu.shares (default 1024) and v2 cpu.weight (default 100) of the group.
inline constexpr int kBackgroundCpuShares = 64;
inline constexpr int kBackgroundCpuWeight = 6;

}  // namespace ward
