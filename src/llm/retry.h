// Retry policy mechanics shared by the network providers (internal to src/llm).
//
// One place decides what is retried (connection errors, timeouts, truncated
// streams, HTTP 408/409/429/5xx incl. 529), how long to wait (exponential backoff
// with full jitter, or the server's Retry-After capped at max_backoff_ms) and how
// the wait is slept (through the injected Clock, in slices, so a cancel cuts it
// short). Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "llm/provider.h"

namespace ward::llm_internal {

// The outcome of one try: a response, or a failure that may be retried.
struct Attempt {
  std::optional<ChatResponse> response;
  Status status;  // the failure when !response
  bool retryable = false;
  int64_t retry_after_ms = -1;  // the server's Retry-After, -1 when absent
};

// True for 408, 409, 429 and every 5xx (529 included).
bool IsRetryableHttpStatus(int status);

// Parses a Retry-After value: delta-seconds or an HTTP-date (relative to now_ms).
// Returns milliseconds to wait (>= 0), or -1 when the value is empty or malformed.
int64_t ParseRetryAfter(const std::string& value, int64_t now_ms);

// The wait before retry number `retry_index` (0 = first retry).
int64_t BackoffMillis(const RetryPolicy& policy, int retry_index, int64_t retry_after_ms,
                      std::mt19937_64& rng);

// Sleeps `millis` on `clock` in slices of at most 100 ms; Cancelled when `cancel` fires.
Status SleepCancellable(Clock* clock, int64_t millis, const CancelToken* cancel);

// Runs `attempt(n)` (n = 1, 2, ...) until it succeeds, fails for good, is cancelled
// or max_attempts is reached. Giving up after retries returns Unavailable
// "PROVIDER: gave up after N attempts: LAST ERROR"; a non-retryable failure is
// returned as "PROVIDER: ERROR" with its own code. Sets ChatResponse::attempts.
Result<ChatResponse> RunWithRetries(const std::string& provider, const RetryPolicy& policy,
                                    Clock* clock, std::mt19937_64& rng, const CancelToken* cancel,
                                    const std::function<Attempt(int)>& attempt);

}  // namespace ward::llm_internal
