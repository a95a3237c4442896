// RunSession against a real guest process and a real SQLite store, with a fake
// model (a test double replaying scripted replies) in place of a provider.
#include "core/session.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <functional>

#include "store/event_log.h"

namespace ward {
namespace {

class FakeModel : public LlmProvider {
 public:
  std::function<Result<ChatResponse>(const ChatRequest&)> next;
  std::vector<ChatRequest> requests;
  std::string provider() const override { return "fake"; }
  std::string model() const override { return "test"; }
  Result<ChatResponse> Complete(const ChatRequest& r, const CancelToken*) override {
    requests.push_back(r);
    return next(r);
  }
};

ChatResponse Reply(const std::string& content, int64_t tokens = 10) {
  ChatResponse r;
  r.content = content;
  r.usage = {tokens, tokens};
  return r;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("ward_session_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
    events_ = std::make_unique<EventLog>(store_.get(), SystemClock::Default());
    audit_ = std::make_unique<AuditLog>(store_.get(), SystemClock::Default(), "tester");
    deps_.provider = &model_;
    deps_.launcher = launcher_.get();
    deps_.guest_dir =
        std::string(getenv("WARD_BUILD_DIR") ? getenv("WARD_BUILD_DIR") : ".") + "/guest";
    deps_.store = store_.get();
    deps_.events = events_.get();
    deps_.audit = audit_.get();
    deps_.clock = SystemClock::Default();
    deps_.cancel = &cancel_;
    op_.task = "compute";
    op_.actor = "tester";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Script(std::vector<std::string> replies) {
    auto queue = std::make_shared<std::deque<std::string>>(replies.begin(), replies.end());
    model_.next = [queue](const ChatRequest&) -> Result<ChatResponse> {
      if (queue->empty()) return Unavailable("script exhausted");
      std::string r = queue->front();
      queue->pop_front();
      return Reply(r);
    };
  }

  std::vector<std::string> EventTypes(const std::string& session) {
    std::vector<std::string> out;
    auto events = store_->ListEvents(session, 0, 0);
    for (const auto& e : *events) out.push_back(e.type);
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<EventLog> events_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<GuestLauncher> launcher_ = NewProcessLauncher();
  FakeModel model_;
  CancelToken cancel_;
  SessionDeps deps_;
  StartTaskOp op_;
};

TEST_F(SessionTest, SecondReplySeesTheFirstObservation) {
  model_.next = [](const ChatRequest& r) -> Result<ChatResponse> {
    if (r.messages.size() == 2) return Reply("```python\nsecret = 6 * 7\nprint(secret)\n```");
    const std::string& last = r.messages.back().content;
    if (last.find("42") == std::string::npos) return Reply("I did not see 42");
    return Reply("```python\nfinish(f'the answer is {secret}')\n```");
  };
  auto out = RunSession(op_, deps_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->status, "succeeded");
  EXPECT_EQ(out->answer, "the answer is 42");
  EXPECT_EQ(out->steps, 2);
  EXPECT_EQ(out->usage.total(), 40);
  auto types = EventTypes(out->session);
  EXPECT_EQ(types.front(), "session_started");
  EXPECT_EQ(types.back(), "finished");
  auto rec = store_->GetSession(out->session);
  EXPECT_EQ(rec->status, "succeeded");
  EXPECT_EQ(rec->answer, "the answer is 42");
  // The system prompt documents finish().
  EXPECT_NE(model_.requests[0].messages[0].content.find("finish(answer)"), std::string::npos);
}

// The observation cap must never cut a value in half before it is pseudonymised:
// "Wym" or "man" of a known "Wyman" is still part of an identifier.
TEST_F(SessionTest, TheObservationCapNeverCutsAnIdentifierInHalf) {
  deps_.privacy.mode = PrivacyMode::kPseudonymise;
  op_.task = "Find [[Wyman]]";
  op_.observation_cap_bytes = 1000;  // head 500, tail 500 bytes
  Script({"```python\nprint('.' * 497 + '[[NAME_1]]' + '.' * 3000 + '[[NAME_1]]' + '.' * 496)\n```",
          "```python\nfinish('done')\n```"});
  auto out = RunSession(op_, deps_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(model_.requests.size(), 2u);
  const std::string& seen = model_.requests[1].messages.back().content;
  EXPECT_NE(seen.find("bytes cut"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("Wym"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("man."), std::string::npos) << seen;
  EXPECT_EQ(seen.find("[[NAME_1]]["), std::string::npos);
  size_t opens = 0, closes = 0;
  for (size_t i = seen.find("[["); i != std::string::npos; i = seen.find("[[", i + 2)) ++opens;
  for (size_t i = seen.find("]]"); i != std::string::npos; i = seen.find("]]", i + 2)) ++closes;
  EXPECT_EQ(opens, closes) << "a token cut in half: " << seen;
  // The host's view keeps real values, capped the same way.
  auto events = store_->ListEvents(out->session, 0, 0);
  bool host_view = false;
  for (const auto& e : *events)
    if (e.type == "observation" && e.payload_json.find("\"truncated\":true") != std::string::npos &&
        e.payload_json.find("Wym") != std::string::npos)
      host_view = true;
  EXPECT_TRUE(host_view);
}

TEST_F(SessionTest, ReplyWithoutCodeGetsACorrectionAndCountsAsAStep) {
  Script({"I think the answer is 4.", "```python\nfinish(4)\n```"});
  auto out = RunSession(op_, deps_);
  EXPECT_EQ(out->status, "succeeded");
  EXPECT_EQ(out->answer, "4");
  EXPECT_EQ(out->steps, 2);
  EXPECT_NE(model_.requests[1].messages.back().content.find("no ```python"), std::string::npos);
}

TEST_F(SessionTest, StepBudgetEndsTheSessionAsFailed) {
  op_.max_steps = 3;
  model_.next = [](const ChatRequest&) -> Result<ChatResponse> {
    return Reply("```python\nprint('again')\n```");
  };
  auto out = RunSession(op_, deps_);
  EXPECT_EQ(out->status, "failed");
  EXPECT_NE(out->reason.find("step budget exhausted: 3"), std::string::npos) << out->reason;
  EXPECT_EQ(model_.requests.size(), 3u);
}

TEST_F(SessionTest, TokenBudgetEndsTheSession) {
  op_.max_total_tokens = 50;
  model_.next = [](const ChatRequest&) -> Result<ChatResponse> {
    return Reply("```python\nprint(1)\n```", 15);
  };
  auto out = RunSession(op_, deps_);
  EXPECT_EQ(out->status, "failed");
  EXPECT_NE(out->reason.find("token budget"), std::string::npos);
  EXPECT_EQ(model_.requests.size(), 2u);  // 30, 60 tokens
}

TEST_F(SessionTest, TimeoutRestartsTheGuestAndTellsTheModel) {
  op_.action_timeout_ms = 300;
  Script({"```python\nx = 1\nwhile True: pass\n```", "```python\nfinish('x' in globals())\n```"});
  auto out = RunSession(op_, deps_);
  EXPECT_EQ(out->status, "succeeded");
  EXPECT_EQ(out->answer, "false");
  EXPECT_NE(model_.requests[1].messages.back().content.find("restarted"), std::string::npos);
}

TEST_F(SessionTest, ModelFailureFailsTheSessionAndTheAuditStillVerifies) {
  model_.next = [](const ChatRequest&) -> Result<ChatResponse> {
    return Unavailable("openai: HTTP 500: boom");
  };
  auto out = RunSession(op_, deps_);
  EXPECT_EQ(out->status, "failed");
  EXPECT_NE(out->reason.find("HTTP 500"), std::string::npos);
  auto v = VerifyAuditChain(store_.get());
  EXPECT_TRUE(v->ok);
  EXPECT_GE(v->entries, 3);  // start, model call, end
}

TEST_F(SessionTest, CancelBeforeAStepEndsCancelled) {
  cancel_.Cancel();
  Script({"```python\nfinish(1)\n```"});
  auto out = RunSession(op_, deps_);
  EXPECT_EQ(out->status, "cancelled");
  EXPECT_TRUE(model_.requests.empty());
}

TEST_F(SessionTest, ToolsModeRunsPythonAndFinishes) {
  op_.mode = AgentMode::kTools;
  int turn = 0;
  model_.next = [&turn](const ChatRequest& r) -> Result<ChatResponse> {
    ChatResponse c;
    if (turn++ == 0) {
      c.tool_calls = {{"call_1", "run_python", R"j({"code": "print(2 + 2)"})j"}};
    } else {
      EXPECT_EQ(r.messages.back().role, ChatRole::kTool);
      EXPECT_EQ(r.messages.back().tool_call_id, "call_1");
      EXPECT_EQ(r.messages.back().content, "4\n");
      c.tool_calls = {{"call_2", "finish", R"({"answer": "four"})"}};
    }
    return c;
  };
  auto out = RunSession(op_, deps_);
  EXPECT_EQ(out->status, "succeeded");
  EXPECT_EQ(out->answer, "four");
  EXPECT_EQ(model_.requests[0].tools.size(), 2u);
}

TEST_F(SessionTest, AnEffectWhoseOutcomeCannotBeAuditedFailsTheSession) {
  int runs = 0;
  Binding write;
  write.name = "t.write";
  write.signature = "write()";
  write.operation = "write";
  write.handler = [&](const BindingContext&, const std::string&) {
    ++runs;
    return BindingValue("1");
  };
  std::vector<Binding> bindings = {write};
  deps_.extra_bindings = &bindings;
  Policy allow = std::move(Policy::FromToml("[[policy.rule]]\nname = \"allow\"\nbinding = \"*\"\n"
                                            "decision = \"allow\"\n",
                                            "test"))
                     .value();
  deps_.policy = &allow;
  // From now on the audit log refuses binding_call entries (as a full disk would).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "ward.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER no_outcomes BEFORE INSERT ON audit WHEN "
                         "NEW.kind='binding_call' BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Script(
      {"```python\ntry:\n    t.write()\nexcept Exception as e:\n    print(e)\n"
       "t.write()\n```",
       "```python\nfinish('went on')\n```"});
  auto out = RunSession(op_, deps_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->status, "failed");
  EXPECT_NE(out->reason.find("t.write ran and its effect happened"), std::string::npos)
      << out->reason;
  EXPECT_EQ(runs, 1);                     // the second call was refused
  EXPECT_EQ(model_.requests.size(), 1u);  // and the model was not asked again
}

}  // namespace
}  // namespace ward
