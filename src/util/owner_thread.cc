#include "util/owner_thread.h"

namespace ward {

struct OwnerThread::Task {
  const std::function<void()>* fn;
  bool done = false;  // guarded by the owner's mu_
};

OwnerThread::OwnerThread() : thread_([this] { Loop(); }) {}

OwnerThread::~OwnerThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    changed_.notify_all();
  }
  thread_.join();
}

void OwnerThread::RunOn(const std::function<void()>& fn) {
  Task task{&fn};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&task);
  changed_.notify_all();
  changed_.wait(lock, [&] { return task.done; });
}

void OwnerThread::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing is waiting
    Task* task = queue_.front();
    queue_.pop_front();
    lock.unlock();
    (*task->fn)();
    lock.lock();
    task->done = true;
    changed_.notify_all();
  }
}

}  // namespace ward
