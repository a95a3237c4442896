#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "sandbox/guest.h"

namespace ward {
namespace {

std::string GuestDirForTests() {
  const char* build = getenv("WARD_BUILD_DIR");
  return build ? std::string(build) + "/guest" : std::string("guest");
}

class ProcessGuestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("WARD_TEST_SECRET_KEY", "sk-do-not-leak", 1);
    GuestSpec spec;
    spec.guest_dir = GuestDirForTests();
    spec.workdir = std::filesystem::temp_directory_path().string();
    spec.bindings = {{"finish", "finish(answer)", "End the task."},
                     {"demo.echo", "echo(value, **options)", "Echo back."}};
    spec.max_message_bytes = 1 << 20;
    auto g = launcher_->Launch(spec);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    guest_ = std::move(g).value();
  }

  ActionOutcome Run(const std::string& code, int64_t timeout_ms = 10'000) {
    auto r = guest_->Execute(code, timeout_ms, handler_, &cancel_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ActionOutcome{};
  }

  std::unique_ptr<GuestLauncher> launcher_ = NewProcessLauncher();
  std::unique_ptr<Guest> guest_;
  CancelToken cancel_;
  std::vector<GuestCall> calls_;
  GuestCallHandler handler_ = [this](const GuestCall& c) {
    calls_.push_back(c);
    if (c.name == "demo.echo") return GuestCallReply{true, c.args_json};
    if (c.name == "finish") return GuestCallReply{true, "null"};
    return GuestCallReply{false, "", "PermissionDenied", "no " + c.name};
  };
};

TEST_F(ProcessGuestTest, VariablesPersistAndLastExpressionIsReported) {
  auto a = Run("x = 20\nprint('set')");
  EXPECT_EQ(a.stdout_text, "set\n");
  EXPECT_FALSE(a.has_value);
  auto b = Run("x * 2 + 2");
  EXPECT_TRUE(b.has_value);
  EXPECT_EQ(b.value_repr, "42");
  EXPECT_TRUE(b.error.empty());
}

TEST_F(ProcessGuestTest, ExceptionsAndSyntaxErrorsComeBackAsText) {
  auto a = Run("def f():\n    return 1/0\nf()");
  EXPECT_NE(a.error.find("ZeroDivisionError"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("line 2"), std::string::npos) << a.error;
  EXPECT_EQ(a.error.find("ward_guest"), std::string::npos) << "host frames leak: " << a.error;
  auto b = Run("def broken(:\n  pass");
  EXPECT_NE(b.error.find("SyntaxError"), std::string::npos) << b.error;
  EXPECT_EQ(b.failure, GuestFailure::kNone);
}

TEST_F(ProcessGuestTest, BindingCallsReachTheHostHandler) {
  auto a = Run("r = demo.echo([1, 2], flag=True)\nprint(r)");
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].name, "demo.echo");
  EXPECT_EQ(calls_[0].args_json, R"({"options":{"flag":true},"value":[1,2]})");
  EXPECT_NE(a.stdout_text.find("'value': [1, 2]"), std::string::npos) << a.stdout_text;
  auto b = Run("finish('done')\nprint('not reached')");
  EXPECT_TRUE(b.finished);
  EXPECT_EQ(b.stdout_text, "");
  EXPECT_EQ(calls_.back().args_json, R"({"answer":"done"})");
}

TEST_F(ProcessGuestTest, HostErrorsRaiseTypedExceptions) {
  auto a =
      Run("try:\n  nothing_here = demo.echo(object())\nexcept TypeError as e:\n  print('TE', e)");
  EXPECT_NE(a.stdout_text.find("TE demo.echo(): arguments must be JSON"), std::string::npos)
      << a.stdout_text << a.error;
  EXPECT_TRUE(calls_.empty());
}

TEST_F(ProcessGuestTest, HostEnvironmentDoesNotReachTheGuest) {
  auto a = Run("import os\nsorted(os.environ)");
  EXPECT_EQ(a.value_repr.find("WARD_TEST_SECRET_KEY"), std::string::npos) << a.value_repr;
  auto b = Run("import os\nsorted(int(f) for f in os.listdir('/proc/self/fd'))");
  EXPECT_EQ(b.value_repr, "[0, 1, 2, 3, 4]") << "(4 is listdir's own fd) " << b.value_repr;
}

TEST_F(ProcessGuestTest, TimeoutKillsAndRestartGivesAFreshGuest) {
  Run("x = 1");
  auto a = Run("while True: pass", 300);
  EXPECT_EQ(a.failure, GuestFailure::kTimeout);
  auto dead = guest_->Execute("1", 1000, handler_, &cancel_);
  EXPECT_FALSE(dead.ok());
  ASSERT_TRUE(guest_->Restart().ok());
  auto b = Run("'x' in globals()");
  EXPECT_EQ(b.value_repr, "False");
}

TEST_F(ProcessGuestTest, AGuestThatDiesIsReported) {
  auto a = Run("import os\nos._exit(7)");
  EXPECT_EQ(a.failure, GuestFailure::kDied);
  EXPECT_NE(a.failure_detail.find("exited with status 7"), std::string::npos) << a.failure_detail;
}

TEST_F(ProcessGuestTest, FloodingOrGarbageOnTheChannelKillsTheGuest) {
  auto a = Run("import os\nos.write(3, b'x' * (3 << 20))");
  EXPECT_EQ(a.failure, GuestFailure::kProtocol);
  ASSERT_TRUE(guest_->Restart().ok());
  auto b = Run("import os\nos.write(3, b'{not json\\n')\nimport time\ntime.sleep(5)");
  EXPECT_EQ(b.failure, GuestFailure::kProtocol);
}

TEST_F(ProcessGuestTest, OutputIsCappedInTheGuest) {
  auto a = Run("print('a' * 1000000)");
  EXPECT_LT(a.stdout_text.size(), 300'000u);
  EXPECT_NE(a.stdout_text.find("characters cut"), std::string::npos);
}

TEST_F(ProcessGuestTest, CancelStopsARunningAction) {
  cancel_.Cancel();
  auto a = Run("import time\ntime.sleep(30)");
  EXPECT_EQ(a.failure, GuestFailure::kCancelled);
}

TEST(ProcessLauncherTest, MissingPythonIsAClearError) {
  GuestSpec spec;
  spec.guest_dir = GuestDirForTests();
  spec.workdir = "/tmp";
  spec.python = "/nonexistent/python3";
  spec.start_timeout_ms = 2000;
  auto g = NewProcessLauncher()->Launch(spec);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("/nonexistent/python3"), std::string::npos);
  // Spawning reports the exec failure itself, not only a dead child's exit status.
  EXPECT_NE(g.status().message().find("No such file or directory"), std::string::npos)
      << g.status().message();
}

}  // namespace
}  // namespace ward
