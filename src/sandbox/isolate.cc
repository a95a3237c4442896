#include "sandbox/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "sandbox/isolate_child.h"

namespace ward {
namespace isolate_internal {

void Append(char* buf, size_t cap, const char* s) {
  size_t n = strlen(buf);
  while (*s && n + 1 < cap) buf[n++] = *s++;
  buf[n] = '\0';
}

void AppendInt(char* buf, size_t cap, long v) {
  char digits[24];
  int i = 0;
  bool neg = v < 0;
  unsigned long u = neg ? -static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
  do digits[i++] = static_cast<char>('0' + u % 10);
  while ((u /= 10) && i < 22);
  if (neg) digits[i++] = '-';
  char out[24];
  for (int j = 0; j < i; ++j) out[j] = digits[i - 1 - j];
  out[i] = '\0';
  Append(buf, cap, out);
}

bool WriteFile(const char* path, const char* data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
  if (fd < 0) return false;
  bool ok = write(fd, data, len) == static_cast<ssize_t>(len);
  int err = errno;
  close(fd);
  errno = err;
  return ok;
}

namespace {

void WriteAll(int fd, const char* s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w <= 0 && errno != EINTR) return;
    if (w > 0) s += w, n -= static_cast<size_t>(w);
  }
}

// {"t":"fatal","message":"sandbox: <layer>: <what>: <error>"}, JSON-escaped.
void SendFatal(int fd, const char* layer, const char* what, int err) {
  char msg[768] = "sandbox layer '";
  Append(msg, sizeof msg, layer);
  Append(msg, sizeof msg, "' failed: ");
  Append(msg, sizeof msg, what);
  Append(msg, sizeof msg, ": ");
  const char* desc = strerrordesc_np(err);
  Append(msg, sizeof msg, desc ? desc : "unknown error");
  char line[1024] = "{\"t\":\"fatal\",\"message\":\"";
  size_t n = strlen(line);
  for (const char* s = msg; *s && n + 4 < sizeof line; ++s) {
    if (*s == '"' || *s == '\\') line[n++] = '\\';
    line[n++] = static_cast<unsigned char>(*s) < 0x20 ? ' ' : *s;
  }
  line[n] = '\0';
  Append(line, sizeof line, "\"}\n");
  WriteAll(fd, line);
}

}  // namespace

bool Child::Fail(Layer layer, const char* what, int err) {
  if (!probing()) {
    SendFatal(opt.channel_fd, LayerName(layer), what, err);
    _exit(125);
  }
  if (!(layers & layer)) return false;  // already reported
  layers &= ~static_cast<uint32_t>(layer);
  char line[512] = "";
  Append(line, sizeof line, LayerName(layer));
  Append(line, sizeof line, "\t");
  Append(line, sizeof line, what);
  Append(line, sizeof line, ": ");
  const char* desc = strerrordesc_np(err);
  Append(line, sizeof line, desc ? desc : "unknown error");
  Append(line, sizeof line, "\n");
  WriteAll(opt.report_fd, line);
  return false;
}

namespace {

void JoinCgroups(Child& c) {
  for (const auto& procs : c.p->plan.cgroup_procs) {
    Layer layer = procs.find("/pids") != std::string::npos ? kLayerCgroupPids : kLayerCgroupMemory;
    int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) c.Fail(layer, "joining the cgroup", errno);
    if (fd >= 0) close(fd);
  }
  if ((c.layers & kLayerCgroupNs) && unshare(CLONE_NEWCGROUP) != 0)
    c.Fail(kLayerCgroupNs, "unshare(CLONE_NEWCGROUP)", errno);
}

void LoopbackUp(Child& c) {
  if (!(c.layers & kLayerNet) || c.opt.network_ready) return;
  const char* what = nullptr;
  int err = BringLoopbackUp(&what);
  if (err != 0) c.Fail(kLayerNet, what, err);
}

void SetLimits(Child& c) {
  if (!(c.layers & kLayerRlimits)) return;
  for (const auto& l : c.p->plan.rlimits) {
    struct rlimit r = {l.value, l.value};
    if (setrlimit(l.resource, &r) != 0) return (void)c.Fail(kLayerRlimits, "setrlimit", errno);
  }
}

void ArrangeFds(Child& c) {
  if (c.probing()) return;
  int ch = c.opt.channel_fd;
  if (ch != kGuestChannelFd) {
    if (dup2(ch, kGuestChannelFd) < 0) c.Fail(kLayerMount, "placing the channel", errno);
  } else if (fcntl(ch, F_SETFD, 0) != 0) {
    c.Fail(kLayerMount, "placing the channel", errno);
  }
  int null = open("/dev/null", O_RDWR);
  if (null < 0) c.Fail(kLayerMount, "/dev/null", errno);
  for (int fd = 0; fd < 3; ++fd)
    if (dup2(null, fd) < 0) c.Fail(kLayerMount, "stdio", errno);
  if (syscall(SYS_close_range, kGuestChannelFd + 1, ~0U, 0) != 0) {
    for (int fd = kGuestChannelFd + 1; fd < 65536; ++fd) close(fd);
  }
}

// Locks the securebits (uid 0 gets no capabilities from exec; with `setuid_fixup`
// a later change away from uid 0 still clears them), empties the bounding and
// ambient sets. Needs CAP_SETPCAP.
bool LockCapabilities(Child& c, bool setuid_fixup) {
  unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                       SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (!setuid_fixup) bits |= SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED;
  if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0)
    return c.Fail(kLayerCapabilities, "securebits", errno);
  for (int cap = 0; cap < 64; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return c.Fail(kLayerCapabilities, "dropping the bounding set", errno);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return c.Fail(kLayerCapabilities, "clearing ambient capabilities", errno);
  return true;
}

void DropCapabilities(Child& c) {
  if (!(c.layers & kLayerCapabilities)) return;
  if (!c.caps_locked && !LockCapabilities(c, false)) return;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capset, &hdr, data) != 0)
    return (void)c.Fail(kLayerCapabilities, "capset", errno);
}

// Writes the child's own uid and gid maps (after setgroups is denied).
bool WriteMaps(Child& c, Layer layer) {
  const PreparedPlan& p = *c.p;
  if (!WriteFile("/proc/self/setgroups", "deny", 4) && errno != ENOENT)
    return c.Fail(layer, "setgroups", errno);
  if (!WriteFile("/proc/self/uid_map", p.uid_map.data(), p.uid_map.size()))
    return c.Fail(layer, "uid_map", errno);
  if (!WriteFile("/proc/self/gid_map", p.gid_map.data(), p.gid_map.size()))
    return c.Fail(layer, "gid_map", errno);
  return true;
}

// As root (the plan's drop_to_outer), once the root is built: becomes the plan's
// unprivileged host ids and, with the user layer, enters a new user namespace in
// which they are uid and gid 0 (mapping its own ids needs no privilege in the
// parent). Raw system calls: glibc's set*id would signal threads the child does
// not have. Without the user layer the capability sets are locked first, while
// CAP_SETPCAP is still held; the uid change then clears them.
void BecomeOuterIds(Child& c) {
  const IsolationPlan& plan = c.p->plan;
  if (!plan.drop_to_outer) return;
  bool userns = c.layers & kLayerUser;
  if (!userns && (c.layers & kLayerCapabilities)) c.caps_locked = LockCapabilities(c, true);
  if (syscall(SYS_setgroups, 0, nullptr) != 0)
    return (void)c.Fail(kLayerNonRoot, "setgroups", errno);
  if (syscall(SYS_setresgid, plan.outer_gid, plan.outer_gid, plan.outer_gid) != 0)
    return (void)c.Fail(kLayerNonRoot, "setresgid", errno);
  if (syscall(SYS_setresuid, plan.outer_uid, plan.outer_uid, plan.outer_uid) != 0)
    return (void)c.Fail(kLayerNonRoot, "setresuid", errno);
  if (!userns) return;
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);  // so that its /proc/self/*_map are its own
  if (unshare(CLONE_NEWUSER) != 0)
    c.Fail(kLayerUser, "unshare(CLONE_NEWUSER)", errno);
  else
    WriteMaps(c, kLayerUser);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // no ptrace by other processes of that uid
}

// The nonroot layer holds when the guest's host ids are not 0: ward's own (not
// root) or those BecomeOuterIds switched to.
void CheckNonRoot(Child& c) {
  if (!(c.layers & kLayerNonRoot)) return;
  const IsolationPlan& plan = c.p->plan;
  if (plan.outer_uid == 0 || plan.outer_gid == 0)
    return (void)c.Fail(kLayerNonRoot, "the plan maps the guest to the host's root", EPERM);
  if (!plan.drop_to_outer && geteuid() == 0 && !(c.p->clone_flags & CLONE_NEWUSER))
    c.Fail(kLayerNonRoot, "the guest would stay root", EPERM);
}

void RestrictSyscalls(Child& c) {
  if ((c.layers & kLayerNoNewPrivs) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    c.Fail(kLayerNoNewPrivs, "prctl", errno);
  if (!(c.layers & kLayerSeccomp)) return;
  if (!(c.layers & kLayerNoNewPrivs)) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &c.p->prog) != 0)
    c.Fail(kLayerSeccomp, "installing the filter", errno);
}

// The user namespace made by the clone (ward is not root): map it first.
void MapUser(Child& c) {
  if ((c.layers & kLayerUser) && (c.p->clone_flags & CLONE_NEWUSER)) WriteMaps(c, kLayerUser);
}

void Isolate(Child& c) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  CheckNonRoot(c);
  MapUser(c);
  JoinCgroups(c);
  if (c.opt.root_template)
    BuildRootFromTemplate(c);
  else
    BuildRoot(c);
  if ((c.layers & kLayerProc) && !(c.layers & kLayerMount))
    c.Fail(kLayerProc, "the host's /proc stays visible without the mount layer", ENOTSUP);
  LoopbackUp(c);
  if ((c.layers & kLayerUts) && sethostname(c.p->plan.hostname.data(), c.p->plan.hostname.size()))
    c.Fail(kLayerUts, "sethostname", errno);
  setsid();
  if (chdir(c.p->plan.workdir.c_str()) != 0) c.Fail(kLayerMount, "chdir to the workdir", errno);
  BecomeOuterIds(c);
  SetLimits(c);
  ArrangeFds(c);
  DropCapabilities(c);
  RestrictSyscalls(c);
}

[[noreturn]] void FinishProbe(Child& c) {
  for (Layer l : AllLayers()) {
    if (!(c.layers & l)) continue;
    char line[64] = "";
    Append(line, sizeof line, LayerName(l));
    Append(line, sizeof line, "\tok\n");
    WriteAll(c.opt.report_fd, line);
  }
  _exit(0);
}

}  // namespace
}  // namespace isolate_internal

IsolationPlan TemplatePart(const IsolationPlan& plan) {
  IsolationPlan t;
  t.layers = plan.layers;
  t.dirs = plan.dirs;
  for (const auto& b : plan.binds) {
    if (!b.writable) {
      t.binds.push_back(b);
      continue;
    }
    for (size_t slash = b.target.find('/');; slash = b.target.find('/', slash + 1)) {
      std::string dir = b.target.substr(0, slash);  // each parent, then the target
      if (std::find(t.dirs.begin(), t.dirs.end(), dir) == t.dirs.end()) t.dirs.push_back(dir);
      if (slash == std::string::npos) break;
    }
  }
  t.symlinks = plan.symlinks;
  t.files = plan.files;
  t.devices = plan.devices;
  t.workdir.clear();
  t.tmp_bytes = 0;
  t.hostname.clear();
  return t;
}

Status BuildRootTemplate(PreparedPlan& prepared) {
  static bool own_namespace = false, broken = false, built = false;
  if (broken) return Internal("the root template is unavailable");
  if (!own_namespace) {
    // Both must hold before anything is mounted: a mount in a namespace that is
    // not private would propagate to the host.
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr)) {
      broken = true;
      return Internal(std::string("a private mount namespace: ") + strerror(errno));
    }
    own_namespace = true;
  }
  std::string stage = std::string(kTemplateStageDir) + "/";
  for (const auto& b : prepared.plan.binds)
    if ((b.source + "/").rfind(stage, 0) == 0) return Internal("a bind source is under the stage");
  if (prepared.stage != kTemplateStageDir) return Internal("not prepared for the template stage");
  if (built && umount2(kTemplateStageDir, MNT_DETACH) != 0)
    return Internal(std::string("removing the old template: ") + strerror(errno));
  built = false;
  int sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (sink < 0) return Internal(std::string("/dev/null: ") + strerror(errno));
  SpawnOptions probe;
  probe.report_fd = sink;  // a failing step is reported, not fatal
  isolate_internal::Child c{&prepared, probe, kLayerMount};
  bool ok = isolate_internal::BuildTemplate(c);
  close(sink);
  if (!ok || !(c.layers & kLayerMount)) {
    for (int& fd : prepared.bind_fds)
      if (fd >= 0) close(fd), fd = -1;
    umount2(kTemplateStageDir, MNT_DETACH);
    return Internal("building the root template failed");
  }
  built = true;
  return Status::Ok();
}

int BringLoopbackUp(const char** what) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return *what = "socket", errno;
  struct ifreq ifr = {};
  memcpy(ifr.ifr_name, "lo", 3);
  int err = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    *what = "reading loopback flags", err = errno;
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) *what = "bringing loopback up", err = errno;
  }
  close(s);
  return err;
}

Result<PreparedPlan> PreparePlan(IsolationPlan plan, const char* stage) {
  PreparedPlan p;
  p.stage = stage;
  if (plan.seccomp_bpf.size() % sizeof(struct sock_filter) != 0)
    return InvalidArgument("seccomp program is not a whole number of instructions");
  const uint32_t l = plan.layers;
  unsigned long f = 0;
  if ((l & kLayerUser) && !plan.drop_to_outer) f |= CLONE_NEWUSER;
  if (l & kLayerMount) f |= CLONE_NEWNS;
  if (l & kLayerPid) f |= CLONE_NEWPID;
  if (l & kLayerNet) f |= CLONE_NEWNET;
  if (l & kLayerIpc) f |= CLONE_NEWIPC;
  if (l & kLayerUts) f |= CLONE_NEWUTS;
  p.clone_flags = f;
  p.uid_map = "0 " + std::to_string(plan.outer_uid) + " 1\n";
  p.gid_map = "0 " + std::to_string(plan.outer_gid) + " 1\n";
  p.tmp_data = "size=" + std::to_string(plan.tmp_bytes) + ",mode=1777";
  auto staged = [&](const std::string& rel) { return p.stage + "/" + rel; };
  for (const auto& d : plan.dirs) p.dir_paths.push_back(staged(d));
  for (const auto& b : plan.binds) p.bind_targets.push_back(staged(b.target));
  for (const auto& s : plan.symlinks) p.symlink_paths.push_back(staged(s.second));
  for (const auto& fl : plan.files) p.file_paths.push_back(staged(fl.first));
  for (const auto& d : plan.devices) {
    p.device_sources.push_back("/dev/" + d);
    p.device_targets.push_back(staged("dev/" + d));
  }
  p.bind_fds.assign(plan.binds.size(), -1);
  p.bind_links.resize(plan.binds.size());
  p.plan = std::move(plan);
  p.prog.len = static_cast<unsigned short>(p.plan.seccomp_bpf.size() / sizeof(struct sock_filter));
  p.prog.filter = reinterpret_cast<struct sock_filter*>(p.plan.seccomp_bpf.data());
  return p;
}

pid_t Spawn(PreparedPlan& prepared, const SpawnOptions& options) {
  unsigned long flags = prepared.clone_flags | SIGCHLD;
  if (options.clone_parent) flags |= CLONE_PARENT;
  if (options.network_ready) flags &= ~static_cast<unsigned long>(CLONE_NEWNET);
  // A raw clone (glibc's fork() cannot take namespace flags): the child keeps its
  // parent's cached thread id in libc, which only matters to libc's own recursive
  // mutexes, where the stale value is used consistently.
  long pid = syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) return -errno;
  if (pid > 0) return static_cast<pid_t>(pid);
  isolate_internal::Child c{&prepared, options, prepared.plan.layers};
  isolate_internal::Isolate(c);
  if (c.probing()) isolate_internal::FinishProbe(c);
  return 0;
}

}  // namespace ward
