#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "llm/provider.h"
#include "llm/testing/fake_http_client.h"
#include "llm/testing/provider_fixture.h"

namespace ward {
namespace {

using nlohmann::json;
using testing::CannedResponse;
using testing::FakeHttpClient;
using ::testing::HasSubstr;

class AnthropicTest : public testing::ProviderFixture {
 protected:
  std::unique_ptr<LlmProvider> Make(const std::string& base_url = "") {
    return MakeWithEnv("anthropic:claude-test",
                       {{"ANTHROPIC_API_KEY", "ant-key"}, {"ANTHROPIC_BASE_URL", base_url}}, 3);
  }
};

std::string Event(const std::string& name, const std::string& data) {
  return "event: " + name + "\n" + "data: " + data + "\n\n";
}

std::string ToolUseStream() {
  return Event(
             "message_start",
             R"({"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":25,"output_tokens":1}}})") +
         Event("ping", R"({"type":"ping"})") +
         Event(
             "content_block_start",
             R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})") +
         Event(
             "content_block_delta",
             R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me run "}})") +
         Event("content_block_delta",
               "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
               "\"text\":\"it \xE2\x9C\x93\"}}") +
         Event("content_block_stop", R"({"type":"content_block_stop","index":0})") +
         Event(
             "content_block_start",
             R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"run_python","input":{}}})") +
         Event(
             "content_block_delta",
             R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}})") +
         Event(
             "content_block_delta",
             R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"code\": \"pri"}})") +
         Event(
             "content_block_delta",
             R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"nt(2)\"}"}})") +
         Event("content_block_stop", R"({"type":"content_block_stop","index":1})") +
         Event(
             "content_block_start",
             R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_2","name":"finish","input":{}}})") +
         Event("content_block_stop", R"({"type":"content_block_stop","index":2})") +
         Event(
             "message_delta",
             R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":40}})") +
         Event("message_stop", R"({"type":"message_stop"})");
}

TEST_F(AnthropicTest, SendsExactRequestJsonAndHeaders) {
  http_.Push(CannedResponse::Stream({ToolUseStream()}));
  ChatRequest request;
  request.max_output_tokens = 1000;
  request.messages.push_back({ChatRole::kSystem, "sys one"});
  request.messages.push_back({ChatRole::kSystem, "sys two"});
  request.messages.push_back({ChatRole::kUser, "task"});
  request.messages.push_back({ChatRole::kUser, "more"});
  ChatMessage assistant{ChatRole::kAssistant, "ok"};
  assistant.tool_calls = {{"toolu_1", "run_python", R"({"code":"x=1"})"},
                          {"toolu_2", "finish", ""}};
  request.messages.push_back(assistant);
  ChatMessage r1{ChatRole::kTool, "done"};
  r1.tool_call_id = "toolu_1";
  ChatMessage r2{ChatRole::kTool, "fine"};
  r2.tool_call_id = "toolu_2";
  request.messages.push_back(r1);
  request.messages.push_back(r2);
  request.messages.push_back({ChatRole::kUser, "next"});
  request.tools = {{"run_python", "Run code", R"({"type":"object"})"}};
  auto reply = Make("http://claude.local:9/")->Complete(request, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  const HttpRequest& sent = http_.sent()[0];
  EXPECT_EQ(sent.url, "http://claude.local:9/v1/messages");
  EXPECT_EQ(Header(sent, "x-api-key"), "ant-key");
  EXPECT_EQ(Header(sent, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(Header(sent, "Authorization"), "<absent>");
  json expected = json::parse(R"({
    "model": "claude-test",
    "max_tokens": 1000,
    "stream": true,
    "system": "sys one\n\nsys two",
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "task"}, {"type": "text", "text": "more"}]},
      {"role": "assistant", "content": [
        {"type": "text", "text": "ok"},
        {"type": "tool_use", "id": "toolu_1", "name": "run_python", "input": {"code": "x=1"}},
        {"type": "tool_use", "id": "toolu_2", "name": "finish", "input": {}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "done"},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "fine"},
        {"type": "text", "text": "next"}]}
    ],
    "tools": [{"name": "run_python", "description": "Run code", "input_schema": {"type": "object"}}]
  })");
  EXPECT_EQ(json::parse(sent.body), expected) << sent.body;
}

TEST_F(AnthropicTest, DefaultBaseUrl) {
  http_.Push(CannedResponse::Stream({ToolUseStream()}));
  ASSERT_TRUE(Make()->Complete(ChatRequest{}, nullptr).ok());
  EXPECT_EQ(http_.sent()[0].url, "https://api.anthropic.com/v1/messages");
}

TEST_F(AnthropicTest, AssemblesTextAndToolUseAtEverySplit) {
  std::string stream = ToolUseStream();
  for (size_t cut = 0; cut <= stream.size(); cut += 7) {
    http_.Push(CannedResponse::Stream({stream.substr(0, cut), stream.substr(cut)}));
    auto reply = Make()->Complete(ChatRequest{}, nullptr);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->content, "Let me run it \xE2\x9C\x93");
    EXPECT_EQ(reply->stop_reason, "tool_use");
    EXPECT_EQ(reply->usage.input_tokens, 25);
    EXPECT_EQ(reply->usage.output_tokens, 40);
    ASSERT_EQ(reply->tool_calls.size(), 2u);
    EXPECT_EQ(reply->tool_calls[0].id, "toolu_1");
    EXPECT_EQ(reply->tool_calls[0].name, "run_python");
    EXPECT_EQ(reply->tool_calls[0].arguments_json, "{\"code\": \"print(2)\"}");
    EXPECT_EQ(reply->tool_calls[1].name, "finish");
    EXPECT_EQ(reply->tool_calls[1].arguments_json, "{}");
    if (HasFailure()) break;
  }
}

TEST_F(AnthropicTest, OverloadedErrorEventIsRetried) {
  std::string overloaded =
      Event("message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":1}}})") +
      Event("error",
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  http_.Push(CannedResponse::Stream({overloaded}));
  http_.Push(CannedResponse::Stream({ToolUseStream()}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->attempts, 2);
}

TEST_F(AnthropicTest, InvalidRequestErrorEventIsNotRetried) {
  http_.Push(CannedResponse::Stream({Event(
      "error", R"({"type":"error","error":{"type":"invalid_request_error","message":"bad"}})")}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_FALSE(reply.ok());
  EXPECT_THAT(reply.status().message(), HasSubstr("anthropic"));
  EXPECT_THAT(reply.status().message(), HasSubstr("invalid_request_error"));
  EXPECT_EQ(http_.sent().size(), 1u);
}

TEST_F(AnthropicTest, StreamWithoutMessageStopIsRetried) {
  std::string full = ToolUseStream();
  std::string truncated = full.substr(0, full.find("event: message_delta"));
  http_.Push(CannedResponse::Stream({truncated}));
  http_.Push(CannedResponse::Stream({full}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->attempts, 2);
  ASSERT_EQ(reply->tool_calls.size(), 2u);
}

TEST_F(AnthropicTest, Http529IsRetried) {
  http_.Push(CannedResponse::Http(529, R"({"type":"error","error":{"type":"overloaded_error"}})"));
  http_.Push(CannedResponse::Stream({ToolUseStream()}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->attempts, 2);
}

}  // namespace
}  // namespace ward
