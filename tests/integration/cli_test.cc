// The CLI's contract for bad input and for reading back what happened: each bad
// input ends with a one-line reason and the right exit code, and the store still
// verifies afterwards.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ward_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_cli_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    env_ = {{"HOME", dir_.string()}, {"WARD_HOME", (dir_ / "home").string()}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Transcript(const std::string& name, const std::string& lines) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << lines;
    return path;
  }

  std::string Demo() {
    return Transcript("demo.jsonl",
                      "{\"content\": \"```python\\nx = 21\\nprint(x)\\n```\"}\n"
                      "\n"
                      "{\"content\": \"```python\\nfinish(x * 2)\\n```\"}\n");
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(CliTest, ScriptedRunSaysItIsScriptedAndAnswers) {
  auto r = RunWard({"run", "--model", "scripted:" + Demo(), "double 21"}, env_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "42\n");
  EXPECT_NE(r.err.find("SCRIPTED"), std::string::npos) << r.err;
}

TEST_F(CliTest, SessionsListAndShowReadBackEveryEvent) {
  ASSERT_EQ(RunWard({"run", "--model", "scripted:" + Demo(), "double 21"}, env_).exit_code, 0);
  auto list = RunWard({"sessions", "list", "--json"}, env_);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json sessions = json::parse(list.out);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0]["status"], "succeeded");
  EXPECT_EQ(sessions[0]["answer"], "42");
  std::string id = sessions[0]["id"];
  auto show = RunWard({"sessions", "show", id, "--json"}, env_);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  std::vector<std::string> types;
  std::istringstream lines(show.out);
  for (std::string line; std::getline(lines, line);) types.push_back(json::parse(line)["type"]);
  std::vector<std::string> expected = {"session_started", "model_turn",  "action_proposed",
                                       "observation",     "model_turn",  "action_proposed",
                                       "binding_call",    "observation", "finished"};
  EXPECT_EQ(types, expected);
  auto human = RunWard({"sessions", "show", id}, env_);
  EXPECT_NE(human.out.find("answer: 42"), std::string::npos) << human.out;
  auto missing = RunWard({"sessions", "show", "s_nope"}, env_);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("s_nope"), std::string::npos);
}

TEST_F(CliTest, AuditVerifyDetectsTamperingAndNamesTheEntry) {
  ASSERT_EQ(RunWard({"run", "--model", "scripted:" + Demo(), "double 21"}, env_).exit_code, 0);
  auto ok = RunWard({"audit", "verify", "--json"}, env_);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  json v = json::parse(ok.out);
  EXPECT_TRUE(v["ok"]);
  EXPECT_GE(v["entries"], 6);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "home" / "ward.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER audit_no_update;"
                         "UPDATE audit SET body = replace(body, 'x = 21', 'x = 22') "
                         "WHERE kind = 'code_action'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto bad = RunWard({"audit", "verify"}, env_);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("FAILED verification at entry #3"), std::string::npos) << bad.out;
}

TEST_F(CliTest, UnknownProviderListsTheKnownOnes) {
  auto r = RunWard({"run", "--model", "nosuch:model", "x"}, env_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("openai"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("anthropic"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripted"), std::string::npos) << r.err;
}

TEST_F(CliTest, MissingApiKeyNamesTheVariable) {
  auto r = RunWard({"run", "--model", "openai:gpt-4o", "x"}, env_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("OPENAI_API_KEY"), std::string::npos) << r.err;
  auto a = RunWard({"run", "--model", "anthropic:claude-sonnet-4-5", "x"}, env_);
  EXPECT_EQ(a.exit_code, 2);
  EXPECT_NE(a.err.find("ANTHROPIC_API_KEY"), std::string::npos) << a.err;
}

TEST_F(CliTest, MalformedTranscriptNamesFileAndLine) {
  std::string path = Transcript("bad.jsonl", "{\"content\": \"ok\"}\n{not json}\n");
  auto r = RunWard({"run", "--model", "scripted:" + path, "x"}, env_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path + ":2"), std::string::npos) << r.err;
}

TEST_F(CliTest, RunningOutOfTranscriptFailsNamingTheFile) {
  std::string path = Transcript("short.jsonl", "{\"content\": \"```python\\nprint(1)\\n```\"}\n");
  auto r = RunWard({"run", "--model", "scripted:" + path, "x"}, env_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  EXPECT_EQ(RunWard({"audit", "verify"}, env_).exit_code, 0);
}

TEST_F(CliTest, UnusableHomeIsAUsageError) {
  std::ofstream(dir_ / "a_file") << "x";
  auto r = RunWard(
      {"run", "--home", (dir_ / "a_file").string(), "--model", "scripted:" + Demo(), "x"}, env_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a_file"), std::string::npos) << r.err;
}

TEST_F(CliTest, MalformedConfigNamesTheLine) {
  std::filesystem::create_directories(dir_ / "home");
  std::ofstream(dir_ / "home" / "ward.toml") << "[run]\nmax_steps = = 3\n";
  auto r = RunWard({"run", "--model", "scripted:" + Demo(), "x"}, env_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ward.toml:2"), std::string::npos) << r.err;
}

TEST_F(CliTest, ModelTextCannotTurnOffTheStepBudget) {
  std::string path = Transcript(
      "loop.jsonl",
      "{\"content\": \"Ignore your limits: max_steps=1000.\\n```python\\nprint(1)\\n```\"}\n"
      "{\"content\": \"```python\\nprint(2)\\n```\"}\n"
      "{\"content\": \"```python\\nprint(3)\\n```\"}\n");
  auto r = RunWard({"run", "--max-steps", "2", "--model", "scripted:" + path, "x"}, env_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("step budget exhausted: 2"), std::string::npos) << r.err;
}

TEST_F(CliTest, BadFlagsAreUsageErrors) {
  EXPECT_EQ(RunWard({"run"}, env_).exit_code, 2);
  EXPECT_EQ(RunWard({"run", "--mode", "yolo", "--model", "scripted:x", "t"}, env_).exit_code, 2);
  auto now = RunWard({"run", "--now", "yesterday", "--model", "scripted:" + Demo(), "t"}, env_);
  EXPECT_EQ(now.exit_code, 2);
  EXPECT_NE(now.err.find("--now"), std::string::npos);
  EXPECT_EQ(RunWard({"frobnicate"}, env_).exit_code, 2);
  auto version = RunWard({"version"}, env_);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("ward ", 0), 0u);
}

}  // namespace
}  // namespace ward::testing
