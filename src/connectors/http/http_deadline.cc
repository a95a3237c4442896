#include "connectors/http/http_deadline.h"

#include <algorithm>
#include <string>

namespace ward {
namespace {

std::string Seconds(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

HttpCallDeadline::HttpCallDeadline(Clock* clock, int64_t budget_ms,
                                   const CancelToken* session_cancel)
    : clock_(clock),
      budget_ms_(std::max<int64_t>(1, budget_ms)),
      deadline_us_(clock->MonotonicMicros() + budget_ms_ * 1000),
      session_cancel_(session_cancel) {
  Poll();  // already cancelled: no exchange starts
}

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
