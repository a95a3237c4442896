#include "sandbox/background_cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>

namespace ward {
namespace {

std::string GroupName(const CgroupSources& sources) {
  return "/" + (sources.name.empty() ? "ward-" + std::to_string(getpid()) : sources.name) +
         "-background";
}

// Removes the groups of ward processes that are gone ("ward-<pid>-background"
// whose pid does not exist): the process-wide group outlives its last guest.
void SweepStale(const std::string& parent) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("ward-", 0) != 0 || name.size() < 16 ||
        name.compare(name.size() - 11, 11, "-background") != 0 || !e.is_directory(ec))
      continue;
    pid_t pid = static_cast<pid_t>(atoi(name.c_str() + 5));
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) rmdir(e.path().c_str());
  }
}

}  // namespace

BackgroundCpu BackgroundCpu::Open(const CgroupSources& sources) {
  BackgroundCpu b;
  b.detail_ = "no cgroup hierarchy with the cpu controller is mounted";
  std::string own_cgroups = ReadCgroupFile(sources.cgroup);
  for (const CgroupMount& m : ParseCgroupMounts(ReadCgroupFile(sources.mountinfo))) {
    bool v2 = m.fstype == "cgroup2";
    if (!v2 && ("," + m.super_options + ",").find(",cpu,") == std::string::npos) continue;
    std::string own = OwnCgroupPath(own_cgroups, v2 ? "" : "cpu");
    if (v2 && own.empty()) continue;
    std::string parent = m.point + (own == "/" ? "" : own);
    std::string dir = parent + GroupName(sources), why;
    SweepStale(parent);
    if (v2 && ReadCgroupFile(parent + "/cgroup.subtree_control").find("cpu") == std::string::npos &&
        !WriteCgroupFile(parent + "/cgroup.subtree_control", "+cpu", &why)) {
      b.detail_ = "cgroup v2 cpu controller not delegated to ward: " + why;
      continue;
    }
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      b.detail_ = "cannot create " + dir + ": " + strerror(errno);
      continue;
    }
    bool weighted =
        v2 ? WriteCgroupFile(dir + "/cpu.weight", std::to_string(kBackgroundCpuWeight), &why)
           : WriteCgroupFile(dir + "/cpu.shares", std::to_string(kBackgroundCpuShares), &why);
    if (!weighted) {
      rmdir(dir.c_str());
      b.detail_ = "cannot set the CPU weight: " + why;
      continue;
    }
    b.dir_ = dir;
    b.procs_ = dir + "/cgroup.procs";
    b.detail_ = std::string(v2 ? "cgroup v2" : "cgroup v1") + " at " + dir;
    return b;
  }
  return b;
}

namespace {
std::atomic<bool> shared_enabled{false};
}  // namespace

void BackgroundCpu::EnableShared() { shared_enabled = true; }

const BackgroundCpu& BackgroundCpu::Shared() {
  static const BackgroundCpu inactive;
  if (!shared_enabled) return inactive;
  static const BackgroundCpu* shared = new BackgroundCpu(Open());  // lives with the process
  return *shared;
}

BackgroundCpu::BackgroundCpu(BackgroundCpu&& o) noexcept
    : dir_(std::move(o.dir_)), procs_(std::move(o.procs_)), detail_(std::move(o.detail_)) {
  o.dir_.clear();
  o.procs_.clear();
}

BackgroundCpu::~BackgroundCpu() {
  if (!dir_.empty()) rmdir(dir_.c_str());  // fails, harmlessly, while processes remain
}

Status BackgroundCpu::Join(int pid) const {
  if (procs_.empty()) return Status::Ok();
  std::string why;
  if (!WriteCgroupFile(procs_, std::to_string(pid), &why))
    return Internal("joining the background CPU group: " + why);
  return Status::Ok();
}

}  // namespace ward
