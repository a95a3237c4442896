// The isolation steps themselves, on a host that cannot have a user namespace: a
// root ward's guest then drops to the unprivileged guest id after setup, with no
// capability left, and its /proc still masked.
#include "sandbox/isolate.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "sandbox/layers.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_plan.h"
#include "sandbox/workspace.h"

namespace ward {
namespace {

// In the isolated child: what it is, written to the channel (fd 3) without allocating.
[[noreturn]] void ReportSelf() {
  char buf[4096];
  int n = snprintf(buf, sizeof buf, "uid=%d euid=%d gid=%d\n", getuid(), geteuid(), getgid());
  int fd = open("/proc/self/status", O_RDONLY);
  if (fd >= 0) {
    ssize_t r = read(fd, buf + n, sizeof buf - n - 64);
    if (r > 0) n += static_cast<int>(r);
    close(fd);
  }
  int sys = open("/proc/sys/vm/swappiness", O_WRONLY);
  n += snprintf(buf + n, sizeof buf - n, "proc-sys-writable=%d\n", sys >= 0);
  if (write(kGuestChannelFd, buf, static_cast<size_t>(n)) < 0) _exit(2);
  _exit(0);
}

std::string Field(const std::string& report, const std::string& name) {
  size_t at = report.find("\n" + name + ":");
  if (at == std::string::npos) return "?";
  size_t start = report.find_first_not_of(" \t", at + name.size() + 2);
  return report.substr(start, report.find('\n', start) - start);
}

TEST(IsolateTest, WithoutAUserNamespaceARootWardsGuestDropsToTheGuestId) {
  if (geteuid() != 0) GTEST_SKIP() << "the drop is what a root ward's guest does";
  uint32_t layers = kLayerMount | kLayerPid | kLayerNonRoot | kLayerProc | kLayerCapabilities |
                    kLayerNoNewPrivs;  // no kLayerUser: this host "cannot have one"
  IsolationPlan plan = BuildPlan(SandboxOptions(), layers, "", "", nullptr, "");
  ASSERT_TRUE(plan.drop_to_outer);
  auto prepared = PreparePlan(std::move(plan));
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  EXPECT_EQ(prepared->clone_flags & CLONE_NEWUSER, 0u);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  SpawnOptions opt;
  opt.channel_fd = fds[1];
  pid_t pid = Spawn(*prepared, opt);
  if (pid == 0) ReportSelf();
  close(fds[1]);
  ASSERT_GT(pid, 0);
  std::string report;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << report;
  std::string ids = "uid=" + std::to_string(kGuestHostId) +
                    " euid=" + std::to_string(kGuestHostId) +
                    " gid=" + std::to_string(kGuestHostId);
  EXPECT_EQ(report.rfind(ids, 0), 0u) << report;
  EXPECT_EQ(Field(report, "CapEff"), "0000000000000000") << report;
  EXPECT_EQ(Field(report, "CapPrm"), "0000000000000000") << report;
  EXPECT_EQ(Field(report, "CapBnd"), "0000000000000000") << report;
  EXPECT_EQ(Field(report, "NoNewPrivs"), "1") << report;
  EXPECT_NE(report.find("proc-sys-writable=0"), std::string::npos) << report;
}

}  // namespace
}  // namespace ward
