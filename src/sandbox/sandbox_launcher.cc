// The sandboxing launcher and its guests. See sandbox.h.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "sandbox/cgroups.h"
#include "sandbox/guest_channel.h"
#include "sandbox/guest_janitor.h"
#include "sandbox/guest_protocol.h"
#include "sandbox/isolate.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_plan.h"
#include "sandbox/sched_group.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/zygote.h"
#include "util/clock.h"
#include "util/owner_thread.h"

namespace ward {
namespace {

constexpr const char* kGuestMain =
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from ward_guest.main import serve; sys.exit(serve(3))";

class SandboxLauncher;

class SandboxGuest : public Guest {
 public:
  SandboxGuest(SandboxLauncher* launcher, GuestSpec spec)
      : launcher_(launcher), spec_(std::move(spec)) {}
  ~SandboxGuest() override { Kill(false); }

  Status Start();
  Result<ActionOutcome> Execute(const std::string& code, int64_t timeout_ms,
                                const GuestCallHandler& on_call,
                                const CancelToken* cancel) override;
  Status Restart() override {
    Kill(false);
    return Start();
  }
  int pid() const override { return pid_; }

 private:
  // Kills the guest. With `describe`, reaps it here and says how it ended; else
  // the launcher's janitor reaps it in the background ("" is returned).
  std::string Kill(bool describe);

  SandboxLauncher* launcher_;
  GuestSpec spec_;
  pid_t pid_ = -1;
  GuestCgroup cgroup_;
  std::unique_ptr<GuestChannel> channel_;
  int64_t next_action_ = 0;
};

class SandboxLauncher : public GuestLauncher {
 public:
  SandboxLauncher(SandboxOptions o, uint32_t layers, std::string bpf)
      : options_(std::move(o)),
        layers_(layers),
        bpf_(std::move(bpf)),
        cgroups_(Cgroups::Detect()),
        janitor_([this] { return MakeCgroup(); },
                 [this](const GuestCgroup& g) { cgroups_.Remove(g); },
                 NeedsCgroup() ? kSpareCgroups : 0) {}

  std::string name() const override { return "sandbox"; }
  std::vector<std::string> isolation_layers() const override { return LayerNames(layers_); }
  Result<std::unique_ptr<Guest>> Launch(const GuestSpec& spec) override {
    auto guest = std::make_unique<SandboxGuest>(this, spec);
    WARD_RETURN_IF_ERROR(guest->Start());
    return std::unique_ptr<Guest>(std::move(guest));
  }

  void WaitForStopped() override { janitor_.Drain(); }

  Result<GuestCgroup> TakeCgroup() { return janitor_.Take(); }
  // Hands a killed guest (pid <= 0: already reaped) and its cgroup to the janitor.
  void Bury(pid_t pid, GuestCgroup cgroup) { janitor_.Bury(pid, std::move(cgroup)); }

  // Starts an isolated guest with `channel` as its fd 3; returns its pid (our child).
  Result<pid_t> SpawnGuest(const GuestSpec& spec, int channel) {
    IsolationPlan plan = BuildPlan(options_, layers_, spec.guest_dir, spec.workdir, nullptr, bpf_);
    if (options_.use_zygote) {
      auto zygote = GetZygote(spec);
      if (zygote) {
        auto pid = zygote->Spawn(EncodePlan(plan), channel);
        if (pid.ok() || pid.status().code() != StatusCode::kUnavailable) return pid;
        DropZygote(zygote);  // it died; the next launch starts a fresh one
      }
    }
    return SpawnPlain(spec, std::move(plan), channel);
  }

 private:
  std::shared_ptr<Zygote> GetZygote(const GuestSpec& spec) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string key = spec.python + "\n" + spec.guest_dir;
    if (zygote_ && zygote_key_ == key) return zygote_;
    ZygoteOptions zo;
    zo.python = spec.python;
    zo.guest_dir = spec.guest_dir;
    zo.library = spec.guest_dir + "/libward_isolate.so";
    zo.inside_guest_dir = (layers_ & kLayerMount) ? kInsideGuestDir : spec.guest_dir;
    zo.start_timeout_ms = spec.start_timeout_ms;
    std::error_code ec;
    if (!std::filesystem::exists(zo.library, ec)) return nullptr;  // plain start
    // On the launcher's own thread: the zygote dies with the thread that started
    // it, and the launcher is shared by threads that come and go (a server's sessions).
    Result<std::unique_ptr<Zygote>> z = Unavailable("not started");
    zygote_thread_.RunOn([&] { z = Zygote::Start(zo); });
    if (!z.ok()) return nullptr;
    zygote_ = std::shared_ptr<Zygote>(std::move(z).value());
    zygote_key_ = key;
    return zygote_;
  }

  static constexpr size_t kSpareCgroups = 4;

  uint64_t MemoryLimit() const {
    return (layers_ & kLayerCgroupMemory) ? options_.memory_bytes : 0;
  }
  uint64_t PidsLimit() const { return (layers_ & kLayerCgroupPids) ? options_.max_pids : 0; }
  bool NeedsCgroup() const { return MemoryLimit() || PidsLimit(); }
  Result<GuestCgroup> MakeCgroup() {
    if (!NeedsCgroup()) return GuestCgroup{};
    return cgroups_.Create(MemoryLimit(), PidsLimit());
  }

  void DropZygote(const std::shared_ptr<Zygote>& dead) {
    std::lock_guard<std::mutex> lock(mu_);
    if (zygote_ == dead) zygote_.reset();
  }

  Result<pid_t> SpawnPlain(const GuestSpec& spec, IsolationPlan plan, int channel) {
    bool mount = layers_ & kLayerMount;
    std::vector<std::string> args = {spec.python, "-I", "-c", kGuestMain,
                                     mount ? kInsideGuestDir : spec.guest_dir};
    std::vector<std::string> envs = GuestEnvironment(mount, spec.workdir);
    std::vector<char*> argv, env;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) env.push_back(e.data());
    env.push_back(nullptr);
    WARD_ASSIGN_OR_RETURN(PreparedPlan prepared, PreparePlan(std::move(plan)));
    SpawnOptions opt;
    opt.channel_fd = channel;
    pid_t pid = Spawn(prepared, opt);
    if (pid < 0) return ResourceExhausted(std::string("clone: ") + strerror(-pid));
    if (pid == 0) {
      execve(argv[0], argv.data(), env.data());
      _exit(127);
    }
    return pid;
  }

  SandboxOptions options_;
  uint32_t layers_;
  std::string bpf_;
  Cgroups cgroups_;
  GuestJanitor janitor_;       // after cgroups_: it removes guest cgroups before the parents go
  OwnerThread zygote_thread_;  // starts zygotes (guests from a zygote are its children too)
  std::mutex mu_;
  std::shared_ptr<Zygote> zygote_;  // guarded by mu_
  std::string zygote_key_;          // guarded by mu_
};

// Hello is sent as soon as the guest exists, so the guest finds it waiting when it
// is ready to read. The guest is then moved into its cgroups by the host while it
// is still isolating itself: a cgroup v1 migration can wait for an RCU grace
// period, which this overlaps with the guest's own work. Either way the guest is
// in its cgroups before ready is awaited, so before any model-written code runs.
Status SandboxGuest::Start() {
  WARD_ASSIGN_OR_RETURN(cgroup_, launcher_->TakeCgroup());
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    launcher_->Bury(-1, std::move(cgroup_));
    cgroup_ = {};
    return Internal(std::string("socketpair: ") + strerror(errno));
  }
  auto pid = launcher_->SpawnGuest(spec_, fds[1]);
  close(fds[1]);
  if (!pid.ok()) {
    close(fds[0]);
    launcher_->Bury(-1, std::move(cgroup_));
    cgroup_ = {};
    return pid.status();
  }
  pid_ = *pid;
  channel_ = std::make_unique<GuestChannel>(fds[0], spec_.max_message_bytes);
  Status s = SendHello(*channel_, spec_);
  if (s.ok()) s = JoinCgroup(cgroup_, pid_);
  if (s.ok()) s = AwaitReady(*channel_, spec_);
  if (s.ok()) ShareNiceWithGroup(pid_);  // it has its own session by now
  if (!s.ok()) {
    std::string exit = Kill(true);
    return Unavailable("the sandboxed Python guest did not start: " + s.message() +
                       (exit.empty() ? "" : " (" + exit + ")"));
  }
  return Status::Ok();
}

Result<ActionOutcome> SandboxGuest::Execute(const std::string& code, int64_t timeout_ms,
                                            const GuestCallHandler& on_call,
                                            const CancelToken* cancel) {
  if (pid_ <= 0) return FailedPrecondition("the guest is not running");
  ActionOutcome outcome = RunAction(*channel_, ++next_action_, code, timeout_ms, on_call, cancel);
  if (outcome.failure != GuestFailure::kNone) {
    std::string exit = Kill(true);
    if (outcome.failure == GuestFailure::kDied && !exit.empty())
      outcome.failure_detail += " (" + exit + ")";
  }
  return outcome;
}

// Killing the pid namespace's init kills every process in the namespace; the
// process group covers a host without pid namespaces.
std::string SandboxGuest::Kill(bool describe) {
  if (pid_ <= 0) return "";
  channel_.reset();
  kill(pid_, SIGKILL);
  kill(-pid_, SIGKILL);
  std::string how;
  pid_t left = pid_;
  if (describe) {
    int status = 0;
    pid_t waited;
    do waited = waitpid(pid_, &status, 0);
    while (waited < 0 && errno == EINTR);
    if (waited > 0) how = DescribeExit(status);
    left = -1;
  }
  launcher_->Bury(left, std::move(cgroup_));
  pid_ = -1;
  cgroup_ = {};
  return how;
}

}  // namespace

Result<std::unique_ptr<GuestLauncher>> NewSandboxLauncher(const SandboxOptions& options) {
  return NewSandboxLauncher(options, ProbeSandbox(options));
}

Result<std::unique_ptr<GuestLauncher>> NewSandboxLauncher(const SandboxOptions& options,
                                                          const SandboxReport& report) {
  std::string missing = report.MissingRequired(options.required);
  if (!missing.empty()) return FailedPrecondition("required sandbox layer unavailable: " + missing);
  auto bpf = BuildSeccompBpf();
  uint32_t layers = report.active_mask();
  if (!bpf.ok()) layers &= ~kLayerSeccomp;
  return std::unique_ptr<GuestLauncher>(
      new SandboxLauncher(options, layers, bpf.ok() ? *bpf : std::string()));
}

}  // namespace ward
