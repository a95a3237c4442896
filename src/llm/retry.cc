#include "llm/retry.h"

#include <algorithm>
#include <ctime>

namespace ward::llm_internal {
namespace {

constexpr int64_t kSleepSliceMs = 100;

bool IsCancelled(const CancelToken* cancel) { return cancel != nullptr && cancel->cancelled(); }

}  // namespace

bool IsRetryableHttpStatus(int status) {
  return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

int64_t ParseRetryAfter(const std::string& value, int64_t now_ms) {
  if (value.empty()) return -1;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return -1;
    return std::stoll(value) * 1000;
  }
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return -1;
  int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return std::max<int64_t>(0, at_ms - now_ms);
}

int64_t BackoffMillis(const RetryPolicy& policy, int retry_index, int64_t retry_after_ms,
                      std::mt19937_64& rng) {
  int64_t cap = std::max<int64_t>(0, policy.max_backoff_ms);
  if (retry_after_ms >= 0) return std::min(retry_after_ms, cap);
  int64_t ceiling = std::max<int64_t>(0, policy.initial_backoff_ms);
  for (int i = 0; i < retry_index && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  std::uniform_int_distribution<int64_t> jitter(0, ceiling);
  return jitter(rng);
}

Status SleepCancellable(Clock* clock, int64_t millis, const CancelToken* cancel) {
  while (millis > 0) {
    if (IsCancelled(cancel)) return Cancelled("cancelled while waiting to retry");
    int64_t slice = std::min(millis, kSleepSliceMs);
    clock->SleepFor(slice);
    millis -= slice;
  }
  if (IsCancelled(cancel)) return Cancelled("cancelled while waiting to retry");
  return Status::Ok();
}

Result<ChatResponse> RunWithRetries(const std::string& provider, const RetryPolicy& policy,
                                    Clock* clock, std::mt19937_64& rng, const CancelToken* cancel,
                                    const std::function<Attempt(int)>& attempt) {
  int max_attempts = std::max(1, policy.max_attempts);
  for (int n = 1;; ++n) {
    if (IsCancelled(cancel)) return Cancelled(provider + ": request cancelled");
    Attempt result = attempt(n);
    if (result.response) {
      result.response->attempts = n;
      return std::move(*result.response);
    }
    const Status& failure = result.status;
    if (failure.code() == StatusCode::kCancelled) return failure.WithContext(provider);
    if (!result.retryable) return failure.WithContext(provider);
    if (n >= max_attempts) {
      return Unavailable(provider + ": gave up after " + std::to_string(n) +
                         (n == 1 ? " attempt: " : " attempts: ") + failure.message());
    }
    int64_t wait = BackoffMillis(policy, n - 1, result.retry_after_ms, rng);
    Status slept = SleepCancellable(clock, wait, cancel);
    if (!slept.ok()) return slept.WithContext(provider);
  }
}

}  // namespace ward::llm_internal
