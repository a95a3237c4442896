#include "gate/checker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "sandbox/child_exec.h"
#include "sandbox/guest_protocol.h"
#include "util/clock.h"

namespace ward {
namespace {

int64_t DeadlineUs(int64_t timeout_ms) {
  return SystemClock::Default()->MonotonicMicros() + timeout_ms * 1000;
}

}  // namespace

Status CheckerProcess::Start(int64_t timeout_ms) {
  Kill();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return Internal(std::string("socketpair: ") + strerror(errno));
  ChildExec args = PythonServeExec(python_, guest_dir_, "ward_guest.checker", "/");
  args.new_session = false;  // trusted; it shares its parent's scheduling group and nice value
  auto pid = SpawnChildWithChannel(args, fds[1]);
  close(fds[1]);
  if (!pid.ok()) {
    close(fds[0]);
    return Unavailable("the code checker (" + python_ +
                       ") did not start: " + pid.status().message());
  }
  pid_ = *pid;
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
