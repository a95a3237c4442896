// Creating an isolated guest process from an IsolationPlan.
//
// PreparePlan() does every allocation and string formatting up front; Spawn()
// then clones a child into the plan's namespaces, and the child isolates itself
// using only system calls and the prepared data (it may be the child of a
// multi-threaded process, so it must not allocate). Order in the child:
//   user-namespace maps → join cgroups → cgroup ns → fresh root (tmpfs, read-only
//   binds, private /tmp, minimal /dev and /etc, new /proc) → pivot_root → loopback
//   up (unless the network namespace was made ahead, see SpawnOptions) → hostname → setsid, cwd →
//   rlimits → descriptors (channel on 3, stdio on /dev/null, all else closed) → capabilities
//   dropped → no_new_privs → seccomp.
//
// Thread-safety: PreparePlan is thread-safe; Spawn forks the calling thread.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

#include "sandbox/isolation_plan.h"

namespace ward {

// The staging mount point of the new root inside the child's mount namespace.
inline constexpr const char* kStageDir = "/tmp";
// The guest's end of the RPC channel inside the sandbox.
inline constexpr int kGuestChannelFd = 3;

struct PreparedPlan {
  IsolationPlan plan;
  unsigned long clone_flags = 0;
  std::string uid_map, gid_map, tmp_data;
  std::vector<std::string> dir_paths, bind_targets, symlink_paths, file_paths;
  std::vector<std::string> device_sources, device_targets;
  std::vector<int> bind_fds;                     // filled in by the child
  std::vector<std::array<char, 32>> bind_links;  // "/proc/self/fd/N", filled in by the child
  struct sock_fprog prog = {};
};

// Rejects a plan whose seccomp program is not a whole number of instructions.
Result<PreparedPlan> PreparePlan(IsolationPlan plan);

struct SpawnOptions {
  int channel_fd = -1;        // becomes fd 3 in the guest
  int report_fd = -1;         // probe mode when >= 0: see below
  bool clone_parent = false;  // the child becomes a sibling of the caller (CLONE_PARENT)
  // The caller is in a network namespace made for this guest alone, with loopback
  // up (see the zygote): the guest inherits it instead of creating one. Only valid
  // for a plan without the user layer (the namespace is owned by the caller's).
  bool network_ready = false;
};

// In the parent: the child's pid, or -errno when clone failed. In the child:
// returns 0 once isolated; the caller then continues (zygote) or execs (plain).
// When a layer fails the child writes {"t":"fatal","message":...} to the channel
// and exits with status 125: a plan is all or nothing.
//
// Probe mode (report_fd >= 0): a failing layer is written to report_fd as
// "<layer>\t<reason>\n" and skipped instead; every layer that held is then
// written as "<layer>\tok\n" and the child exits 0 (it never returns).
pid_t Spawn(PreparedPlan& prepared, const SpawnOptions& options);

// Brings the loopback interface of the caller's network namespace up. 0, or the
// errno with `what` naming the step that failed.
int BringLoopbackUp(const char** what);

}  // namespace ward
