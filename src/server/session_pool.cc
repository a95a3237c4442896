#include "server/session_pool.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <vector>

namespace ward::server {

namespace {
constexpr int kSessionNice = 10;
}  // namespace

// The session thread tells Start() how preparing went: the id, or why it failed.
struct SessionPool::Handoff {
  std::mutex mu;
  std::condition_variable ready;
  std::optional<Result<std::string>> outcome;  // guarded by mu

  void Set(Result<std::string> r) {
    std::lock_guard<std::mutex> lock(mu);
    outcome.emplace(std::move(r));
    ready.notify_all();
  }
  Result<std::string> Wait() {
    std::unique_lock<std::mutex> lock(mu);
    ready.wait(lock, [this] { return outcome.has_value(); });
    return *outcome;
  }
};

SessionPool::SessionPool(WardConfig config, Store* store, EventSink* events, Clock* clock,
                         size_t max_running)
    : config_(std::move(config)),
      store_(store),
      events_(events),
      clock_(clock),
      max_running_(max_running) {}

SessionPool::~SessionPool() {
  Shutdown();
  shared_.reset();  // after every session that used them; no Start() can run now
}

void SessionPool::ReapLocked() {
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second.done) {
      it->second.thread.join();
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t SessionPool::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [slot, r] : running_) n += r.done ? 0 : 1;
  return n;
}

const SharedSessionProcesses* SessionPool::Shared() {
  std::call_once(shared_once_, [this] {
    // On failure (no guest package) each session probes, and reports the problem.
    auto report = ProbeSessionSandbox(config_);
    if (report.ok()) probe_ = std::make_shared<const SandboxReport>(std::move(report).value());
    if (!probe_) return;
    // Started from a thread at the sessions' priority, which the launcher's own
    // thread, the zygote, the guests and the checkers inherit.
    // A check takes milliseconds; more checkers than cores would not run at once
    // (and each is a Python process), so at most one per core, 2 to 8.
    size_t checkers = std::clamp(std::thread::hardware_concurrency(), 2u, 8u);
    std::thread([this, checkers] {
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kSessionNice);
      shared_ = std::make_unique<SharedSessionProcesses>(
          StartSharedSessionProcesses(config_, *probe_, checkers));
    }).join();
  });
  return shared_.get();
}

Result<std::string> SessionPool::Start(const SessionRequest& request) {
  SessionRequest req = request;
  if (const SharedSessionProcesses* shared = Shared()) {
    if (!req.shared_launcher) req.shared_launcher = shared->launcher.get();
    if (!req.shared_validator) req.shared_validator = shared->validator.get();
  }
  if (req.sandbox != "none" && !req.sandbox_probe) req.sandbox_probe = probe_;
  auto handoff = std::make_shared<Handoff>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return Unavailable("the server is shutting down");
    ReapLocked();
    if (running_.size() >= max_running_)
      return ResourceExhausted("this server already runs " + std::to_string(max_running_) +
                               " sessions");
    uint64_t slot = ++next_slot_;
    Running& r = running_[slot];
    r.cancel = std::make_unique<CancelToken>();
    r.thread = std::thread([this, req = std::move(req), handoff, cancel = r.cancel.get(), slot] {
      PrepareAndRun(req, handoff, cancel, slot);
    });
  }
  WARD_ASSIGN_OR_RETURN(std::string id, handoff->Wait());
  WARD_RETURN_IF_ERROR(WaitUntilRecorded(id));
  return id;
}

void SessionPool::PrepareAndRun(SessionRequest request, std::shared_ptr<Handoff> handoff,
                                const CancelToken* cancel, uint64_t slot) {
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kSessionNice);
  {
    auto prepared = PrepareSession(config_, request, store_, events_, clock_);
    if (prepared.ok()) {
      handoff->Set((*prepared)->id());
      (void)(*prepared)->Run(cancel);  // the outcome is in the store and the events
    } else {
      handoff->Set(prepared.status());
    }
  }  // the session's guest and checker end here
  std::lock_guard<std::mutex> lock(mu_);
  running_[slot].done = true;
}

Status SessionPool::WaitUntilRecorded(const std::string& id) {
  // The session thread creates the record first thing; callers may act on the id
  // (cancel, stream) as soon as Start() returns.
  for (int i = 0; i < 2000; ++i) {
    auto s = store_->GetSession(id);
    if (s.ok()) return Status::Ok();
    if (s.status().code() != StatusCode::kNotFound) return s.status();
    clock_->SleepFor(5);
  }
  return DeadlineExceeded("session " + id + " was not recorded within 10 s");
}

void SessionPool::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
    for (auto& [slot, r] : running_) r.cancel->Cancel();
  }
  // Threads take mu_ to mark themselves done, so join without holding it.
  std::vector<std::thread*> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [slot, r] : running_) threads.push_back(&r.thread);
  }
  for (std::thread* t : threads)
    if (t->joinable()) t->join();
  std::lock_guard<std::mutex> lock(mu_);
  running_.clear();
  std::call_once(shared_once_, [] {});  // no later Start() starts the shared processes
}

}  // namespace ward::server
