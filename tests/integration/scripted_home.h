// A test fixture for black-box runs of the `ward` binary with a scripted model: a
// fresh ward home per test (HOME and WARD_HOME under a temp folder, removed after),
// a fake OpenAI-compatible model server on loopback whose replies the test pushes,
// and the kinds of the audit entries the run left. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "llm/testing/fake_llm_server.h"
#include "store/store.h"

namespace ward::testing {

class ScriptedHomeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    home_ = std::filesystem::temp_directory_path() /
            ("ward_" + std::string(test->test_suite_name()) + "_" + std::to_string(getpid()) + "_" +
             test->name());
    std::filesystem::remove_all(home_);
    std::filesystem::create_directories(home_ / "ward");
    env_ = {{"HOME", home_.string()},
            {"WARD_HOME", (home_ / "ward").string()},
            {"OPENAI_BASE_URL", server_.openai_base_url()},
            {"OPENAI_API_KEY", "sk-test-openai"}};
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  // The kinds of the home's audit entries, in order (empty when there is no store).
  std::vector<std::string> AuditKinds() {
    auto store = OpenSqliteStore((home_ / "ward" / "ward.db").string());
    std::vector<std::string> kinds;
    if (!store.ok()) return kinds;
    auto entries = (*store)->ListAudit(0, 100);
    if (entries.ok())
      for (const auto& e : *entries) kinds.push_back(e.kind);
    return kinds;
  }

  std::filesystem::path home_;
  std::map<std::string, std::string> env_;
  FakeLlmServer server_;
};

}  // namespace ward::testing
