#include "sandbox/layers.h"

namespace ward {

const std::vector<Layer>& AllLayers() {
  static const std::vector<Layer> kAll = {
      kLayerUser,    kLayerMount,        kLayerPid,        kLayerNet,        kLayerIpc,
      kLayerUts,     kLayerCgroupNs,     kLayerSeccomp,    kLayerNoNewPrivs, kLayerCapabilities,
      kLayerRlimits, kLayerCgroupMemory, kLayerCgroupPids, kLayerNonRoot,    kLayerProc};
  return kAll;
}

const char* LayerName(Layer layer) {
  switch (layer) {
    case kLayerUser:
      return "user";
    case kLayerMount:
      return "mount";
    case kLayerPid:
      return "pid";
    case kLayerNet:
      return "net";
    case kLayerIpc:
      return "ipc";
    case kLayerUts:
      return "uts";
    case kLayerCgroupNs:
      return "cgroupns";
    case kLayerSeccomp:
      return "seccomp";
    case kLayerNoNewPrivs:
      return "no_new_privs";
    case kLayerCapabilities:
      return "capabilities";
    case kLayerRlimits:
      return "rlimits";
    case kLayerCgroupMemory:
      return "cgroup_memory";
    case kLayerCgroupPids:
      return "cgroup_pids";
    case kLayerNonRoot:
      return "nonroot";
    case kLayerProc:
      return "proc";
  }
  return "?";
}

Result<Layer> ParseLayerName(const std::string& name) {
  std::string known;
  for (Layer l : AllLayers()) {
    if (name == LayerName(l)) return l;
    known += (known.empty() ? "" : ", ") + std::string(LayerName(l));
  }
  return InvalidArgument("unknown sandbox layer '" + name + "' (known: " + known + ")");
}

std::vector<std::string> LayerNames(uint32_t mask) {
  std::vector<std::string> out;
  for (Layer l : AllLayers())
    if (mask & l) out.emplace_back(LayerName(l));
  return out;
}

uint32_t DefaultRequiredLayers() {
  return kLayerMount | kLayerPid | kLayerNet | kLayerSeccomp | kLayerNoNewPrivs | kLayerNonRoot |
         kLayerProc;
}

uint32_t SandboxReport::active_mask() const {
  uint32_t mask = 0;
  for (const auto& s : layers)
    if (s.active) mask |= s.layer;
  return mask;
}

std::string SandboxReport::MissingRequired(uint32_t required) const {
  for (const auto& s : layers)
    if ((required & s.layer) && !s.active) return std::string(LayerName(s.layer)) + ": " + s.detail;
  for (Layer l : AllLayers()) {
    bool listed = false;
    for (const auto& s : layers) listed |= s.layer == l;
    if ((required & l) && !listed) return std::string(LayerName(l)) + ": not probed";
  }
  return "";
}

}  // namespace ward
