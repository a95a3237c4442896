#include "util/shared_poller.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace ward {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr int kIdlePollsBeforeSleep = 100;  // 1 s with nothing registered

class SharedPoller {
 public:
  static SharedPoller& Get() {
    static SharedPoller poller;
    return poller;
  }
  void Add(Polled* p) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      live_.insert(p);
      wake = sleeping_;
    }
    if (wake) wake_.notify_all();
  }
  void Remove(Polled* p) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.erase(p);
  }

 private:
  SharedPoller() : thread_([this] { Run(); }) {}
  ~SharedPoller() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
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
      for (Polled* p : live_) p->Poll();
      wake_.wait_for(lock, kPollInterval);
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::set<Polled*> live_;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  bool sleeping_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace

PollRegistration::PollRegistration(Polled* polled) : polled_(polled) {
  SharedPoller::Get().Add(polled_);
}

PollRegistration::~PollRegistration() { SharedPoller::Get().Remove(polled_); }

}  // namespace ward
