// Creating an isolated guest process from an IsolationPlan.
//
// PreparePlan() does every allocation and string formatting up front; Spawn()
// then clones a child into the plan's namespaces, and the child isolates itself
// using only system calls and the prepared data (it may be the child of a
// multi-threaded process, so it must not allocate). Order in the child:
//   user-namespace maps (when the clone made one) → join cgroups → cgroup ns → fresh
//   root (tmpfs, read-only binds, private /tmp, minimal /dev and /etc, new /proc with
//   its sensitive parts read-only or masked) → pivot_root → loopback up (unless the
//   network namespace was made ahead, see SpawnOptions) → hostname → setsid, cwd →
//   as root: the plan's unprivileged host ids, then a new user namespace (see
//   IsolationPlan::drop_to_outer) → rlimits → descriptors (channel on 3, stdio on
//   /dev/null, all else closed) → capabilities dropped → no_new_privs → seccomp.
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
// Where the zygote keeps its root template, in its own mount namespace: a
// directory that exists everywhere and that no bind source can be under (a
// template at /tmp would hide workspaces there from the guests' binds).
inline constexpr const char* kTemplateStageDir = "/dev/pts";
// The guest's end of the RPC channel inside the sandbox.
inline constexpr int kGuestChannelFd = 3;

struct PreparedPlan {
  IsolationPlan plan;
  std::string stage;  // where the new root is built: kStageDir or kTemplateStageDir
  unsigned long clone_flags = 0;
  std::string uid_map, gid_map, tmp_data;
  std::vector<std::string> dir_paths, bind_targets, symlink_paths, file_paths;
  std::vector<std::string> device_sources, device_targets;
  std::vector<int> bind_fds;                     // filled in by the child
  std::vector<std::array<char, 32>> bind_links;  // "/proc/self/fd/N", filled in by the child
  struct sock_fprog prog = {};
};

// Rejects a plan whose seccomp program is not a whole number of instructions.
// `stage` is where the new root is built (see root_template).
Result<PreparedPlan> PreparePlan(IsolationPlan plan, const char* stage = kStageDir);

struct SpawnOptions {
  int channel_fd = -1;        // becomes fd 3 in the guest
  int report_fd = -1;         // probe mode when >= 0: see below
  bool clone_parent = false;  // the child becomes a sibling of the caller (CLONE_PARENT)
  // The caller is in a network namespace made for this guest alone, with loopback
  // up (see the zygote): the guest inherits it instead of creating one. Only valid
  // for a plan whose clone makes no user namespace (the namespace is owned by the
  // caller's).
  bool network_ready = false;
  // The caller's mount namespace holds the template of this plan's TemplatePart
  // (BuildRootTemplate): the child's copy of it only gets the plan's writable
  // binds, its own /tmp and /proc before pivot_root. The plan must have been
  // prepared with kTemplateStageDir.
  bool root_template = false;
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

// The part of a plan that is the same for every guest of a launcher: its layers
// and the content of the new root except the writable binds, whose targets are
// kept as empty directories (mount points). Equal parts mean one template serves.
IsolationPlan TemplatePart(const IsolationPlan& plan);

// Builds the root template of `prepared` (a TemplatePart prepared with
// kTemplateStageDir), replacing an older one. Refused when a bind or device source
// lies under kTemplateStageDir. The first call moves the calling process into its own
// mount namespace and makes every mount in it private; nothing is mounted unless
// both succeeded, so the host's mounts are never touched. For a single-threaded
// process with CAP_SYS_ADMIN (the zygote). Internal naming the failed step.
Status BuildRootTemplate(PreparedPlan& prepared);

// Brings the loopback interface of the caller's network namespace up. 0, or the
// errno with `what` naming the step that failed.
int BringLoopbackUp(const char** what);

}  // namespace ward
