#include "util/shared_poller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "util/cancel.h"

namespace ward {
namespace {

// Fires `out` once `in` is cancelled, as a request's cancel watcher does.
class Relay final : public Polled {
 public:
  Relay(const CancelToken* in, CancelToken* out) : in_(in), out_(out) {}
  void Poll() override {
    polls_.fetch_add(1);
    if (in_->cancelled()) out_->Cancel();
  }
  int polls() const { return polls_.load(); }

 private:
  const CancelToken* in_;
  CancelToken* out_;
  std::atomic<int> polls_{0};
};

bool WaitFor(const CancelToken& token) {
  for (int i = 0; i < 500 && !token.cancelled(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return token.cancelled();
}

TEST(SharedPollerTest, EveryRegisteredObjectIsPolled) {
  CancelToken a_in, a_out, b_in, b_out;
  Relay a(&a_in, &a_out), b(&b_in, &b_out);
  PollRegistration ra(&a), rb(&b);
  b_in.Cancel();
  EXPECT_TRUE(WaitFor(b_out));
  EXPECT_FALSE(a_out.cancelled());
  a_in.Cancel();
  EXPECT_TRUE(WaitFor(a_out));
}

TEST(SharedPollerTest, NothingIsPolledOnceItsRegistrationIsGone) {
  CancelToken in, out;
  Relay r(&in, &out);
  { PollRegistration reg(&r); }
  int polls = r.polls();
  in.Cancel();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(r.polls(), polls);
  EXPECT_FALSE(out.cancelled());
}

TEST(SharedPollerTest, ManyWatchersShareOneThreadAndComeAndGo) {
  CancelToken in;
  in.Cancel();
  for (int i = 0; i < 200; ++i) {
    CancelToken out;
    Relay r(&in, &out);
    PollRegistration reg(&r);
    ASSERT_TRUE(WaitFor(out)) << i;
  }
}

}  // namespace
}  // namespace ward
