// GuestJanitor: the sandbox launcher's background thread for the slow parts of a
// guest's life that nobody needs to wait for. It keeps a few fresh cgroups ready
// (creating one costs a few hundred microseconds, and cgroup v1 can stall), so a
// starting guest takes one instead of making it; and it takes over killed guests,
// reaping them and removing their cgroups off the session thread.
//
// Every guest handed over must already have been sent SIGKILL (it is dying): the
// janitor only waits for it. The destructor finishes all handed-over work and
// removes the spare cgroups, so nothing is left behind once it returns.
// Thread-safety: all methods are thread-safe.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "sandbox/cgroups.h"
#include "util/status.h"

namespace ward {

class GuestJanitor {
 public:
  using MakeFn = std::function<Result<GuestCgroup>()>;
  using RemoveFn = std::function<void(const GuestCgroup&)>;

  // `make` creates a fresh cgroup and `remove` removes one whose processes are
  // gone; `spares` is how many fresh cgroups to keep ready (0: none, made on demand).
  GuestJanitor(MakeFn make, RemoveFn remove, size_t spares);
  ~GuestJanitor();
  GuestJanitor(const GuestJanitor&) = delete;
  GuestJanitor& operator=(const GuestJanitor&) = delete;

  // A fresh cgroup: a spare one when there is one (another is then made in the
  // background), else made now. The error of `make` when it fails.
  Result<GuestCgroup> Take();

  // Takes over a guest that was sent SIGKILL: reaps `pid` (skipped when <= 0, i.e.
  // already reaped), then removes `cgroup`.
  void Bury(pid_t pid, GuestCgroup cgroup);

  // Blocks until every guest handed over so far is reaped and its cgroup removed.
  void Drain();

 private:
  struct Dead {
    pid_t pid;
    GuestCgroup cgroup;
  };
  void Run();
  bool Idle() const;  // requires mu_

  MakeFn make_;
  RemoveFn remove_;
  const size_t want_;
  std::mutex mu_;
  std::condition_variable wake_;    // work arrived or stop_
  std::condition_variable idle_;    // dead_ emptied
  std::deque<GuestCgroup> spares_;  // guarded by mu_
  std::vector<Dead> dead_;          // guarded by mu_
  size_t burying_ = 0;              // guarded by mu_: taken from dead_, not yet done
  bool stop_ = false;               // guarded by mu_
  bool make_failed_ = false;        // guarded by mu_: stop refilling after a failure
  std::thread thread_;
};

}  // namespace ward
