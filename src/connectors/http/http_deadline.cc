#include "connectors/http/http_deadline.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace ward {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr int kIdlePollsBeforeSleep = 100;  // 1 s without a live deadline

std::string Seconds(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

// Polls every live deadline; waits without polling while there is none.
class DeadlineWatcher {
 public:
  static DeadlineWatcher& Get() {
    static DeadlineWatcher watcher;
    return watcher;
  }
  void Add(HttpCallDeadline* d) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      live_.insert(d);
      wake = sleeping_;
    }
    if (wake) wake_.notify_all();
  }
  // Once it returns, `d` is never polled again.
  void Remove(HttpCallDeadline* d) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.erase(d);
  }

 private:
  DeadlineWatcher() : thread_([this] { Run(); }) {}
  ~DeadlineWatcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  // Polls every kPollInterval while deadlines are live (and for a while after,
  // so back-to-back calls need no wake-up), then sleeps until one is added.
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    int idle_polls = 0;
    while (!stop_) {
      if (live_.empty() && idle_polls >= kIdlePollsBeforeSleep) {
        sleeping_ = true;
        wake_.wait(lock, [this] { return stop_ || !live_.empty(); });
        sleeping_ = false;
        idle_polls = 0;
        continue;
      }
      idle_polls = live_.empty() ? idle_polls + 1 : 0;
      for (HttpCallDeadline* d : live_) d->Poll();
      wake_.wait_for(lock, kPollInterval);
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::set<HttpCallDeadline*> live_;  // guarded by mu_
  bool stop_ = false;                 // guarded by mu_
  bool sleeping_ = false;             // guarded by mu_
  std::thread thread_;
};

HttpCallDeadline::HttpCallDeadline(Clock* clock, int64_t budget_ms,
                                   const CancelToken* session_cancel)
    : clock_(clock),
      budget_ms_(std::max<int64_t>(1, budget_ms)),
      deadline_us_(clock->MonotonicMicros() + budget_ms_ * 1000),
      session_cancel_(session_cancel) {
  Poll();  // already cancelled: no exchange starts
  DeadlineWatcher::Get().Add(this);
}

HttpCallDeadline::~HttpCallDeadline() { DeadlineWatcher::Get().Remove(this); }

void HttpCallDeadline::Poll() {
  if (SessionCancelled() || Expired()) token_.Cancel();
}

bool HttpCallDeadline::SessionCancelled() const {
  return session_cancel_ != nullptr && session_cancel_->cancelled();
}

bool HttpCallDeadline::Expired() const { return clock_->MonotonicMicros() >= deadline_us_; }

int64_t HttpCallDeadline::RemainingMs() const {
  return std::max<int64_t>(0, (deadline_us_ - clock_->MonotonicMicros()) / 1000);
}

int64_t HttpCallDeadline::Cap(int64_t limit_ms) const {
  return std::max<int64_t>(1, std::min(limit_ms, RemainingMs()));
}

Status HttpCallDeadline::Check() const {
  if (SessionCancelled() || Expired()) return Explain(Cancelled("not sent"));
  return Status::Ok();
}

Status HttpCallDeadline::Explain(const Status& failed) const {
  if (SessionCancelled())
    return Cancelled("the session was cancelled while the call waited for the API");
  if (Expired())
    return DeadlineExceeded("the call took longer than its " + Seconds(budget_ms_) +
                            " with the API (call_timeout_seconds) and was cut off");
  return failed;
}

}  // namespace ward
