// The mount layer: a fresh tmpfs root with read-only binds of what Python needs,
// a private size-capped /tmp, a minimal /dev and /etc, a new /proc, and the
// workspace read-write when given; then pivot_root into it. See isolate.h.
// Every mount the guest can write (the workspace, /tmp) is nosuid and nodev.
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "sandbox/isolate_child.h"

namespace ward::isolate_internal {
namespace {

// Locked flags of the source mount must be kept when remounting in a user namespace.
unsigned long KeptFlags(const char* path) {
  struct statvfs sv;
  if (statvfs(path, &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

// Makes the mount at `path` (and, where the kernel can, every mount below it)
// nosuid, nodev and, unless writable, read-only.
bool Restrict(const char* path, bool writable) {
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (writable ? 0 : MOUNT_ATTR_RDONLY);
  if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) == 0)
    return true;
  if (errno != ENOSYS) return false;
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | KeptFlags(path);
  if (!writable) flags |= MS_RDONLY;
  return mount(nullptr, path, nullptr, flags, nullptr) == 0;
}

// Which binds a step handles: all of them, or only the writable (per-guest) ones.
enum class Binds { kAll, kWritable };

bool Selected(const PlanBind& b, Binds which) { return which == Binds::kAll || b.writable; }

bool OpenSources(Child& c, Binds which) {
  PreparedPlan& p = *c.p;
  for (size_t i = 0; i < p.plan.binds.size(); ++i) {
    if (!Selected(p.plan.binds[i], which)) continue;
    int fd = open(p.plan.binds[i].source.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) return c.Fail(kLayerMount, p.plan.binds[i].source.c_str(), errno);
    p.bind_fds[i] = fd;
    char* link = p.bind_links[i].data();
    link[0] = '\0';
    Append(link, 32, "/proc/self/fd/");
    AppendInt(link, 32, fd);
  }
  return true;
}

bool MakeTarget(const char* target, int source_fd) {
  struct stat st;
  if (fstat(source_fd, &st) != 0) return false;
  if (S_ISDIR(st.st_mode)) return mkdir(target, 0755) == 0 || errno == EEXIST;
  int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool BindAll(Child& c, Binds which) {
  PreparedPlan& p = *c.p;
  for (size_t i = 0; i < p.plan.binds.size(); ++i) {
    if (!Selected(p.plan.binds[i], which)) continue;
    const char* target = p.bind_targets[i].c_str();
    if (!MakeTarget(target, p.bind_fds[i])) return c.Fail(kLayerMount, target, errno);
    if (mount(p.bind_links[i].data(), target, nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return c.Fail(kLayerMount, p.plan.binds[i].source.c_str(), errno);
    if (!Restrict(target, p.plan.binds[i].writable)) return c.Fail(kLayerMount, target, errno);
    close(p.bind_fds[i]);
    p.bind_fds[i] = -1;
  }
  return true;
}

bool MakeDev(Child& c) {
  PreparedPlan& p = *c.p;
  for (size_t i = 0; i < p.device_targets.size(); ++i) {
    const char* target = p.device_targets[i].c_str();
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return c.Fail(kLayerMount, target, errno);
    close(fd);
    if (mount(p.device_sources[i].c_str(), target, nullptr, MS_BIND, nullptr) != 0)
      return c.Fail(kLayerMount, p.device_sources[i].c_str(), errno);
  }
  return true;
}

bool MakeFilesAndLinks(Child& c) {
  PreparedPlan& p = *c.p;
  for (size_t i = 0; i < p.file_paths.size(); ++i) {
    const std::string& body = p.plan.files[i].second;
    if (!WriteFile(p.file_paths[i].c_str(), body.data(), body.size()))
      return c.Fail(kLayerMount, p.file_paths[i].c_str(), errno);
  }
  for (size_t i = 0; i < p.symlink_paths.size(); ++i) {
    if (symlink(p.plan.symlinks[i].first.c_str(), p.symlink_paths[i].c_str()) != 0)
      return c.Fail(kLayerMount, p.symlink_paths[i].c_str(), errno);
  }
  return true;
}

// Everything in the new root that is the same for every guest of a launcher.
bool PopulateShared(Child& c) {
  PreparedPlan& p = *c.p;
  for (const auto& d : p.dir_paths)
    if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST)
      return c.Fail(kLayerMount, d.c_str(), errno);
  return BindAll(c, Binds::kAll) && MakeDev(c) && MakeFilesAndLinks(c);
}

// The guest's own, size-capped /tmp.
bool MountTmp(Child& c) {
  PreparedPlan& p = *c.p;
  char tmp[64] = "";
  Append(tmp, sizeof tmp, p.stage.c_str());
  Append(tmp, sizeof tmp, "/tmp");
  if (mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, p.tmp_data.c_str()) != 0)
    return c.Fail(kLayerMount, "/tmp", errno);
  return true;
}

// What of /proc a guest may not change or see, as container runtimes do it.
constexpr const char* kProcReadOnly[] = {"sys", "sysrq-trigger", "irq", "bus", "fs"};
constexpr const char* kProcMaskedFiles[] = {"kcore",         "keys",        "key-users",
                                            "timer_list",    "timer_stats", "sched_debug",
                                            "latency_stats", "kallsyms",    "kmsg"};
constexpr const char* kProcMaskedDirs[] = {"acpi", "scsi", "asound"};

// `proc` joined with `name`, in `out` (no allocation).
const char* ProcPath(char (&out)[96], const char* proc, const char* name) {
  out[0] = '\0';
  Append(out, sizeof out, proc);
  Append(out, sizeof out, "/");
  Append(out, sizeof out, name);
  return out;
}

bool Exists(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

// /proc/sys and the like read-only; /proc/kcore and the like /dev/null; whole
// directories of hardware detail an empty read-only tmpfs.
bool MaskProc(Child& c, const char* proc) {
  char path[96];
  for (const char* name : kProcReadOnly) {
    if (!Exists(ProcPath(path, proc, name))) continue;
    if (mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0 || !Restrict(path, false))
      return c.Fail(kLayerProc, path, errno);
  }
  for (const char* name : kProcMaskedFiles) {
    if (!Exists(ProcPath(path, proc, name))) continue;
    if (mount("/dev/null", path, nullptr, MS_BIND, nullptr) != 0)
      return c.Fail(kLayerProc, path, errno);
  }
  for (const char* name : kProcMaskedDirs) {
    if (!Exists(ProcPath(path, proc, name))) continue;
    if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,nr_inodes=1,mode=0555") != 0)
      return c.Fail(kLayerProc, path, errno);
  }
  return true;
}

// A new /proc for the new pid namespace, its sensitive parts masked; without
// one, the mount layer fails.
void MountProc(Child& c) {
  char proc[64] = "";
  Append(proc, sizeof proc, c.p->stage.c_str());
  Append(proc, sizeof proc, "/proc");
  if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0) {
    if (c.layers & kLayerProc) MaskProc(c, proc);
    return;
  }
  int err = errno;
  c.Fail(kLayerPid, "mounting /proc", err);
  c.Fail(kLayerMount, "mounting /proc", err);
}

bool Populate(Child& c) { return PopulateShared(c) && MountTmp(c); }

bool Pivot(Child& c) {
  if (chdir(c.p->stage.c_str()) != 0) return c.Fail(kLayerMount, "chdir to the new root", errno);
  if (syscall(SYS_pivot_root, ".", ".") != 0) return c.Fail(kLayerMount, "pivot_root", errno);
  if (umount2(".", MNT_DETACH) != 0) return c.Fail(kLayerMount, "detaching the old root", errno);
  if (chdir("/") != 0) return c.Fail(kLayerMount, "chdir /", errno);
  unsigned long ro = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV;
  if (mount(nullptr, "/", nullptr, ro, nullptr) != 0)
    return c.Fail(kLayerMount, "making the root read-only", errno);
  return true;
}

}  // namespace

void BuildRoot(Child& c) {
  if (!(c.layers & kLayerMount)) return;
  if (!OpenSources(c, Binds::kAll)) return;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    c.Fail(kLayerMount, "making mounts private", errno);
    return;
  }
  if (mount("tmpfs", c.p->stage.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")) {
    c.Fail(kLayerMount, "mounting the new root", errno);
    return;
  }
  if (!Populate(c)) return;
  if (c.layers & kLayerPid) MountProc(c);
  if (!(c.layers & kLayerMount)) return;
  Pivot(c);
}

bool BuildTemplate(Child& c) {
  if (mount("tmpfs", c.p->stage.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755"))
    return c.Fail(kLayerMount, "mounting the template root", errno);
  return OpenSources(c, Binds::kAll) && PopulateShared(c);
}

void BuildRootFromTemplate(Child& c) {
  if (!(c.layers & kLayerMount)) return;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    c.Fail(kLayerMount, "making mounts private", errno);
    return;
  }
  if (!OpenSources(c, Binds::kWritable) || !BindAll(c, Binds::kWritable) || !MountTmp(c)) return;
  if (c.layers & kLayerPid) MountProc(c);
  if (!(c.layers & kLayerMount)) return;
  Pivot(c);
}

}  // namespace ward::isolate_internal
