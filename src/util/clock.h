// Clock: the one source of time in ward, injected wherever time matters.
//
// SystemClock is the real one. Tests use ManualClock, whose SleepFor advances
// virtual time instantly, so no test sleeps on the wall clock. Implementations
// are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace ward {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch.
  virtual int64_t NowMillis() = 0;
  // Monotonic time in microseconds from an arbitrary origin, for durations.
  virtual int64_t MonotonicMicros() = 0;
  // Blocks for `millis` (a real clock) or advances virtual time (a test clock).
  virtual void SleepFor(int64_t millis) = 0;
};

class SystemClock : public Clock {
 public:
  int64_t NowMillis() override;
  int64_t MonotonicMicros() override;
  void SleepFor(int64_t millis) override;
  // Process-wide instance; never destroyed.
  static Clock* Default();
};

class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_millis = 1'700'000'000'000) : now_ms_(now_millis) {}
  int64_t NowMillis() override { return now_ms_.load(); }
  int64_t MonotonicMicros() override { return now_ms_.load() * 1000; }
  void SleepFor(int64_t millis) override {
    now_ms_ += millis;
    slept_ms_ += millis;
  }
  void Advance(int64_t millis) { now_ms_ += millis; }
  int64_t slept_millis() const { return slept_ms_.load(); }

 private:
  std::atomic<int64_t> now_ms_;
  std::atomic<int64_t> slept_ms_{0};
};

// RFC 3339 UTC with milliseconds, e.g. "2026-11-24T03:15:31.123Z".
std::string FormatIso8601(int64_t millis_since_epoch);
// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z" or "+HH:MM"/"-HH:MM"
// (no zone means UTC). Returns false on anything else.
bool ParseIso8601(const std::string& text, int64_t* millis_since_epoch);

}  // namespace ward
