// CancelToken: a flag that long operations poll (model requests, guest actions,
// backoff sleeps) so Ctrl-C stops work in flight. Thread-safe and signal-safe to
// set (a lock-free atomic store).
#pragma once

#include <atomic>

namespace ward {

class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace ward
