// HttpCallDeadline: how long one guest call may spend with its API, and the
// session's cancel, folded into the one CancelToken every exchange of the call
// is sent with.
//
// A call's exchanges — an OAuth token fetch, the pre-image GET, the request, a
// 401's token refresh and its resend, the post-image GET — all run under one
// budget (the connector's call_timeout_seconds), measured by the injected Clock
// from when the deadline is made. The process-wide poller (util/shared_poller.h)
// checks every live deadline's Clock and session token every 10 ms (of real
// time) and cancels its token() once the
// budget is spent or the session is cancelled; HttpClient then stops a send at
// once, also while it waits for a silent server. Explain() says which of the
// two stopped an exchange. Internal to src/connectors/http.
//
// Thread-safety: every method may be called from any thread. The Clock and the
// session's token must outlive the deadline.
#pragma once

#include <cstdint>

#include "util/cancel.h"
#include "util/clock.h"
#include "util/shared_poller.h"
#include "util/status.h"

namespace ward {

class HttpCallDeadline final : public Polled {
 public:
  // Starts the budget of `budget_ms` (at least 1) now; `session_cancel` may be null.
  HttpCallDeadline(Clock* clock, int64_t budget_ms, const CancelToken* session_cancel);
  HttpCallDeadline(const HttpCallDeadline&) = delete;
  HttpCallDeadline& operator=(const HttpCallDeadline&) = delete;

  // Cancelled once the budget is spent or the session cancelled.
  const CancelToken* token() const { return &token_; }
  // What is left of the budget, in ms (0 once spent).
  int64_t RemainingMs() const;
  // `limit_ms` capped at what is left (at least 1 ms): a timeout for one exchange.
  int64_t Cap(int64_t limit_ms) const;
  // OK while budget is left and the session goes on; otherwise what Explain says.
  Status Check() const;
  // A failed exchange's status as what stopped it: Cancelled ("the session was
  // cancelled …") when the session was, DeadlineExceeded naming
  // call_timeout_seconds when the budget is spent, otherwise `failed` itself.
  Status Explain(const Status& failed) const;

 private:
  // Cancels token() once the budget is spent or the session cancelled.
  void Poll() override;
  bool SessionCancelled() const;
  bool Expired() const;

  Clock* const clock_;
  const int64_t budget_ms_;
  const int64_t deadline_us_;  // by clock_->MonotonicMicros()
  const CancelToken* const session_cancel_;
  CancelToken token_;
  PollRegistration polled_{this};  // last: dropped first, before what Poll reads
};

}  // namespace ward
