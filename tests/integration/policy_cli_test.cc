// `ward policy check`: the real binary on policy files and on ward.toml.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ward_process.h"

namespace ward::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kGoodPolicy = R"(
[[policy.rule]]
name = "no-deletes"
binding = "fhir.delete"
connector = "fhir"
operation = "delete"
resource_type = ["Patient", "Observation"]
decision = "deny"
reason = "deletes are never automated"

  [[policy.rule.examples]]
  match = true
  binding = "fhir.delete"
  resource_type = "Patient"

  [[policy.rule.examples]]
  match = false
  binding = "fhir.read"
  resource_type = "Patient"

[[policy.rule]]
name = "no-ctypes"
code = "import\\s+ctypes"
decision = "deny"
reason = "no foreign calls"

  [[policy.rule.examples]]
  match = true
  code = "import  ctypes"
)";

class PolicyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ward_policy_cli_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "home");
    env_ = {{"HOME", dir_.string()}, {"WARD_HOME", (dir_ / "home").string()}};
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  fs::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(PolicyCliTest, AGoodFilePasses) {
  auto r = RunWard({"policy", "check", Write("policy.toml", kGoodPolicy)}, env_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "policy OK: 2 rules, 3 examples\n");
}

TEST_F(PolicyCliTest, AFailingExampleNamesTheRuleAndExitsOne) {
  std::string text = std::string(kGoodPolicy) +
                     "\n  [[policy.rule.examples]]\n  match = false\n  code = \"import ctypes\"\n";
  auto r = RunWard({"policy", "check", Write("policy.toml", text)}, env_);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL rule \"no-ctypes\", example 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("should not match the rule but does"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("policy FAILED: 1 of 4 examples fail"), std::string::npos) << r.out;
}

TEST_F(PolicyCliTest, UnreadableOrInvalidFilesExitTwo) {
  auto missing = RunWard({"policy", "check", (dir_ / "nope.toml").string()}, env_);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.toml"), std::string::npos) << missing.err;

  std::string bad = Write("bad.toml", "[[policy.rule]]\nname = \"r\"\ndecision = \"block\"\n");
  auto invalid = RunWard({"policy", "check", bad}, env_);
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.err.find("bad.toml:3: rule \"r\": \"decision\""), std::string::npos)
      << invalid.err;

  auto garbled = RunWard({"policy", "check", Write("garbled.toml", "[[policy.rule]\n")}, env_);
  EXPECT_EQ(garbled.exit_code, 2);
  EXPECT_NE(garbled.err.find("garbled.toml:1"), std::string::npos) << garbled.err;
}

TEST_F(PolicyCliTest, WithoutAFileItChecksWardToml) {
  auto none = RunWard({"policy", "check"}, env_);
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("policy OK: 0 rules, 0 examples"), std::string::npos) << none.out;

  std::ofstream(dir_ / "home" / "ward.toml") << "[run]\nmax_steps = 5\n" << kGoodPolicy;
  auto from_home = RunWard({"policy", "check"}, env_);
  EXPECT_EQ(from_home.exit_code, 0) << from_home.err;
  EXPECT_EQ(from_home.out, "policy OK: 2 rules, 3 examples\n");

  fs::create_directories(dir_ / "other");
  std::ofstream(dir_ / "other" / "ward.toml") << "[[policy.rule]]\noperation = \"erase\"\n";
  auto flag = RunWard({"policy", "check", "--home", (dir_ / "other").string()}, env_);
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("ward.toml:2: rule 1: \"operation\""), std::string::npos) << flag.err;
}

}  // namespace
}  // namespace ward::testing
