#include "sandbox/zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "sandbox/background_cpu.h"
#include "sandbox/sched_hint.h"

namespace ward {
namespace {

constexpr const char* kBootstrap =
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from ward_guest import zygote; sys.exit(zygote.run(3, sys.argv[2], sys.argv[3]))";

[[noreturn]] void ExecZygote(const std::vector<char*>& argv, const std::vector<char*>& env,
                             int control, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != parent) _exit(126);
  if (dup2(control, 3) < 0) _exit(126);
  int null = open("/dev/null", O_RDWR);
  if (null < 0) _exit(126);
  for (int fd = 0; fd < 3; ++fd) dup2(null, fd);
  if (syscall(SYS_close_range, 4, ~0U, 0) != 0)
    for (int fd = 4; fd < 65536; ++fd) close(fd);
  if (chdir("/") != 0) _exit(126);
  SetTimeSlice(0, kShortSliceNs);  // the zygote and, until ready, its guests
  execve(argv[0], argv.data(), env.data());
  _exit(127);
}

struct ZygoteExec {
  const std::vector<char*>* argv;
  const std::vector<char*>* env;
  int control;
  pid_t parent;
  sigset_t mask;  // the parent thread's signal mask, restored before exec
};

// The child of a CLONE_VM|CLONE_VFORK clone: it runs in the parent's memory (on its
// own stack) until execve, so it only makes system calls. Signals stay blocked
// until no handler of the parent's can run here.
int ZygoteChild(void* arg) {
  auto* z = static_cast<ZygoteExec*>(arg);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction cur {};
    if (sigaction(sig, nullptr, &cur) == 0 && cur.sa_handler != SIG_IGN &&
        cur.sa_handler != SIG_DFL)
      sigaction(sig, &dfl, nullptr);
  }
  sigprocmask(SIG_SETMASK, &z->mask, nullptr);
  ExecZygote(*z->argv, *z->env, z->control, z->parent);
}

}  // namespace

Result<std::unique_ptr<Zygote>> Zygote::Start(const ZygoteOptions& o) {
  std::vector<std::string> args = {
      o.python, "-I", "-c", kBootstrap, o.guest_dir, o.library, o.inside_guest_dir};
  std::vector<std::string> envs = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                   "LC_ALL=C.UTF-8", "HOME=/workspace", "TMPDIR=/tmp"};
  std::vector<char*> argv, env;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envs) env.push_back(e.data());
  env.push_back(nullptr);
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return Internal(std::string("socketpair: ") + strerror(errno));
  // Not fork(): copying a large, many-threaded host's page tables holds its
  // address-space lock and stalls every other thread meanwhile.
  ZygoteExec exec{&argv, &env, fds[1], getpid(), {}};
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &exec.mask);
  std::vector<char> stack(64 * 1024);  // the child's until it execs (CLONE_VFORK waits)
  pid_t pid =
      clone(ZygoteChild, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &exec);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &exec.mask, nullptr);
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return ResourceExhausted(std::string("clone: ") + strerror(clone_errno));
  }
  close(fds[1]);
  (void)BackgroundCpu::Shared().Join(pid);  // its guests inherit the group; best effort
  std::unique_ptr<Zygote> z(new Zygote(pid, fds[0]));
  auto ready = z->Receive(o.start_timeout_ms);
  if (!ready.ok() || *ready != "ready")
    return Unavailable("the guest zygote (" + o.python + ") did not start" +
                       (ready.ok() ? "" : ": " + ready.status().message()));
  return z;
}

Zygote::~Zygote() {
  close(control_);
  kill(pid_, SIGKILL);
  int status;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

Result<std::string> Zygote::Receive(int64_t timeout_ms) {
  struct pollfd p = {control_, POLLIN, 0};
  int rc;
  do rc = poll(&p, 1, static_cast<int>(timeout_ms));
  while (rc < 0 && errno == EINTR);
  if (rc == 0) return DeadlineExceeded("no answer from the zygote");
  char buf[1024];
  ssize_t n = recv(control_, buf, sizeof buf, 0);
  if (n <= 0) return Unavailable("the zygote is gone");
  return std::string(buf, static_cast<size_t>(n));
}

Result<pid_t> Zygote::Spawn(const std::string& blob, int channel_fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) return Unavailable("the zygote is gone");
  struct iovec iov = {const_cast<char*>(blob.data()), blob.size()};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &channel_fd, sizeof(int));
  ssize_t sent;
  do sent = sendmsg(control_, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  auto reply = sent == static_cast<ssize_t>(blob.size())
                   ? Receive(10'000)
                   : Result<std::string>(Unavailable("the zygote is gone"));
  if (!reply.ok()) {
    broken_ = true;
    return reply.status();
  }
  if (reply->rfind("pid ", 0) == 0) return static_cast<pid_t>(atoi(reply->c_str() + 4));
  return Internal("the zygote could not spawn a guest: " + reply->substr(reply->find(' ') + 1));
}

}  // namespace ward
