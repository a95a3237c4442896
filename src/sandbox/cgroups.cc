#include "sandbox/cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ward {
namespace {

bool MakeDir(const std::string& path, std::string* why) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return true;
  *why = "cannot create " + path + ": " + strerror(errno);
  return false;
}

// "/ward-<pid>-<n>": one folder per Cgroups object, so launchers never share one.
std::string ParentName(const CgroupSources& sources) {
  static std::atomic<int> next{0};
  if (!sources.name.empty()) return "/" + sources.name;
  return "/ward-" + std::to_string(getpid()) + "-" + std::to_string(next++);
}

// Removes the folders of ward processes that are gone (killed before cleaning
// up): "<dir>/ward-<pid>-<n>" whose pid does not exist, with their empty children.
void SweepStale(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("ward-", 0) != 0 || !e.is_directory(ec)) continue;
    pid_t pid = static_cast<pid_t>(atoi(name.c_str() + 5));
    if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH) continue;
    for (const auto& child : std::filesystem::directory_iterator(e.path(), ec))
      if (child.is_directory(ec)) rmdir(child.path().c_str());
    rmdir(e.path().c_str());
  }
}

}  // namespace

std::string ReadCgroupFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteCgroupFile(const std::string& path, const std::string& text, std::string* why) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (!ok && why) *why = path + ": " + strerror(errno);
  if (fd >= 0) close(fd);
  return ok;
}

std::vector<CgroupMount> ParseCgroupMounts(const std::string& mountinfo) {
  std::vector<CgroupMount> out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
    std::string id, parent, dev, root, point, fstype, source, super;
    head >> id >> parent >> dev >> root >> point;
    tail >> fstype >> source >> super;
    if (fstype == "cgroup" || fstype == "cgroup2") out.push_back({point, fstype, super});
  }
  return out;
}

std::string OwnCgroupPath(const std::string& proc_cgroup, const std::string& controller) {
  std::istringstream in(proc_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string list = "," + line.substr(a + 1, b - a - 1) + ",";
    if (controller.empty() ? list == ",," : list.find("," + controller + ",") != std::string::npos)
      return line.substr(b + 1);
  }
  return "";
}

Cgroups::Cgroups(Cgroups&& o) noexcept
    : v2_(o.v2_),
      memory_base_(std::move(o.memory_base_)),
      pids_base_(std::move(o.pids_base_)),
      memory_detail_(std::move(o.memory_detail_)),
      pids_detail_(std::move(o.pids_detail_)),
      next_(o.next_.load()) {
  o.memory_base_.clear();
  o.pids_base_.clear();
}

Cgroups Cgroups::Detect(const CgroupSources& sources) {
  Cgroups c;
  c.memory_detail_ = c.pids_detail_ = "no cgroup hierarchy with this controller is mounted";
  std::vector<CgroupMount> mounts = ParseCgroupMounts(ReadCgroupFile(sources.mountinfo));
  std::string own_cgroups = ReadCgroupFile(sources.cgroup);
  for (const CgroupMount& m : mounts) {
    if (m.fstype != "cgroup2") continue;
    std::string path = OwnCgroupPath(own_cgroups, "");
    std::string own = m.point + (path == "/" ? "" : path);
    std::string have;
    std::ifstream controllers(own + "/cgroup.controllers");
    std::getline(controllers, have);
    if (have.find("memory") == std::string::npos || have.find("pids") == std::string::npos)
      continue;
    std::string why, base = own + ParentName(sources);
    SweepStale(own);
    if (WriteCgroupFile(own + "/cgroup.subtree_control", "+memory +pids", &why) &&
        MakeDir(base, &why) &&
        WriteCgroupFile(base + "/cgroup.subtree_control", "+memory +pids", &why)) {
      c.v2_ = true;
      c.memory_base_ = c.pids_base_ = base;
      c.memory_detail_ = c.pids_detail_ = "cgroup v2 at " + base;
      return c;
    }
    c.memory_detail_ = c.pids_detail_ = "cgroup v2 not delegated to ward: " + why;
  }
  for (const CgroupMount& m : mounts) {
    if (m.fstype != "cgroup") continue;
    for (const char* ctl : {"memory", "pids"}) {
      std::string opts = "," + m.super_options + ",";
      if (opts.find(std::string(",") + ctl + ",") == std::string::npos) continue;
      std::string own = OwnCgroupPath(own_cgroups, ctl);
      if (own == "/") own.clear();
      std::string base = m.point + own + ParentName(sources), why;
      SweepStale(m.point + own);
      bool memory = std::string(ctl) == "memory";
      if ((memory ? c.memory_base_ : c.pids_base_).size()) continue;
      if (MakeDir(base, &why)) {
        (memory ? c.memory_base_ : c.pids_base_) = base;
        (memory ? c.memory_detail_ : c.pids_detail_) = "cgroup v1 at " + base;
      } else {
        (memory ? c.memory_detail_ : c.pids_detail_) = "cgroup v1: " + why;
      }
    }
  }
  return c;
}

Cgroups::~Cgroups() {
  if (!memory_base_.empty()) rmdir(memory_base_.c_str());
  if (!pids_base_.empty() && pids_base_ != memory_base_) rmdir(pids_base_.c_str());
}

Result<GuestCgroup> Cgroups::Create(uint64_t memory_bytes, uint64_t max_pids) {
  GuestCgroup g;
  std::string name = "/g" + std::to_string(next_++), why;
  auto fail = [&](const std::string& m) {
    Remove(g);
    return Internal("cgroup: " + m);
  };
  if (v2_) {
    if (memory_bytes == 0 && max_pids == 0) return g;
    std::string dir = memory_base_ + name;
    if (!MakeDir(dir, &why)) return fail(why);
    g.dirs.push_back(dir);
    if (memory_bytes) {
      if (!WriteCgroupFile(dir + "/memory.max", std::to_string(memory_bytes), &why))
        return fail(why);
      WriteCgroupFile(dir + "/memory.swap.max", "0", nullptr);  // absent without swap accounting
    }
    if (max_pids && !WriteCgroupFile(dir + "/pids.max", std::to_string(max_pids), &why))
      return fail(why);
    g.procs.push_back(dir + "/cgroup.procs");
    return g;
  }
  if (memory_bytes && memory()) {
    std::string dir = memory_base_ + name;
    if (!MakeDir(dir, &why)) return fail(why);
    g.dirs.push_back(dir);
    if (!WriteCgroupFile(dir + "/memory.limit_in_bytes", std::to_string(memory_bytes), &why))
      return fail(why);
    g.procs.push_back(dir + "/cgroup.procs");
  }
  if (max_pids && pids()) {
    std::string dir = pids_base_ + name;
    if (!MakeDir(dir, &why)) return fail(why);
    g.dirs.push_back(dir);
    if (!WriteCgroupFile(dir + "/pids.max", std::to_string(max_pids), &why)) return fail(why);
    g.procs.push_back(dir + "/cgroup.procs");
  }
  return g;
}

Status JoinCgroup(const GuestCgroup& g, int pid) {
  std::string why;
  for (const auto& procs : g.procs)
    if (!WriteCgroupFile(procs, std::to_string(pid), &why))
      return Internal("joining a cgroup: " + why);
  return Status::Ok();
}

void Cgroups::Remove(const GuestCgroup& g) {
  for (const auto& dir : g.dirs) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (rmdir(dir.c_str()) == 0 || errno != EBUSY) break;
      usleep(1000);
    }
  }
}

}  // namespace ward
