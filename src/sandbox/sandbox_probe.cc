// ProbeSandbox: isolates a probe process exactly as a guest would be and records
// which layers held. See sandbox.h.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <sstream>

#include "sandbox/cgroups.h"
#include "sandbox/guest_protocol.h"
#include "sandbox/isolate.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_plan.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/workspace.h"

namespace ward {
namespace {

constexpr std::pair<Layer, unsigned long> kNamespaces[] = {
    {kLayerMount, CLONE_NEWNS}, {kLayerPid, CLONE_NEWPID}, {kLayerNet, CLONE_NEWNET},
    {kLayerIpc, CLONE_NEWIPC},  {kLayerUts, CLONE_NEWUTS}, {kLayerCgroupNs, CLONE_NEWCGROUP}};

// 0 when a child can be cloned with `flags`, else the errno.
int TryClone(unsigned long flags) {
  long pid = syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) return errno;
  if (pid == 0) _exit(0);
  int status;
  while (waitpid(static_cast<pid_t>(pid), &status, 0) < 0 && errno == EINTR) {
  }
  return 0;
}

// Drops the namespaces this host refuses outright, saying why. As root the other
// namespaces are made without a user namespace (the guest enters one last).
void CheckNamespaces(uint32_t& layers, std::map<Layer, std::string>& why) {
  unsigned long user = (layers & kLayerUser) ? CLONE_NEWUSER : 0;
  if (user) {
    if (int err = TryClone(CLONE_NEWUSER)) {
      layers &= ~kLayerUser;
      why[kLayerUser] = std::string("clone(CLONE_NEWUSER): ") + strerror(err) +
                        (geteuid() == 0 ? " (the guest drops to an unprivileged uid instead)" : "");
      user = 0;
    }
  }
  if (geteuid() == 0) user = 0;
  for (auto [layer, flag] : kNamespaces) {
    if (int err = TryClone(flag | user)) {
      layers &= ~layer;
      why[layer] = std::string("the kernel refused the namespace: ") + strerror(err) +
                   (user             ? ""
                    : geteuid() == 0 ? ""
                                     : " (no user namespace to create it in)");
    }
  }
}

// Runs the probe child and reads its report.
void RunProbe(PreparedPlan& prepared, uint32_t& layers, std::map<Layer, std::string>& why) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return;
  SpawnOptions opt;
  opt.report_fd = pipefd[1];
  pid_t pid = Spawn(prepared, opt);
  close(pipefd[1]);
  std::string report;
  char buf[4096];
  ssize_t n;
  while (pid > 0 && ((n = read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) report.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status = 0;
  if (pid > 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  uint32_t held = 0;
  std::istringstream lines(report);
  std::string line;
  while (std::getline(lines, line)) {
    size_t tab = line.find('\t');
    auto layer = ParseLayerName(line.substr(0, tab));
    if (!layer.ok() || tab == std::string::npos) continue;
    if (line.substr(tab + 1) == "ok")
      held |= *layer;
    else
      why[*layer] = line.substr(tab + 1);
  }
  for (Layer l : AllLayers()) {
    if ((layers & l) && !(held & l) && !why.count(l))
      why[l] = pid < 0 ? std::string("clone: ") + strerror(-pid)
                       : "the probe did not report it (" + DescribeExit(status) + ")";
  }
  layers = held;
}

// What an active layer means on this host, where it depends on who ward is.
std::string ActiveDetail(Layer l, GuestOwner ids, bool userns) {
  std::string host = "host uid " + std::to_string(ids.uid) + ", gid " + std::to_string(ids.gid);
  bool root = geteuid() == 0;
  if (l == kLayerUser)
    return "the guest's uid and gid 0 are " + host +
           (root ? " (entered after the guest is isolated: ward runs as root)"
                 : " (ward's own user)");
  if (l == kLayerNonRoot)
    return "the guest runs as " + host +
           (userns ? " through its user namespace"
                   : " (uid and gid dropped after setup: no user namespace)");
  if (l == kLayerProc)
    return "/proc/sys, sysrq-trigger, irq, bus, fs read-only; kcore, keys, timer_list, "
           "sched_debug and the like masked; no /sys";
  return "";
}

}  // namespace

SandboxReport ProbeSandbox(const SandboxOptions& options) {
  std::map<Layer, std::string> why;
  uint32_t layers = 0;
  for (Layer l : AllLayers()) layers |= l;
  Cgroups cgroups = Cgroups::Detect();
  if (!cgroups.memory())
    layers &= ~kLayerCgroupMemory, why[kLayerCgroupMemory] = cgroups.memory_detail();
  if (!cgroups.pids()) layers &= ~kLayerCgroupPids, why[kLayerCgroupPids] = cgroups.pids_detail();
  auto bpf = BuildSeccompBpf();
  if (!bpf.ok()) layers &= ~kLayerSeccomp, why[kLayerSeccomp] = bpf.status().message();
  CheckNamespaces(layers, why);

  auto cg = cgroups.Create((layers & kLayerCgroupMemory) ? options.memory_bytes : 0,
                           (layers & kLayerCgroupPids) ? options.max_pids : 0);
  if (!cg.ok()) {
    layers &= ~(kLayerCgroupMemory | kLayerCgroupPids);
    why[kLayerCgroupMemory] = why[kLayerCgroupPids] = cg.status().message();
  }
  IsolationPlan plan = BuildPlan(options, layers, options.guest_dir, "", cg.ok() ? &*cg : nullptr,
                                 bpf.ok() ? *bpf : "");
  GuestOwner plan_ids{plan.outer_uid, plan.outer_gid};
  auto prepared = PreparePlan(std::move(plan));
  if (prepared.ok())
    RunProbe(*prepared, layers, why);
  else
    layers = 0;
  if (cg.ok()) cgroups.Remove(*cg);

  SandboxReport report;
  for (Layer l : AllLayers()) {
    LayerStatus s{l, (layers & l) != 0, ""};
    if (!s.active)
      s.detail = why.count(l) ? why[l] : "unavailable";
    else if (l == kLayerCgroupMemory)
      s.detail = cgroups.memory_detail();
    else if (l == kLayerCgroupPids)
      s.detail = cgroups.pids_detail();
    else
      s.detail = ActiveDetail(l, plan_ids, (layers & kLayerUser) != 0);
    report.layers.push_back(s);
  }
  return report;
}

}  // namespace ward
