// SharedPoller: one process-wide thread that watches flags nothing can wake a
// waiter on — a CancelToken, a deadline on an injected Clock — for every live
// watcher at once, instead of a thread per watcher.
//
// While any Polled object is registered, the thread calls each one's Poll()
// every 10 ms of real time (and keeps polling for 1 s after the last one leaves,
// so back-to-back calls need no wake-up); otherwise it sleeps. It starts on
// first use. Poll() runs on that thread with the registry locked: it must be
// quick, must not block, and must not register or unregister anything.
//
// Thread-safety: registrations may be made and dropped from any thread; once a
// PollRegistration is destroyed, its object is never polled again.
#pragma once

namespace ward {

class Polled {
 public:
  virtual void Poll() = 0;

 protected:
  ~Polled() = default;
};

// Registers `polled` for as long as it lives.
class PollRegistration {
 public:
  explicit PollRegistration(Polled* polled);
  ~PollRegistration();
  PollRegistration(const PollRegistration&) = delete;
  PollRegistration& operator=(const PollRegistration&) = delete;

 private:
  Polled* const polled_;
};

}  // namespace ward
