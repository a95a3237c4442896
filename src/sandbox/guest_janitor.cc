#include "sandbox/guest_janitor.h"

#include <errno.h>
#include <sys/wait.h>

namespace ward {

GuestJanitor::GuestJanitor(MakeFn make, RemoveFn remove, size_t spares)
    : make_(std::move(make)),
      remove_(std::move(remove)),
      want_(spares),
      thread_([this] { Run(); }) {}

GuestJanitor::~GuestJanitor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();  // Run() buries everything handed over before it returns
  for (const auto& g : spares_) remove_(g);
}

Result<GuestCgroup> GuestJanitor::Take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!spares_.empty()) {
      GuestCgroup g = std::move(spares_.front());
      spares_.pop_front();
      wake_.notify_one();
      return g;
    }
  }
  auto made = make_();
  if (made.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    make_failed_ = false;
  }
  return made;
}

void GuestJanitor::Bury(pid_t pid, GuestCgroup cgroup) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead_.push_back({pid, std::move(cgroup)});
  }
  wake_.notify_one();
}

void GuestJanitor::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return Idle(); });
}

bool GuestJanitor::Idle() const { return dead_.empty() && burying_ == 0; }

void GuestJanitor::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (!dead_.empty()) {
      std::vector<Dead> batch;
      batch.swap(dead_);
      burying_ = batch.size();
      lock.unlock();
      for (const Dead& d : batch) {
        int status;
        if (d.pid > 0)
          while (waitpid(d.pid, &status, 0) < 0 && errno == EINTR) {
          }
        remove_(d.cgroup);
      }
      lock.lock();
      burying_ = 0;
      if (Idle()) idle_.notify_all();
      continue;
    }
    if (stop_) return;
    if (spares_.size() < want_ && !make_failed_) {
      lock.unlock();
      auto made = make_();
      lock.lock();
      if (made.ok())
        spares_.push_back(std::move(made).value());
      else
        make_failed_ = true;  // Take() reports the error; it retries on its own
      continue;
    }
    wake_.wait(lock);
  }
}

}  // namespace ward
