// Providers against the loopback FakeLlmServer over real HTTP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "llm/provider.h"
#include "llm/testing/fake_llm_server.h"
#include "net/http_client.h"

namespace ward {
namespace {

using nlohmann::json;
using testing::FakeLlmServer;
using testing::FakeReply;
using ::testing::HasSubstr;
using testing::RecordedRequest;

class FakeServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<LlmProvider> Make() {
    std::string provider = GetParam();
    ProviderOptions options;
    options.http = http_.get();
    options.clock = &clock_;
    options.jitter_seed = 1;
    std::string base =
        provider == "openai" ? server_.openai_base_url() : server_.anthropic_base_url();
    options.getenv = [provider, base](const std::string& name) -> std::optional<std::string> {
      if (name == "OPENAI_API_KEY" || name == "ANTHROPIC_API_KEY") return "test-key";
      if (name == "OPENAI_BASE_URL" && provider == "openai") return base;
      if (name == "ANTHROPIC_BASE_URL" && provider == "anthropic") return base;
      return std::nullopt;
    };
    auto made = MakeProvider(provider + ":fake-model", options);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return std::move(made).value();
  }
  static ChatRequest Ask(const std::string& text) {
    ChatRequest request;
    request.messages = {{ChatRole::kSystem, "sys"}, {ChatRole::kUser, text}};
    request.tools = {{"run_python", "Run code", R"({"type":"object"})"}};
    return request;
  }

  FakeLlmServer server_;
  std::unique_ptr<HttpClient> http_ = NewHttpClient();
  ManualClock clock_;
};

TEST_P(FakeServerTest, StreamsTextWithMultiByteCharacters) {
  const std::string text =
      "Gr\xC3\xBC\xC3\x9F"
      "e \xE2\x82\xAC\xF0\x9F\x98\x80 and more text\r\nline two";
  server_.Push(testing::TextReply(text));
  auto reply = Make()->Complete(Ask("hi"), nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->content, text);
  EXPECT_EQ(reply->usage.input_tokens, 11);
  EXPECT_EQ(reply->usage.output_tokens, 7);
  ASSERT_EQ(server_.requests().size(), 1u);
  const RecordedRequest req = server_.requests()[0];
  if (GetParam() == "openai") {
    EXPECT_EQ(req.path, "/v1/chat/completions");
    EXPECT_EQ(req.Header("authorization"), "Bearer test-key");
  } else {
    EXPECT_EQ(req.path, "/v1/messages");
    EXPECT_EQ(req.Header("X-Api-Key"), "test-key");
    EXPECT_EQ(req.Header("anthropic-version"), "2023-06-01");
  }
  EXPECT_EQ(json::parse(req.body)["model"], "fake-model");
}

TEST_P(FakeServerTest, StreamsToolCalls) {
  FakeReply reply = testing::ToolCallReply("run_python", R"({"code": "print('h\u00e9')\nx = 1"})",
                                           "running \xE2\x9C\x93");
  reply.tool_calls.push_back({"finish", R"({"answer": 42})", ""});
  server_.Push(reply);
  auto got = Make()->Complete(Ask("hi"), nullptr);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->content, "running \xE2\x9C\x93");
  ASSERT_EQ(got->tool_calls.size(), 2u);
  EXPECT_EQ(got->tool_calls[0].name, "run_python");
  EXPECT_EQ(got->tool_calls[0].arguments_json, R"({"code": "print('h\u00e9')\nx = 1"})");
  EXPECT_FALSE(got->tool_calls[0].id.empty());
  EXPECT_EQ(got->tool_calls[1].name, "finish");
  EXPECT_EQ(*ToolCallArgumentText(got->tool_calls[1], "answer"), "42");
  EXPECT_NE(got->tool_calls[0].id, got->tool_calls[1].id);
}

TEST_P(FakeServerTest, RateLimitedThenSuccess) {
  server_.Push(testing::HttpErrorReply(429, R"({"error":{"message":"slow down"}})", "2"));
  server_.Push(testing::TextReply("after the wait"));
  auto reply = Make()->Complete(Ask("hi"), nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->content, "after the wait");
  EXPECT_EQ(reply->attempts, 2);
  EXPECT_EQ(clock_.slept_millis(), 2000);
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_P(FakeServerTest, TruncatedStreamIsRetried) {
  FakeReply truncated = testing::TextReply("this reply is cut somewhere in the middle");
  truncated.truncate = true;
  server_.Push(truncated);
  server_.Push(testing::TextReply("complete"));
  auto reply = Make()->Complete(Ask("hi"), nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->content, "complete");
  EXPECT_EQ(reply->attempts, 2);
}

TEST_P(FakeServerTest, EmptyQueueIsHttp500AndGivesUpWithExcerpt) {
  auto reply = Make()->Complete(Ask("hi"), nullptr);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(reply.status().message(), HasSubstr(GetParam() + ": gave up after 4 attempts"));
  EXPECT_THAT(reply.status().message(), HasSubstr("HTTP 500"));
  EXPECT_THAT(reply.status().message(), HasSubstr("no scripted reply left"));
}

TEST_P(FakeServerTest, SecondReplyDependsOnTheRequest) {
  server_.Push(testing::TextReply("first"));
  server_.Push([](const RecordedRequest& request) {
    json body = json::parse(request.body);
    std::string last = body["messages"].back().dump();
    return testing::TextReply(last.find("observation 42") != std::string::npos ? "saw it"
                                                                               : "missed it");
  });
  auto provider = Make();
  ASSERT_TRUE(provider->Complete(Ask("hi"), nullptr).ok());
  auto second = provider->Complete(Ask("observation 42"), nullptr);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->content, "saw it");
  EXPECT_EQ(server_.pending_replies(), 0u);
}

TEST_P(FakeServerTest, CancelDuringHeldRequestReturnsQuickly) {
  FakeReply held = testing::TextReply("never seen");
  held.hold = true;
  server_.Push(held);
  auto provider = Make();
  CancelToken cancel;
  Result<ChatResponse> reply = Internal("not run");
  std::thread caller([&] { reply = provider->Complete(Ask("hi"), &cancel); });
  ASSERT_TRUE(server_.WaitForRequests(1));
  auto start = std::chrono::steady_clock::now();
  cancel.Cancel();
  caller.join();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  EXPECT_EQ(reply.status().code(), StatusCode::kCancelled) << reply.status().ToString();
  EXPECT_LT(took.count(), 1000);
  EXPECT_EQ(server_.requests().size(), 1u);  // not retried
}

TEST_P(FakeServerTest, HeldRequestProceedsAfterRelease) {
  FakeReply held = testing::TextReply("released");
  held.hold = true;
  server_.Push(held);
  auto provider = Make();
  Result<ChatResponse> reply = Internal("not run");
  std::thread caller([&] { reply = provider->Complete(Ask("hi"), nullptr); });
  ASSERT_TRUE(server_.WaitForRequests(1));
  server_.Release();
  caller.join();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->content, "released");
}

INSTANTIATE_TEST_SUITE_P(BothDialects, FakeServerTest, ::testing::Values("openai", "anthropic"),
                         [](const auto& info) { return info.param; });

TEST(FakeServerAnthropicTest, OverloadedStreamErrorIsRetried) {
  FakeLlmServer server;
  FakeReply overloaded;
  overloaded.stream_error_type = "overloaded_error";
  server.Push(overloaded);
  server.Push(testing::TextReply("fine now"));
  auto http = NewHttpClient();
  ManualClock clock;
  ProviderOptions options;
  options.http = http.get();
  options.clock = &clock;
  std::string base = server.anthropic_base_url();
  options.getenv = [base](const std::string& name) -> std::optional<std::string> {
    if (name == "ANTHROPIC_BASE_URL") return base;
    return "k";
  };
  auto provider = std::move(MakeProvider("anthropic:m", options)).value();
  auto reply = provider->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->content, "fine now");
  EXPECT_EQ(reply->attempts, 2);
}

}  // namespace
}  // namespace ward
