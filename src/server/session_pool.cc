#include "server/session_pool.h"

#include <vector>

namespace ward::server {

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
  std::string id = prepared->id();
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return Unavailable("the server is shutting down");
  Running& r = running_[id];
  r.cancel = std::make_unique<CancelToken>();
  CancelToken* cancel = r.cancel.get();
  std::shared_ptr<PreparedSession> session(std::move(prepared));
  r.thread = std::thread([this, session, cancel, id] {
    (void)session->Run(cancel);  // the outcome is in the store and the events
    std::lock_guard<std::mutex> done_lock(mu_);
    running_[id].done = true;
  });
  return id;
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
