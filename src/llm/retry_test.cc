#include "llm/retry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "llm/provider.h"
#include "llm/testing/fake_http_client.h"

namespace ward {
namespace {

using llm_internal::BackoffMillis;
using llm_internal::IsRetryableHttpStatus;
using llm_internal::ParseRetryAfter;
using testing::CannedResponse;
using testing::FakeHttpClient;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kOkStream =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}"
    "\n\ndata: [DONE]\n\n";

TEST(RetryTest, RetryableStatuses) {
  for (int status : {408, 409, 429, 500, 502, 503, 504, 529}) {
    EXPECT_TRUE(IsRetryableHttpStatus(status)) << status;
  }
  for (int status : {200, 400, 401, 403, 404, 413, 422}) {
    EXPECT_FALSE(IsRetryableHttpStatus(status)) << status;
  }
}

TEST(RetryTest, ParsesRetryAfter) {
  EXPECT_EQ(ParseRetryAfter("", 0), -1);
  EXPECT_EQ(ParseRetryAfter("3", 0), 3000);
  EXPECT_EQ(ParseRetryAfter("0", 0), 0);
  EXPECT_EQ(ParseRetryAfter("soon", 0), -1);
  EXPECT_EQ(ParseRetryAfter("-1", 0), -1);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 s since the epoch.
  int64_t at = 784111777LL * 1000;
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", at - 5000), 5000);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", at + 5000), 0);  // in the past
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT trailing", at), -1);
}

TEST(RetryTest, BackoffIsFullJitterCappedAndSeedable) {
  RetryPolicy policy;
  policy.initial_backoff_ms = 100;
  policy.max_backoff_ms = 1000;
  std::mt19937_64 a(42), b(42);
  bool varied = false;
  int64_t first = -1;
  for (int retry = 0; retry < 8; ++retry) {
    int64_t ceiling = std::min<int64_t>(1000, 100LL << retry);
    for (int i = 0; i < 20; ++i) {
      int64_t wait = BackoffMillis(policy, retry, -1, a);
      EXPECT_EQ(wait, BackoffMillis(policy, retry, -1, b));  // same seed, same waits
      EXPECT_GE(wait, 0);
      EXPECT_LE(wait, ceiling);
      if (first < 0) first = wait;
      varied = varied || wait != first;
    }
  }
  EXPECT_TRUE(varied);
  EXPECT_EQ(BackoffMillis(policy, 0, 700, a), 700);    // Retry-After honoured
  EXPECT_EQ(BackoffMillis(policy, 0, 5000, a), 1000);  // ... but capped
}

TEST(RetryTest, SleepIsCancellable) {
  ManualClock clock;
  CancelToken cancel;
  EXPECT_TRUE(llm_internal::SleepCancellable(&clock, 250, &cancel).ok());
  EXPECT_EQ(clock.slept_millis(), 250);
  cancel.Cancel();
  EXPECT_EQ(llm_internal::SleepCancellable(&clock, 10'000, &cancel).code(), StatusCode::kCancelled);
  EXPECT_EQ(clock.slept_millis(), 250);
}

class ProviderRetryTest : public ::testing::Test {
 protected:
  std::unique_ptr<LlmProvider> Make(const std::string& spec = "openai:m") {
    ProviderOptions options;
    options.http = &http_;
    options.clock = &clock_;
    options.jitter_seed = 99;
    options.retry.max_attempts = 3;
    options.retry.initial_backoff_ms = 1000;
    options.retry.max_backoff_ms = 8000;
    options.getenv = [](const std::string&) -> std::optional<std::string> { return "key"; };
    return std::move(MakeProvider(spec, options)).value();
  }
  FakeHttpClient http_;
  ManualClock clock_;
};

TEST_F(ProviderRetryTest, Http429WithRetryAfterIsHonoured) {
  http_.Push(CannedResponse::Http(429, "{\"error\":\"rate limited\"}", {{"Retry-After", "3"}}));
  http_.Push(CannedResponse::Stream({kOkStream}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->content, "ok");
  EXPECT_EQ(reply->attempts, 2);
  EXPECT_EQ(clock_.slept_millis(), 3000);
}

TEST_F(ProviderRetryTest, RetryAfterHttpDateAndCap) {
  // An HTTP-date 5 s ahead of the manual clock.
  time_t at = static_cast<time_t>(clock_.NowMillis() / 1000 + 5);
  char date[64];
  std::tm tm{};
  gmtime_r(&at, &tm);
  strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  http_.Push(CannedResponse::Http(503, "busy", {{"retry-after", date}}));
  http_.Push(CannedResponse::Http(503, "busy", {{"Retry-After", "600"}}));
  http_.Push(CannedResponse::Stream({kOkStream}));
  int64_t before = clock_.slept_millis();
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->attempts, 3);
  int64_t slept = clock_.slept_millis() - before;
  EXPECT_GE(slept, 4000 + 8000);  // about 5 s (date has 1 s resolution) + the 8 s cap
  EXPECT_LE(slept, 5000 + 8000);
}

TEST_F(ProviderRetryTest, ServerErrorsAndTransportErrorsAreRetried) {
  http_.Push(CannedResponse::Http(500, "oops"));
  http_.Push(CannedResponse::Fail(Unavailable("connection reset")));
  http_.Push(CannedResponse::Stream({kOkStream}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->attempts, 3);
  EXPECT_GT(clock_.slept_millis(), 0);
  EXPECT_LE(clock_.slept_millis(), 1000 + 2000);  // jitter within the doubling ceilings
}

TEST_F(ProviderRetryTest, TimeoutsAreRetried) {
  http_.Push(CannedResponse::Fail(DeadlineExceeded("no data for 120000 ms")));
  http_.Push(CannedResponse::Stream({kOkStream}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->attempts, 2);
}

TEST_F(ProviderRetryTest, BadRequestIsNotRetried) {
  http_.Push(CannedResponse::Http(400, "{\"error\":{\"message\":\"bad model\"}}"));
  http_.Push(CannedResponse::Stream({kOkStream}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(reply.status().message(), HasSubstr("openai: HTTP 400"));
  EXPECT_THAT(reply.status().message(), HasSubstr("bad model"));
  EXPECT_EQ(http_.sent().size(), 1u);
  EXPECT_EQ(clock_.slept_millis(), 0);
}

TEST_F(ProviderRetryTest, ExhaustedAttemptsNameProviderStatusAndExcerpt) {
  std::string long_body =
      "{\"error\":\"overloaded\",\"detail\":\"" + std::string(1000, 'x') + "\"}";
  for (int i = 0; i < 3; ++i) http_.Push(CannedResponse::Http(503, long_body));
  auto reply = Make("anthropic:claude")->Complete(ChatRequest{}, nullptr);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  const std::string& message = reply.status().message();
  EXPECT_THAT(
      message,
      HasSubstr("anthropic: gave up after 3 attempts: HTTP 503: {\"error\":\"overloaded\""));
  EXPECT_THAT(message, Not(HasSubstr(std::string(400, 'x'))));
  EXPECT_LT(message.size(), 300u + 100u);
  EXPECT_EQ(http_.sent().size(), 3u);
}

TEST_F(ProviderRetryTest, CancelBeforeCallReturnsCancelled) {
  CancelToken cancel;
  cancel.Cancel();
  http_.Push(CannedResponse::Stream({kOkStream}));
  auto reply = Make()->Complete(ChatRequest{}, &cancel);
  EXPECT_EQ(reply.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(http_.sent().empty());
}

TEST_F(ProviderRetryTest, CancelledTransportIsNotRetried) {
  http_.Push(CannedResponse::Fail(Cancelled("request cancelled")));
  http_.Push(CannedResponse::Stream({kOkStream}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  EXPECT_EQ(reply.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(http_.sent().size(), 1u);
}

TEST_F(ProviderRetryTest, RequestCarriesConfiguredTimeouts) {
  http_.Push(CannedResponse::Stream({kOkStream}));
  ProviderOptions options;
  options.http = &http_;
  options.clock = &clock_;
  options.retry.request_timeout_ms = 4321;
  options.retry.connect_timeout_ms = 1234;
  options.getenv = [](const std::string&) -> std::optional<std::string> { return "key"; };
  auto provider = std::move(MakeProvider("openai:m", options)).value();
  ASSERT_TRUE(provider->Complete(ChatRequest{}, nullptr).ok());
  EXPECT_EQ(http_.sent()[0].read_timeout_ms, 4321);
  EXPECT_EQ(http_.sent()[0].connect_timeout_ms, 1234);
}

}  // namespace
}  // namespace ward
