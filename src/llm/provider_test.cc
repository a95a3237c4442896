#include "llm/provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "llm/testing/fake_http_client.h"

namespace ward {
namespace {

using testing::CannedResponse;
using testing::FakeHttpClient;
using ::testing::HasSubstr;
using ::testing::Not;

ProviderOptions OptionsWithEnv(std::map<std::string, std::string> env) {
  ProviderOptions options;
  options.getenv = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return options;
}

TEST(MakeProviderTest, KnownProviders) {
  EXPECT_THAT(KnownProviders(), ::testing::ElementsAre("openai", "anthropic", "scripted"));
}

TEST(MakeProviderTest, UnknownProviderListsKnownOnes) {
  auto made = MakeProvider("gemini:pro", OptionsWithEnv({}));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(made.status().message(), HasSubstr("gemini"));
  EXPECT_THAT(made.status().message(), HasSubstr("openai, anthropic, scripted"));
}

TEST(MakeProviderTest, SpecWithoutColonOrModelIsRejected) {
  for (const char* spec : {"openai", "openai:", "scripted:", ""}) {
    auto made = MakeProvider(spec, OptionsWithEnv({{"OPENAI_API_KEY", "k"}}));
    ASSERT_FALSE(made.ok()) << spec;
    EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument) << spec;
  }
}

TEST(MakeProviderTest, MissingKeyNamesTheVariable) {
  auto openai = MakeProvider("openai:gpt-4o", OptionsWithEnv({{"ANTHROPIC_API_KEY", "sk-ant"}}));
  ASSERT_FALSE(openai.ok());
  EXPECT_EQ(openai.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(openai.status().message(), HasSubstr("OPENAI_API_KEY"));
  EXPECT_THAT(openai.status().message(), Not(HasSubstr("sk-ant")));
  auto anthropic = MakeProvider("anthropic:claude", OptionsWithEnv({{"ANTHROPIC_API_KEY", ""}}));
  ASSERT_FALSE(anthropic.ok());
  EXPECT_THAT(anthropic.status().message(), HasSubstr("ANTHROPIC_API_KEY"));
}

TEST(MakeProviderTest, BuildsNetworkProviders) {
  FakeHttpClient http;
  ProviderOptions options = OptionsWithEnv({{"OPENAI_API_KEY", "k1"}, {"ANTHROPIC_API_KEY", "k2"}});
  options.http = &http;
  auto openai = MakeProvider("openai:gpt-4o-mini", options);
  ASSERT_TRUE(openai.ok()) << openai.status().ToString();
  EXPECT_EQ((*openai)->provider(), "openai");
  EXPECT_EQ((*openai)->model(), "gpt-4o-mini");
  EXPECT_FALSE((*openai)->scripted());
  auto anthropic = MakeProvider("anthropic:claude-sonnet-4-5", options);
  ASSERT_TRUE(anthropic.ok());
  EXPECT_EQ((*anthropic)->provider(), "anthropic");
  EXPECT_EQ((*anthropic)->model(), "claude-sonnet-4-5");
}

TEST(MakeProviderTest, KeyNeverAppearsInErrors) {
  const std::string key = "sk-very-secret-123";
  FakeHttpClient http;
  // A server that echoes the key back in its error body.
  http.Push(CannedResponse::Http(401, "{\"error\":\"bad key " + key + "\"}"));
  ProviderOptions options = OptionsWithEnv({{"OPENAI_API_KEY", key}});
  options.http = &http;
  auto provider = MakeProvider("openai:m", options);
  ASSERT_TRUE(provider.ok());
  ChatRequest request;
  request.messages = {{ChatRole::kUser, "hi"}};
  auto reply = (*provider)->Complete(request, nullptr);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(reply.status().message(), HasSubstr("HTTP 401"));
  EXPECT_THAT(reply.status().message(), Not(HasSubstr(key)));
  EXPECT_THAT(reply.status().message(), HasSubstr("[redacted]"));
}

TEST(ToolCallArgumentTest, StringArgument) {
  ToolCall call{"c1", "run_python", R"j({"code":"print(1)","n":3})j"};
  auto code = ToolCallStringArgument(call, "code");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, "print(1)");
  EXPECT_EQ(ToolCallStringArgument(call, "n").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ToolCallStringArgument(call, "missing").status().code(), StatusCode::kInvalidArgument);
  ToolCall bad{"c2", "run_python", "[1,2]"};
  EXPECT_EQ(ToolCallStringArgument(bad, "code").status().code(), StatusCode::kInvalidArgument);
  ToolCall broken{"c3", "run_python", "{\"code\": "};
  EXPECT_EQ(ToolCallStringArgument(broken, "code").status().code(), StatusCode::kInvalidArgument);
}

TEST(ToolCallArgumentTest, ArgumentTextOfAnyType) {
  ToolCall call{"c1", "finish", R"({"answer":"done","n":3,"obj":{"a":[1,true]}})"};
  EXPECT_EQ(*ToolCallArgumentText(call, "answer"), "done");
  EXPECT_EQ(*ToolCallArgumentText(call, "n"), "3");
  EXPECT_EQ(*ToolCallArgumentText(call, "obj"), R"({"a":[1,true]})");
  EXPECT_FALSE(ToolCallArgumentText(call, "nope").ok());
  ToolCall empty{"c2", "finish", ""};
  EXPECT_EQ(ToolCallArgumentText(empty, "answer").status().code(), StatusCode::kInvalidArgument);
}

// ---- scripted ----

class ScriptedTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    path_ = ::testing::TempDir() + "transcript_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".jsonl";
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }
  void TearDown() override {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  std::string path_;
};

TEST_F(ScriptedTest, ReplaysRepliesInOrder) {
  std::string path = Write(
      "{\"content\": \"first\", \"usage\": {\"input_tokens\": 5, \"output_tokens\": 2}}\n"
      "\n"
      "   \n"
      "{\"content\": \"\", \"tool_calls\": [{\"name\": \"run_python\", \"arguments\": "
      "{\"code\": \"print(1)\"}}, {\"name\": \"finish\"}]}\r\n"
      "{\"tool_calls\": [{\"name\": \"finish\", \"arguments\": {\"answer\": 42}}]}\n");
  auto provider = MakeProvider("scripted:" + path, ProviderOptions{});
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  EXPECT_TRUE((*provider)->scripted());
  EXPECT_EQ((*provider)->provider(), "scripted");
  EXPECT_EQ((*provider)->model(), path);
  ChatRequest request;
  request.messages = {{ChatRole::kUser, "task"}};
  auto r1 = (*provider)->Complete(request, nullptr);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->content, "first");
  EXPECT_EQ(r1->usage.input_tokens, 5);
  EXPECT_EQ(r1->usage.output_tokens, 2);
  EXPECT_EQ(r1->stop_reason, "stop");
  EXPECT_EQ(r1->request_sha256.size(), 64u);
  auto r2 = (*provider)->Complete(request, nullptr);
  ASSERT_TRUE(r2.ok());
  ASSERT_EQ(r2->tool_calls.size(), 2u);
  EXPECT_EQ(r2->tool_calls[0].id, "call_1");
  EXPECT_EQ(r2->tool_calls[0].name, "run_python");
  EXPECT_EQ(r2->tool_calls[0].arguments_json, R"j({"code":"print(1)"})j");
  EXPECT_EQ(r2->tool_calls[1].id, "call_2");
  EXPECT_EQ(r2->tool_calls[1].arguments_json, "{}");
  EXPECT_EQ(r2->stop_reason, "tool_calls");
  EXPECT_NE(r1->response_sha256, r2->response_sha256);
  auto r3 = (*provider)->Complete(request, nullptr);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->tool_calls[0].id, "call_3");
  EXPECT_EQ(r3->tool_calls[0].arguments_json, R"({"answer":42})");
}

TEST_F(ScriptedTest, RequestHashDependsOnRequest) {
  std::string path = Write("{\"content\": \"a\"}\n{\"content\": \"a\"}\n{\"content\": \"a\"}\n");
  auto provider = MakeProvider("scripted:" + path, ProviderOptions{});
  ASSERT_TRUE(provider.ok());
  ChatRequest a, b;
  a.messages = {{ChatRole::kUser, "one"}};
  b.messages = {{ChatRole::kUser, "two"}};
  auto ra = (*provider)->Complete(a, nullptr);
  auto ra2 = (*provider)->Complete(a, nullptr);
  auto rb = (*provider)->Complete(b, nullptr);
  EXPECT_EQ(ra->request_sha256, ra2->request_sha256);
  EXPECT_NE(ra->request_sha256, rb->request_sha256);
  EXPECT_EQ(ra->response_sha256, rb->response_sha256);  // same line text
}

TEST_F(ScriptedTest, RunningOutNamesFileAndCount) {
  std::string path = Write("{\"content\": \"only\"}\n");
  auto provider = MakeProvider("scripted:" + path, ProviderOptions{});
  ASSERT_TRUE(provider.ok());
  ChatRequest request;
  ASSERT_TRUE((*provider)->Complete(request, nullptr).ok());
  auto out = (*provider)->Complete(request, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr(path));
  EXPECT_THAT(out.status().message(), HasSubstr("all 1 replies were used"));
}

TEST_F(ScriptedTest, MalformedLineNamesFileAndLine) {
  struct Case {
    const char* text;
    int line;
  };
  for (const Case& c :
       {Case{"{\"content\": \"ok\"}\n\n{not json}\n", 3}, Case{"[1, 2]\n", 1},
        Case{"{\"content\": 5}\n", 1}, Case{"{\"content\": \"a\"}\n{\"tool_calls\": {}}\n", 2},
        Case{"{\"tool_calls\": [{\"arguments\": {}}]}\n", 1},
        Case{"{\"tool_calls\": [{\"name\": \"f\", \"arguments\": [1]}]}\n", 1}}) {
    std::string path = Write(c.text);
    auto provider = MakeProvider("scripted:" + path, ProviderOptions{});
    ASSERT_FALSE(provider.ok()) << c.text;
    EXPECT_EQ(provider.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(provider.status().message(), HasSubstr(path + ":" + std::to_string(c.line) + ":"))
        << c.text;
  }
}

TEST_F(ScriptedTest, MissingFileIsInvalidArgument) {
  auto provider = MakeProvider("scripted:/nonexistent/transcript.jsonl", ProviderOptions{});
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(provider.status().message(), HasSubstr("/nonexistent/transcript.jsonl"));
}

TEST_F(ScriptedTest, CancelledTokenIsCancelled) {
  std::string path = Write("{\"content\": \"a\"}\n");
  auto provider = MakeProvider("scripted:" + path, ProviderOptions{});
  CancelToken cancel;
  cancel.Cancel();
  EXPECT_EQ((*provider)->Complete(ChatRequest{}, &cancel).status().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace ward
