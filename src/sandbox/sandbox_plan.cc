#include "sandbox/sandbox_plan.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "sandbox/layers.h"
#include "sandbox/workspace.h"

namespace ward {
namespace {

constexpr const char* kPasswd =
    "root:x:0:0:guest:/workspace:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
constexpr const char* kGroup = "root:x:0:\nnogroup:x:65534:\n";
constexpr const char* kHosts = "127.0.0.1 localhost ward-guest\n::1 localhost\n";

// Adds every parent of `rel` ("a/b/c" → "a", "a/b") to the plan's dirs.
void AddParents(IsolationPlan& plan, const std::string& rel) {
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
    std::string dir = rel.substr(0, slash);
    if (std::find(plan.dirs.begin(), plan.dirs.end(), dir) == plan.dirs.end())
      plan.dirs.push_back(dir);
  }
}

// /usr, /lib*, /bin, /sbin: bound read-only, or recreated as the symlinks they are.
void AddSystemDirs(IsolationPlan& plan) {
  for (const char* dir : {"usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin"}) {
    std::string host = std::string("/") + dir;
    struct stat st;
    if (lstat(host.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      auto target = std::filesystem::read_symlink(host, ec);
      if (!ec) plan.symlinks.push_back({target.string(), dir});
    } else if (S_ISDIR(st.st_mode)) {
      plan.binds.push_back({host, dir, false});
    }
  }
}

// A Python installed outside /usr (pyenv, /opt): its prefix, read-only, same path.
void AddPythonPrefix(IsolationPlan& plan, const std::string& python) {
  std::error_code ec;
  auto real = std::filesystem::canonical(python, ec);
  if (ec) return;
  std::string prefix = real.parent_path().parent_path().string();
  if (prefix == "/usr" || prefix == "/" || prefix.rfind("/usr/", 0) == 0) return;
  std::string rel = prefix.substr(1);
  AddParents(plan, rel);
  plan.binds.push_back({prefix, rel, false});
}

void AddEtcAndDev(IsolationPlan& plan) {
  plan.files = {{"etc/passwd", kPasswd}, {"etc/group", kGroup}, {"etc/hosts", kHosts}};
  for (const char* f : {"/etc/ld.so.cache", "/etc/localtime"})
    if (access(f, R_OK) == 0) plan.binds.push_back({f, f + 1, false});
  plan.devices = {"null", "zero", "random", "urandom"};
  plan.symlinks.push_back({"/proc/self/fd", "dev/fd"});
  plan.symlinks.push_back({"/proc/self/fd/0", "dev/stdin"});
  plan.symlinks.push_back({"/proc/self/fd/1", "dev/stdout"});
  plan.symlinks.push_back({"/proc/self/fd/2", "dev/stderr"});
}

}  // namespace

IsolationPlan BuildPlan(const SandboxOptions& o, uint32_t layers, const std::string& guest_dir,
                        const std::string& workspace, const GuestCgroup* cgroup,
                        const std::string& bpf) {
  IsolationPlan plan;
  plan.layers = layers;
  GuestOwner owner = GuestHostOwner();
  plan.outer_uid = owner.uid;
  plan.outer_gid = owner.gid;
  plan.drop_to_outer = geteuid() == 0;
  plan.dirs = {"dev", "etc", "proc", "tmp", "ward"};
  AddSystemDirs(plan);
  AddPythonPrefix(plan, o.python);
  AddEtcAndDev(plan);
  if (!guest_dir.empty()) plan.binds.push_back({guest_dir, kInsideGuestDir + 1, false});
  if (!workspace.empty()) plan.binds.push_back({workspace, kInsideWorkspace + 1, true});
  if (layers & kLayerMount)
    plan.workdir = workspace.empty() ? "/tmp" : kInsideWorkspace;
  else
    plan.workdir = workspace.empty() ? "/tmp" : workspace;
  plan.tmp_bytes = o.tmp_bytes;
  plan.rlimits = {{RLIMIT_AS, o.address_space_bytes},
                  {RLIMIT_CPU, o.cpu_seconds},
                  {RLIMIT_FSIZE, o.file_bytes},
                  {RLIMIT_NOFILE, o.open_files},
                  {RLIMIT_CORE, 0}};
  // Inside a user namespace the process count of the guest's uid is the guest's
  // own, so RLIMIT_NPROC bounds it even where cgroups are not delegated. (Without
  // one it would count every process of the guest's host uid: ward's, or every
  // guest's.) The namespace is made before the limits are set, so the count is
  // not also capped for the host uid as a whole.
  if (layers & kLayerUser) plan.rlimits.push_back({RLIMIT_NPROC, o.max_pids});
  if (cgroup) plan.cgroup_procs = cgroup->procs;
  plan.seccomp_bpf = bpf;
  return plan;
}

std::vector<std::string> GuestEnvironment(bool mount_layer, const std::string& workspace) {
  std::string home = mount_layer ? (workspace.empty() ? "/tmp" : kInsideWorkspace)
                                 : (workspace.empty() ? "/tmp" : workspace);
  return {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "HOME=" + home,
          "TMPDIR=/tmp"};
}

}  // namespace ward
