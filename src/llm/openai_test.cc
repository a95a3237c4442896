#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "llm/provider.h"
#include "llm/testing/fake_http_client.h"
#include "llm/testing/provider_fixture.h"
#include "util/hash.h"

namespace ward {
namespace {

using nlohmann::json;
using testing::CannedResponse;
using testing::FakeHttpClient;
using ::testing::HasSubstr;

class OpenAiTest : public testing::ProviderFixture {
 protected:
  std::unique_ptr<LlmProvider> Make(const std::string& base_url = "") {
    return MakeWithEnv("openai:gpt-test",
                       {{"OPENAI_API_KEY", "sk-test"}, {"OPENAI_BASE_URL", base_url}}, 7);
  }
};

constexpr const char* kTextStream =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello \xE2\x82\xAC\"}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" "
    "world\"},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}\n\n"
    "data: [DONE]\n\n";

ChatRequest FullRequest() {
  ChatRequest request;
  request.messages.push_back({ChatRole::kSystem, "be brief"});
  request.messages.push_back({ChatRole::kUser, "task"});
  ChatMessage assistant{ChatRole::kAssistant, "thinking"};
  assistant.tool_calls = {{"call_9", "run_python", R"j({"code":"print(1)"})j"}};
  request.messages.push_back(assistant);
  ChatMessage tool{ChatRole::kTool, "1\n"};
  tool.tool_call_id = "call_9";
  tool.tool_name = "run_python";
  request.messages.push_back(tool);
  ChatMessage silent{ChatRole::kAssistant, ""};
  silent.tool_calls = {{"call_10", "finish", ""}};
  request.messages.push_back(silent);
  request.tools = {
      {"run_python", "Run code", R"({"type":"object","properties":{"code":{"type":"string"}}})"}};
  return request;
}

TEST_F(OpenAiTest, SendsExactRequestJsonAndHeaders) {
  http_.Push(CannedResponse::Stream({kTextStream}));
  auto provider = Make("http://llm.local:8000/v1/");
  auto reply = provider->Complete(FullRequest(), nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(http_.sent().size(), 1u);
  const HttpRequest& sent = http_.sent()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "http://llm.local:8000/v1/chat/completions");
  EXPECT_EQ(Header(sent, "Authorization"), "Bearer sk-test");
  EXPECT_EQ(Header(sent, "Accept"), "text/event-stream");
  json expected = json::parse(R"({
    "model": "gpt-test",
    "stream": true,
    "stream_options": {"include_usage": true},
    "messages": [
      {"role": "system", "content": "be brief"},
      {"role": "user", "content": "task"},
      {"role": "assistant", "content": "thinking", "tool_calls": [
        {"id": "call_9", "type": "function",
         "function": {"name": "run_python", "arguments": "{\"code\":\"print(1)\"}"}}]},
      {"role": "tool", "tool_call_id": "call_9", "content": "1\n"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_10", "type": "function", "function": {"name": "finish", "arguments": "{}"}}]}
    ],
    "tools": [{"type": "function", "function": {"name": "run_python", "description": "Run code",
      "parameters": {"type": "object", "properties": {"code": {"type": "string"}}}}}]
  })");
  EXPECT_EQ(json::parse(sent.body), expected) << sent.body;
}

TEST_F(OpenAiTest, DefaultBaseUrlAndNoToolsKey) {
  http_.Push(CannedResponse::Stream({kTextStream}));
  auto provider = Make();
  ChatRequest request;
  request.messages = {{ChatRole::kUser, "hi"}};
  ASSERT_TRUE(provider->Complete(request, nullptr).ok());
  EXPECT_EQ(http_.sent()[0].url, "https://api.openai.com/v1/chat/completions");
  EXPECT_FALSE(json::parse(http_.sent()[0].body).contains("tools"));
}

TEST_F(OpenAiTest, ParsesTextUsageAndHashes) {
  std::string stream = kTextStream;
  // Deliver the stream cut at every byte position: same result each time.
  for (size_t cut = 0; cut <= stream.size(); cut += 1) {
    http_.Push(CannedResponse::Stream({stream.substr(0, cut), stream.substr(cut)}));
    auto provider = Make();
    auto reply = provider->Complete(ChatRequest{}, nullptr);
    ASSERT_TRUE(reply.ok()) << "cut " << cut << ": " << reply.status().ToString();
    EXPECT_EQ(reply->content, "Hello \xE2\x82\xAC world");
    EXPECT_EQ(reply->stop_reason, "stop");
    EXPECT_EQ(reply->usage.input_tokens, 12);
    EXPECT_EQ(reply->usage.output_tokens, 3);
    EXPECT_EQ(reply->attempts, 1);
    EXPECT_EQ(reply->response_sha256, Sha256Hex(stream));
    EXPECT_EQ(reply->request_sha256, Sha256Hex(http_.sent().back().body));
    if (::testing::Test::HasFailure()) break;
  }
}

TEST_F(OpenAiTest, AssemblesStreamedToolCallsByIndex) {
  std::string stream =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,"
      "\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":"
      "{\"name\":\"run_python\",\"arguments\":\"\"}}]}}]}\r\n\r\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
      "{\"arguments\":\"{\\\"co\"}}]}}]}\r\n\r\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\","
      "\"type\":\"function\",\"function\":{\"name\":\"finish\",\"arguments\":\"\"}}]}}]}\r\n\r\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
      "{\"arguments\":\"de\\\": \\\"print('\xC3\xA9')\\\"}\"}}]}}]}\r\n\r\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\r\n\r\n"
      "data: [DONE]\r\n\r\n";
  http_.Push(CannedResponse::Stream({stream}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->content, "");
  EXPECT_EQ(reply->stop_reason, "tool_calls");
  ASSERT_EQ(reply->tool_calls.size(), 2u);
  EXPECT_EQ(reply->tool_calls[0].id, "call_a");
  EXPECT_EQ(reply->tool_calls[0].name, "run_python");
  EXPECT_EQ(reply->tool_calls[0].arguments_json, "{\"code\": \"print('\xC3\xA9')\"}");
  EXPECT_EQ(reply->tool_calls[1].id, "call_b");
  EXPECT_EQ(reply->tool_calls[1].name, "finish");
  EXPECT_EQ(reply->tool_calls[1].arguments_json, "{}");  // empty arguments become {}
}

TEST_F(OpenAiTest, TruncatedStreamIsRetriedThenSucceeds) {
  std::string full = kTextStream;
  std::string truncated = full.substr(0, full.find("finish_reason\":\"stop"));
  http_.Push(CannedResponse::Stream({truncated}));
  http_.Push(CannedResponse::Stream({full}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->attempts, 2);
  EXPECT_EQ(reply->content, "Hello \xE2\x82\xAC world");
}

TEST_F(OpenAiTest, AlwaysTruncatedGivesUpUnavailable) {
  std::string full = kTextStream;
  std::string truncated = full.substr(0, full.find("finish_reason\":\"stop"));
  for (int i = 0; i < 4; ++i) http_.Push(CannedResponse::Stream({truncated}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(reply.status().message(), HasSubstr("openai: gave up after 4 attempts"));
  EXPECT_THAT(reply.status().message(), HasSubstr("stream ended"));
  EXPECT_EQ(http_.sent().size(), 4u);
}

TEST_F(OpenAiTest, InvalidUtf8ReplyIsRejected) {
  std::string stream =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bad \xC3(\"},"
      "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
  http_.Push(CannedResponse::Stream({stream}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(reply.status().message(), HasSubstr("not valid UTF-8"));
}

TEST_F(OpenAiTest, MalformedEventJsonIsInvalidArgument) {
  http_.Push(CannedResponse::Stream({"data: {not json\n\n"}));
  auto reply = Make()->Complete(ChatRequest{}, nullptr);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(http_.sent().size(), 1u);
}

TEST_F(OpenAiTest, BadToolSchemaIsRejectedBeforeSending) {
  ChatRequest request;
  request.tools = {{"t", "d", "not json"}};
  auto reply = Make()->Complete(request, nullptr);
  EXPECT_EQ(reply.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(http_.sent().empty());
}

}  // namespace
}  // namespace ward
