// The sandboxing launcher: every guest runs in its own user, mount, pid, network
// (loopback only), IPC, UTS and cgroup namespaces, as an unprivileged host uid
// (never the host's root, also when ward is root: see workspace.h), on a fresh
// read-only root holding only what Python needs and a /proc whose sensitive
// parts are read-only or masked, with no capabilities, no_new_privs, a seccomp
// filter, rlimits and (where the host allows) cgroup memory and process limits.
// Guests are forked from a pre-initialised zygote when it can be had (fast
// start), else Python is started inside the sandbox (plain start). See
// docs/sandbox.md for the layers and how to read `ward doctor`.
//
// Thread-safety: ProbeSandbox is thread-safe; the launcher is thread-safe (its
// guests are not), so many sessions may share one. The zygote is started on a
// thread the launcher owns, and it and the guests cloned from it die with the
// launcher; a guest started without the zygote dies with the thread that
// launched it (PR_SET_PDEATHSIG).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sandbox/guest.h"
#include "sandbox/layers.h"

namespace ward {

struct SandboxOptions {
  std::string guest_dir;  // ward_guest's folder (used by the probe)
  std::string python = "/usr/bin/python3";
  bool use_zygote = true;  // false: start Python inside each sandbox
  uint32_t required = DefaultRequiredLayers();
  uint64_t memory_bytes = 512ull << 20;  // cgroup memory limit per guest
  uint64_t max_pids = 64;                // cgroup process limit per guest
  uint64_t tmp_bytes = 64ull << 20;      // size of the guest's private /tmp
  uint64_t address_space_bytes = 2ull << 30;
  uint64_t cpu_seconds = 600;        // per guest process (a restart resets it)
  uint64_t file_bytes = 1ull << 30;  // largest file a guest may write
  uint64_t open_files = 256;
};

// Finds out which layers this host can provide, by isolating a probe process
// exactly as a guest would be. Never fails: each inactive layer says why.
SandboxReport ProbeSandbox(const SandboxOptions& options);

// The sandboxing launcher (name "sandbox"; isolation_layers() lists the active
// layers). FailedPrecondition naming the first required layer that cannot be had
// and why.
Result<std::unique_ptr<GuestLauncher>> NewSandboxLauncher(const SandboxOptions& options);
// The same, from what ProbeSandbox(options) reported earlier: a caller that starts
// many guests' launchers (a server) probes once, since each probe clones the whole
// calling process several times.
Result<std::unique_ptr<GuestLauncher>> NewSandboxLauncher(const SandboxOptions& options,
                                                          const SandboxReport& probed);

}  // namespace ward
