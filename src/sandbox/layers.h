// The isolation layers of the sandbox, by name, and the report of which of them a
// host can provide. Plain data; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace ward {

// One bit per layer. The names (LayerName) are what `ward doctor`, ward.toml's
// [sandbox] require and the session_started event use.
enum Layer : uint32_t {
  kLayerUser = 1u << 0,           // user namespace: the guest's uid 0 is an unprivileged host id
  kLayerMount = 1u << 1,          // mount namespace + a fresh read-only root
  kLayerPid = 1u << 2,            // pid namespace + its own /proc
  kLayerNet = 1u << 3,            // network namespace with loopback only
  kLayerIpc = 1u << 4,            // IPC namespace
  kLayerUts = 1u << 5,            // UTS namespace (own hostname)
  kLayerCgroupNs = 1u << 6,       // cgroup namespace
  kLayerSeccomp = 1u << 7,        // syscall filter
  kLayerNoNewPrivs = 1u << 8,     // PR_SET_NO_NEW_PRIVS
  kLayerCapabilities = 1u << 9,   // every capability dropped
  kLayerRlimits = 1u << 10,       // address space, CPU, file size, open files, no core
  kLayerCgroupMemory = 1u << 11,  // memory limit through a cgroup
  kLayerCgroupPids = 1u << 12,    // process-count limit through a cgroup
  kLayerNonRoot = 1u << 13,       // the guest's host uid and gid are not 0 (never the host's root)
  kLayerProc = 1u << 14,          // /proc's sensitive parts read-only or masked, no /sys
};

// Every layer, in report order.
const std::vector<Layer>& AllLayers();
const char* LayerName(Layer layer);
// InvalidArgument naming the unknown name and the known ones.
Result<Layer> ParseLayerName(const std::string& name);
// Names of the layers set in `mask`, in report order.
std::vector<std::string> LayerNames(uint32_t mask);

// The layers required when ward.toml does not say: mount, pid, net, seccomp,
// no_new_privs, nonroot, proc.
uint32_t DefaultRequiredLayers();

struct LayerStatus {
  Layer layer;
  bool active = false;
  std::string detail;  // why not, when inactive; what, when active
};

struct SandboxReport {
  std::vector<LayerStatus> layers;  // one per layer, report order
  uint32_t active_mask() const;
  // The first required layer that is not active, as "layer: reason"; "" when all are.
  std::string MissingRequired(uint32_t required) const;
};

}  // namespace ward
