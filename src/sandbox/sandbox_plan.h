// Internal to the sandbox launcher and probe: the IsolationPlan for one guest.
#pragma once

#include <string>

#include "sandbox/cgroups.h"
#include "sandbox/isolation_plan.h"
#include "sandbox/sandbox.h"

namespace ward {

// Where guests see the guest package and the workspace.
inline constexpr const char* kInsideGuestDir = "/ward/guest";
inline constexpr const char* kInsideWorkspace = "/workspace";

// `layers` is the set to build; `workspace` may be empty (the guest then works in
// /tmp); `cgroup` may be null. The seccomp program is `bpf`.
IsolationPlan BuildPlan(const SandboxOptions& options, uint32_t layers,
                        const std::string& guest_dir, const std::string& workspace,
                        const GuestCgroup* cgroup, const std::string& bpf);

// The environment every guest gets (no host variables).
std::vector<std::string> GuestEnvironment(bool mount_layer, const std::string& workspace);

}  // namespace ward
