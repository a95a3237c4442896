// A test fixture: one embedded EHR (`ward ehr serve`, loaded with the Synthea
// patients) per test suite, a ward home per test, and helpers to write scripted
// transcripts and read the audit log. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "ward_process.h"

namespace ward::testing {

// One EHR server for the whole suite: loading the data once keeps the tests fast.
class EhrFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("ward_fhir_test_" + std::to_string(getpid())));
    std::filesystem::create_directories(*dir_);
    std::string synthea = SharedDataDir() + "/synthea";
    ASSERT_TRUE(std::filesystem::exists(synthea)) << "test data missing: " << synthea;
    ehr_ = new WardProcess(
        {"ehr", "serve", "--port", "0", "--db", (*dir_ / "ehr.db").string(), "--load", synthea},
        {{"HOME", dir_->string()}});
    std::string line = ehr_->ReadLine(60'000);
    size_t at = line.find("http://");
    ASSERT_NE(at, std::string::npos) << "no URL from ward ehr serve: " << line;
    url_ = new std::string(line.substr(at));
  }
  static void TearDownTestSuite() {
    ehr_->Signal(SIGTERM);
    ehr_->Wait(10'000);
    delete ehr_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete url_;
  }

  void SetUp() override {
    home_ = *dir_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(home_);
    env_ = {{"HOME", home_.string()}, {"WARD_HOME", home_.string()}, {"WARD_FHIR_URL", *url_}};
  }

  std::string Transcript(const std::vector<std::string>& codes) {
    std::string path = (home_ / "transcript.jsonl").string();
    std::ofstream out(path);
    for (const auto& code : codes)
      out << nlohmann::json{{"content", "```python\n" + code + "\n```"}}.dump() << "\n";
    return path;
  }

  std::vector<nlohmann::json> AuditEntries(const std::string& kind) {
    auto store = OpenSqliteStore((home_ / "ward.db").string());
    std::vector<nlohmann::json> out;
    auto entries = (*store)->ListAudit(0, 0);
    for (const auto& e : *entries)
      if (e.kind == kind) out.push_back(nlohmann::json::parse(e.body));
    return out;
  }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline WardProcess* ehr_ = nullptr;
  static inline std::string* url_ = nullptr;
  std::filesystem::path home_;
  std::map<std::string, std::string> env_;
};

}  // namespace ward::testing
