#include "gate/checker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "sandbox/guest_protocol.h"
#include "util/clock.h"

namespace ward {
namespace {

constexpr int kChannelFd = 3;

// argv and envp, built before fork so the child only makes async-signal-safe calls.
struct ExecArgs {
  std::vector<std::string> argv_store, env_store;
  std::vector<char*> argv, env;
};

ExecArgs MakeArgs(const std::string& python, const std::string& guest_dir) {
  ExecArgs a;
  a.argv_store = {python, "-I", "-c",
                  "import sys; sys.path.insert(0, sys.argv[1]); "
                  "from ward_guest.checker import serve; sys.exit(serve(3))",
                  guest_dir};
  a.env_store = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"};
  for (auto& s : a.argv_store) a.argv.push_back(s.data());
  a.argv.push_back(nullptr);
  for (auto& s : a.env_store) a.env.push_back(s.data());
  a.env.push_back(nullptr);
  return a;
}

[[noreturn]] void ExecChild(const ExecArgs& args, int channel) {
  setsid();
  if (dup2(channel, kChannelFd) < 0) _exit(126);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull < 0) _exit(126);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  if (syscall(SYS_close_range, kChannelFd + 1, ~0U, 0) != 0) {
    for (int fd = kChannelFd + 1; fd < 65536; ++fd) close(fd);
  }
  if (chdir("/") != 0) _exit(126);
  execve(args.argv[0], args.argv.data(), args.env.data());
  _exit(127);
}

int64_t DeadlineUs(int64_t timeout_ms) {
  return SystemClock::Default()->MonotonicMicros() + timeout_ms * 1000;
}

}  // namespace

Status CheckerProcess::Start(int64_t timeout_ms) {
  Kill();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return Internal(std::string("socketpair: ") + strerror(errno));
  ExecArgs args = MakeArgs(python_, guest_dir_);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Unavailable(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) ExecChild(args, fds[1]);
  close(fds[1]);
  pid_ = pid;
  channel_ = std::make_unique<GuestChannel>(fds[0], max_reply_);
  auto ready = channel_->Receive(DeadlineUs(timeout_ms), nullptr);
  if (!ready.ok() || ready->find("\"ready\":true") == std::string::npos) {
    std::string why = ready.ok() ? "it sent no ready line" : ready.status().message();
    std::string exit = Kill();
    return Unavailable("the code checker (" + python_ + ") did not start: " + why +
                       (exit.empty() ? "" : " (" + exit + ")"));
  }
  return Status::Ok();
}

Result<std::string> CheckerProcess::Ask(const std::string& line, int64_t timeout_ms) {
  if (!running()) return Unavailable("the code checker is not running");
  WARD_RETURN_IF_ERROR(channel_->Send(line));
  return channel_->Receive(DeadlineUs(timeout_ms), nullptr);
}

std::string CheckerProcess::Kill() {
  if (pid_ <= 0) return "";
  channel_.reset();
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  pid_t waited;
  do {
    waited = waitpid(pid_, &status, 0);
  } while (waited < 0 && errno == EINTR);
  pid_ = -1;
  return waited > 0 ? DescribeExit(status) : "";
}

}  // namespace ward
