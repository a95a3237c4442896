// OwnerThread: one long-lived thread that runs the functions handed to it, one at
// a time, each RunOn() blocking until its function has run. For work whose result
// belongs to the thread that did it and must live as long as this object, not as
// long as the caller: a child process started with PR_SET_PDEATHSIG dies when the
// *thread* that started it exits, so a process shared by many short-lived threads
// is started here.
//
// The thread starts in the constructor (inheriting the constructing thread's
// scheduling priority) and is joined by the destructor. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ward {

class OwnerThread {
 public:
  OwnerThread();
  ~OwnerThread();
  OwnerThread(const OwnerThread&) = delete;
  OwnerThread& operator=(const OwnerThread&) = delete;

  // Runs `fn` on the owner thread and returns when it has returned. Must not be
  // called from `fn` itself.
  void RunOn(const std::function<void()>& fn);

 private:
  struct Task;
  void Loop();

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Task*> queue_;  // guarded by mu_
  bool stop_ = false;        // guarded by mu_
  std::thread thread_;       // last: it starts once the rest exists
};

}  // namespace ward
