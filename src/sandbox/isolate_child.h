// Internal to isolate.cc and rootfs.cc: the state of a child while it isolates
// itself. Everything here runs after clone() and must not allocate.
#pragma once

#include "sandbox/isolate.h"
#include "sandbox/layers.h"

namespace ward::isolate_internal {

struct Child {
  PreparedPlan* p;
  SpawnOptions opt;
  uint32_t layers;           // still to hold; a probe clears the bits that failed
  bool caps_locked = false;  // securebits and bounding set done before the uid change

  bool probing() const { return opt.report_fd >= 0; }
  // Reports that `layer` failed at `what` with errno `err`. In probe mode the layer
  // is dropped and false is returned; otherwise the child dies (never returns).
  bool Fail(Layer layer, const char* what, int err);
};

// Builds the fresh root and pivots into it (the mount layer, and /proc for pid).
void BuildRoot(Child& c);

// The zygote's root template: a tmpfs at the plan's stage with everything of the plan
// but its writable binds, /tmp and /proc (the plan is TemplatePart's). False
// (reported through `c`, which must be probing) when a step failed.
bool BuildTemplate(Child& c);
// BuildRoot for a child whose mount namespace is a copy of one holding the
// template of its plan: only the writable binds, /tmp and /proc, then pivot_root.
void BuildRootFromTemplate(Child& c);

// Small no-allocation helpers.
void Append(char* buf, size_t cap, const char* s);
void AppendInt(char* buf, size_t cap, long v);
bool WriteFile(const char* path, const char* data, size_t len);

}  // namespace ward::isolate_internal
