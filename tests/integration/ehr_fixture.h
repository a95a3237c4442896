// A test fixture: one embedded EHR (`ward ehr serve`, over a copy of a database
// holding the Synthea patients) per test suite, a ward home per test, and helpers
// to write scripted transcripts and read the audit log. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "util/hash.h"
#include "ward_process.h"

namespace ward::testing {

// A database with the Synthea patients loaded by `ward ehr load`, made once per
// build of ward and shared by the test processes (ctest runs each test in its
// own): <test binary's folder>/ehr-fixtures/<test binary>/synthea-<ward build>.db. The first
// process that needs it loads it into a temporary file and renames it there;
// concurrent first users each make one and the last rename wins. Copy it, never
// serve it directly. Empty (with a test failure) when the load fails.
inline std::string SyntheaTemplateDb() {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string synthea = SharedDataDir() + "/synthea";
  if (!fs::exists(synthea)) {
    ADD_FAILURE() << "test data missing: " << synthea;
    return "";
  }
  fs::path ward = fs::canonical(WardBinary(), ec);
  std::string identity = ward.string() + "|" + synthea + "|" +
                         std::to_string(fs::file_size(ward, ec)) + "|" +
                         std::to_string(fs::last_write_time(ward, ec).time_since_epoch().count());
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path dir = exe.parent_path() / "ehr-fixtures" / exe.filename();
  fs::create_directories(dir, ec);
  std::string path = (dir / ("synthea-" + Sha256Hex(identity).substr(0, 16) + ".db")).string();
  if (fs::exists(path)) return path;
  for (const auto& e : fs::directory_iterator(dir, ec)) {  // those of older builds
    if (e.path().string().rfind(path, 0) != 0) fs::remove(e.path(), ec);
  }
  std::string tmp = path + "." + std::to_string(getpid()) + ".tmp";
  ProcessResult load = RunWard({"ehr", "load", "--db", tmp, synthea}, {{"HOME", dir.string()}});
  if (load.exit_code != 0 || fs::exists(tmp + "-wal")) {
    ADD_FAILURE() << "ward ehr load failed (" << load.exit_code << "): " << load.err;
    return "";
  }
  fs::rename(tmp, path, ec);
  if (ec) ADD_FAILURE() << "cannot keep " << path << ": " << ec.message();
  return ec ? "" : path;
}

// One EHR server for the whole suite, serving a copy of SyntheaTemplateDb(): the
// tests may write to it, and no test process loads the data again.
class EhrFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("ward_fhir_test_" + std::to_string(getpid())));
    std::filesystem::create_directories(*dir_);
    std::string db = (*dir_ / "ehr.db").string();
    std::string template_db = SyntheaTemplateDb();
    ASSERT_FALSE(template_db.empty());
    std::filesystem::copy_file(template_db, db);
    ehr_ = new WardProcess({"ehr", "serve", "--port", "0", "--db", db}, {{"HOME", dir_->string()}});
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
