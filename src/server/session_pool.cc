#include "server/session_pool.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

namespace ward::server {

namespace {
constexpr int kSessionNice = 10;
}  // namespace

SessionPool::~SessionPool() { Shutdown(); }

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
  for (const auto& [id, r] : running_) n += r.done ? 0 : 1;
  return n;
}

Result<std::string> SessionPool::Start(const SessionRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return Unavailable("the server is shutting down");
    ReapLocked();
    if (running_.size() >= max_running_)
      return ResourceExhausted("this server already runs " + std::to_string(max_running_) +
                               " sessions");
  }
  WARD_ASSIGN_OR_RETURN(std::unique_ptr<PreparedSession> prepared,
                        PrepareSession(config_, request, store_, events_, clock_));
  WARD_ASSIGN_OR_RETURN(std::string started, Launch(std::move(prepared)));
  WARD_RETURN_IF_ERROR(WaitUntilRecorded(started));
  return started;
}

Result<std::string> SessionPool::Launch(std::unique_ptr<PreparedSession> prepared) {
  std::string id = prepared->id();
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return Unavailable("the server is shutting down");
  Running& r = running_[id];
  r.cancel = std::make_unique<CancelToken>();
  CancelToken* cancel = r.cancel.get();
  std::shared_ptr<PreparedSession> session(std::move(prepared));
  r.thread = std::thread([this, session, cancel, id] {
    // Sessions (and the guests they fork, which inherit it) run at a lower CPU
    // priority than the threads answering requests, so the API stays responsive
    // while many sessions compute.
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kSessionNice);
    (void)session->Run(cancel);  // the outcome is in the store and the events
    std::lock_guard<std::mutex> done_lock(mu_);
    running_[id].done = true;
  });
  return id;
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
    for (auto& [id, r] : running_) r.cancel->Cancel();
  }
  // Threads take mu_ to mark themselves done, so join without holding it.
  std::vector<std::thread*> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, r] : running_) threads.push_back(&r.thread);
  }
  for (std::thread* t : threads)
    if (t->joinable()) t->join();
  std::lock_guard<std::mutex> lock(mu_);
  running_.clear();
}

}  // namespace ward::server
