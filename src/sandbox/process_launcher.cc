// The plain-process launcher: a Python child with a minimal environment, no
// inherited descriptors but the channel, in its own process group. See guest.h.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sandbox/child_exec.h"
#include "sandbox/guest.h"
#include "sandbox/guest_channel.h"
#include "sandbox/guest_protocol.h"
#include "util/clock.h"

namespace ward {
namespace {

class ProcessGuest : public Guest {
 public:
  explicit ProcessGuest(GuestSpec spec) : spec_(std::move(spec)) {}
  ~ProcessGuest() override { Kill(); }

  Status Start() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      return Internal(std::string("socketpair: ") + strerror(errno));
    ChildExec plan = PythonServeExec(spec_.python, spec_.guest_dir, "ward_guest.main",
                                     spec_.workdir, {"HOME=" + spec_.workdir, "TMPDIR=/tmp"});
    auto pid = SpawnChildWithChannel(plan, fds[1]);
    close(fds[1]);
    if (!pid.ok()) {
      close(fds[0]);
      return Unavailable("the Python guest (" + spec_.python +
                         ") did not start: " + pid.status().message());
    }
    pid_ = *pid;
    channel_ = std::make_unique<GuestChannel>(fds[0], spec_.max_message_bytes);
    Status s = Handshake(*channel_, spec_);
    if (!s.ok()) {
      std::string exit = Kill();
      return Unavailable("the Python guest (" + spec_.python + ") did not start: " + s.message() +
                         (exit.empty() ? "" : " (" + exit + ")"));
    }
    return Status::Ok();
  }

  Result<ActionOutcome> Execute(const std::string& code, int64_t timeout_ms,
                                const GuestCallHandler& on_call,
                                const CancelToken* cancel) override {
    if (pid_ <= 0) return FailedPrecondition("the guest is not running");
    ActionOutcome outcome = RunAction(*channel_, ++next_action_, code, timeout_ms, on_call, cancel);
    if (outcome.failure != GuestFailure::kNone) {
      std::string exit = Kill();
      if (outcome.failure == GuestFailure::kDied && !exit.empty())
        outcome.failure_detail += " (" + exit + ")";
    }
    return outcome;
  }

  Status Restart() override {
    Kill();
    return Start();
  }

  int pid() const override { return pid_; }

 private:
  // Kills the whole process group and reaps it; returns how the process ended.
  std::string Kill() {
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
    return DescribeExit(status);
  }

  GuestSpec spec_;
  pid_t pid_ = -1;
  std::unique_ptr<GuestChannel> channel_;
  int64_t next_action_ = 0;
};

class ProcessLauncher : public GuestLauncher {
 public:
  std::string name() const override { return "process"; }
  std::vector<std::string> isolation_layers() const override { return {}; }
  Result<std::unique_ptr<Guest>> Launch(const GuestSpec& spec) override {
    auto guest = std::make_unique<ProcessGuest>(spec);
    WARD_RETURN_IF_ERROR(guest->Start());
    return std::unique_ptr<Guest>(std::move(guest));
  }
};

}  // namespace

std::unique_ptr<GuestLauncher> NewProcessLauncher() { return std::make_unique<ProcessLauncher>(); }

Result<std::string> FindGuestDir() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* env = getenv("WARD_GUEST_DIR"); env && *env) candidates.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "guest");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "ward" / "guest");
  }
  std::string looked;
  for (const auto& c : candidates) {
    if (fs::exists(c / "ward_guest" / "main.py", ec)) return c.string();
    looked += (looked.empty() ? "" : ", ") + c.string();
  }
  return NotFound("the ward_guest package was not found (looked in: " + looked + ")");
}

}  // namespace ward
