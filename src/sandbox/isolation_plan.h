// IsolationPlan: everything a new guest process needs to isolate itself, decided
// by the host before the process exists (see isolate.h for who runs it). It
// travels to the zygote as a length-prefixed binary blob (Encode/Decode), so the
// zygote never interprets configuration of its own. Plain data; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "util/status.h"

namespace ward {

struct PlanBind {
  std::string source;  // absolute host path
  std::string target;  // path inside the new root, without the leading '/'
  bool writable = false;
};

struct PlanRlimit {
  int resource = 0;    // RLIMIT_*
  uint64_t value = 0;  // soft and hard
};

struct IsolationPlan {
  uint32_t layers = 0;                    // the Layer bits to set up; a failure of any is fatal
  uint32_t outer_uid = 0, outer_gid = 0;  // the guest's host ids; 0 inside a user namespace
  // Set when ward runs as root: the child is cloned without a user namespace, isolates
  // itself as root, then becomes outer_uid/gid and (with the user layer) enters a new
  // user namespace whose uid/gid 0 they are. Unset: the user namespace (if any) is
  // made by the clone, mapping 0 to outer_uid/gid (ward's own ids).
  bool drop_to_outer = false;
  std::vector<std::string> dirs;  // made in the new root, in order
  std::vector<PlanBind> binds;    // bound in order (read-only unless writable)
  std::vector<std::pair<std::string, std::string>> symlinks;  // (link target, path)
  std::vector<std::pair<std::string, std::string>> files;     // (path, content), read-only
  std::vector<std::string> devices;  // e.g. "null": bound from the host's /dev
  std::string workdir = "/tmp";      // cwd inside the sandbox
  uint64_t tmp_bytes = 64ull << 20;  // size of the private /tmp
  std::vector<PlanRlimit> rlimits;
  std::vector<std::string> cgroup_procs;  // cgroup.procs files the guest joins first
  std::string seccomp_bpf;                // raw struct sock_filter array
  std::string hostname = "ward-guest";
};

std::string EncodePlan(const IsolationPlan& plan);
// InvalidArgument when the blob is truncated or malformed.
Result<IsolationPlan> DecodePlan(const std::string& blob);

}  // namespace ward
