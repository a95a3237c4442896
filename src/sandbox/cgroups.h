// Cgroups for guests: a memory limit and a process-count limit per guest, through
// cgroup v2 where the host delegates the controllers to ward's cgroup, else cgroup
// v1 hierarchies. Detect() finds out what this process may do; when a controller
// cannot be used it says why, and guests simply run without that limit (the
// layer is then reported inactive).
//
// Layout: <ward's own cgroup>/ward-<pid>-<n>/g<N> in each hierarchy (folders of
// ward processes that died without cleaning up are swept by Detect()). The host moves
// the guest in (JoinCgroup) before the guest runs anything of the model's; the
// probe instead lists the cgroup.procs files in its plan, to test joining.
// Thread-safety: Create() and Remove() are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace ward {

// Where Detect() learns about this process's cgroups (tests point it at fakes).
struct CgroupSources {
  std::string mountinfo = "/proc/self/mountinfo";
  std::string cgroup = "/proc/self/cgroup";
  std::string name;  // of ward's folder; empty: "ward-<pid>-<n>", unique per Cgroups
};

// A cgroup or cgroup2 mount, from one line of a mountinfo file.
struct CgroupMount {
  std::string point, fstype, super_options;
};

// The cgroup and cgroup2 mounts in mountinfo text, in order.
std::vector<CgroupMount> ParseCgroupMounts(const std::string& mountinfo);
// This process's cgroup (e.g. "/a/b") in the v1 hierarchy of `controller`, or in
// the v2 one when `controller` is empty, from /proc/self/cgroup text; "" when absent.
std::string OwnCgroupPath(const std::string& proc_cgroup, const std::string& controller);

struct GuestCgroup {
  std::vector<std::string> dirs;   // to remove when the guest is gone
  std::vector<std::string> procs;  // cgroup.procs files for the guest to join
};

class Cgroups {
 public:
  // Probes the hierarchies and creates ward's parent cgroups where it can.
  static Cgroups Detect(const CgroupSources& sources = {});
  ~Cgroups();
  Cgroups(Cgroups&& other) noexcept;
  Cgroups& operator=(Cgroups&&) = delete;

  bool v2() const { return v2_; }
  bool memory() const { return !memory_base_.empty(); }
  bool pids() const { return !pids_base_.empty(); }
  const std::string& memory_detail() const { return memory_detail_; }  // where, or why not
  const std::string& pids_detail() const { return pids_detail_; }
  // The ward-<pid>-<n> folders guests' cgroups are made in ("" = unavailable).
  const std::string& memory_base() const { return memory_base_; }
  const std::string& pids_base() const { return pids_base_; }

  // A fresh cgroup with the limits (0 = that controller is not used).
  Result<GuestCgroup> Create(uint64_t memory_bytes, uint64_t max_pids);
  // Removes the guest's cgroups; call after the guest was reaped.
  void Remove(const GuestCgroup& cgroup);

 private:
  Cgroups() = default;
  bool v2_ = false;
  std::string memory_base_, pids_base_;  // ward-<pid> folders; empty = unavailable
  std::string memory_detail_, pids_detail_;
  std::atomic<uint64_t> next_{0};
};

// A cgroup (or proc) file's whole text; "" when it cannot be read.
std::string ReadCgroupFile(const std::string& path);
// Writes `text` to a cgroup control file in one write(); on failure sets *why (when
// given) to the path and the error.
bool WriteCgroupFile(const std::string& path, const std::string& text, std::string* why);

// Moves process `pid` into every cgroup of `cgroup`. Internal naming the file.
Status JoinCgroup(const GuestCgroup& cgroup, int pid);

}  // namespace ward
