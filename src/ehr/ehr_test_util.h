// Test helpers for the EHR suites: where the shared data and the schema are, a
// validator compiled once per test binary, an EhrService over a temporary store
// with a manual clock, and the Synthea data loaded once per build of the test
// binary (a store file each test copies). Tests only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ehr/ehr_service.h"
#include "ehr/loader.h"
#include "ehr/validator.h"
#include "util/clock.h"
#include "util/hash.h"

namespace ward::ehr::testing {

// The checkout: $WARD_SOURCE_DIR, else the source directory this binary was built from.
inline std::string SourceDir() {
  const char* s = std::getenv("WARD_SOURCE_DIR");
  return s ? s : WARD_EHR_TEST_SOURCE_DIR;
}

// ../shared/data beside the checkout (WARD_DATA_DIR overrides). Aborts the test
// binary with a clear message when it is missing.
inline std::string DataDir() {
  std::string dir;
  if (const char* d = std::getenv("WARD_DATA_DIR")) {
    dir = d;
  } else {
    dir = SourceDir() + "/../shared/data";
  }
  if (dir.empty() || !std::filesystem::is_directory(dir + "/synthea")) {
    std::fprintf(stderr,
                 "EHR tests need the shared FHIR data: set WARD_DATA_DIR, or WARD_SOURCE_DIR "
                 "with the data at $WARD_SOURCE_DIR/../shared/data (looked in '%s')\n",
                 dir.c_str());
    std::abort();
  }
  return dir;
}

inline std::string SchemaPath() {
  std::string path = SourceDir() + "/share/fhir/fhir.r4.schema.json";
  if (!std::filesystem::exists(path)) {
    std::fprintf(stderr, "EHR tests need the FHIR schema at %s (set WARD_SOURCE_DIR)\n",
                 path.c_str());
    std::abort();
  }
  return path;
}

inline const ResourceValidator& SharedValidator() {
  static const ResourceValidator* v = [] {
    auto r = ResourceValidator::LoadFromFile(SchemaPath());
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      std::abort();
    }
    return r->release();
  }();
  return *v;
}

constexpr const char* kBase = "http://ehr.test/fhir";

class TestEhr {
 public:
  TestEhr() { Open(""); }
  ~TestEhr() {
    service_.reset();
    store_.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      if (!owned_path_.empty()) std::filesystem::remove(owned_path_ + suffix, ec);
    }
  }
  TestEhr(const TestEhr&) = delete;
  TestEhr& operator=(const TestEhr&) = delete;

  // An EHR holding the Synthea data: a private copy of SyntheaSnapshot(), so that
  // the test may write to it. The clock continues from where the load left it.
  static std::unique_ptr<TestEhr> WithSynthea();

  EhrResponse Call(const std::string& method, const std::string& target,
                   const std::string& body = "", HeaderList headers = {}) {
    EhrRequest req;
    req.method = method;
    size_t qm = target.find('?');
    req.path = target.substr(0, qm);
    if (qm != std::string::npos) req.query = target.substr(qm + 1);
    req.headers = std::move(headers);
    req.body = body;
    req.base_url = kBase;
    clock.Advance(1000);
    return service_->Handle(req);
  }

  nlohmann::json Json(const std::string& method, const std::string& target,
                      const std::string& body = "", HeaderList headers = {}) {
    EhrResponse r = Call(method, target, body, std::move(headers));
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  void LoadSynthea() {
    auto stats = LoadPaths(service_.get(), {DataDir() + "/synthea"}, kBase, &clock);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  }

  EhrService& service() { return *service_; }
  ManualClock clock;

 private:
  struct OwnFile {};
  TestEhr(OwnFile, const std::string& path) {
    owned_path_ = path;
    Open(path);
  }
  void Open(const std::string& path) {
    auto store = Store::Open(StoreOptions{path});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    EhrServiceOptions opts;
    opts.clock = &clock;
    service_ = std::make_unique<EhrService>(store_.get(), &SharedValidator(), opts);
  }
  friend std::string SyntheaSnapshot(int64_t* clock_ms);

  std::string owned_path_;  // a store file removed with this EHR
  std::unique_ptr<Store> store_;
  std::unique_ptr<EhrService> service_;
};

// A store file with the Synthea data loaded, made once per build of the test
// binary and shared by its processes (ctest runs each test in its own): the first
// one that needs it loads the data into a temporary file and renames it into
// <binary's folder>/ehr-fixtures/<binary>/, the others find it there. Concurrent first
// users each build one; the rename keeps whichever is last, both being equal.
// Never open it directly: copy it (TestEhr::WithSynthea). *clock_ms is the test
// clock's reading after the load. Aborts when the load fails.
inline std::string SyntheaSnapshot(int64_t* clock_ms) {
  namespace fs = std::filesystem;
  static const std::pair<std::string, int64_t> snapshot = [] {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    std::string identity = exe.string() + "|" + DataDir() + "|" +
                           std::to_string(fs::file_size(exe, ec)) + "|" +
                           std::to_string(fs::last_write_time(exe, ec).time_since_epoch().count());
    fs::path dir = exe.parent_path() / "ehr-fixtures" / exe.filename();
    fs::create_directories(dir, ec);
    std::string path = (dir / ("synthea-" + Sha256Hex(identity).substr(0, 16) + ".db")).string();
    auto read_clock = [&](int64_t* ms) {
      std::ifstream in(path + ".clock");
      return static_cast<bool>(in >> *ms);
    };
    int64_t ms = 0;
    if (fs::exists(path) && read_clock(&ms)) return std::make_pair(path, ms);
    for (const auto& e : fs::directory_iterator(dir, ec)) {  // those of older builds
      if (e.path().string().rfind(path, 0) != 0) fs::remove(e.path(), ec);
    }
    std::string tmp = path + "." + std::to_string(getpid()) + ".tmp";
    {
      TestEhr ehr(TestEhr::OwnFile{}, tmp);
      ehr.LoadSynthea();
      if (::testing::Test::HasFatalFailure()) std::abort();
      ms = ehr.clock.NowMillis();
      ehr.owned_path_.clear();  // closing the store checkpoints it into the one file
    }
    if (fs::exists(tmp + "-wal")) {
      std::fprintf(stderr, "the Synthea snapshot %s was not checkpointed\n", tmp.c_str());
      std::abort();
    }
    std::ofstream(path + ".clock") << ms;
    fs::rename(tmp, path, ec);
    if (ec) {
      std::fprintf(stderr, "cannot store the Synthea snapshot %s: %s\n", path.c_str(),
                   ec.message().c_str());
      std::abort();
    }
    return std::make_pair(path, ms);
  }();
  *clock_ms = snapshot.second;
  return snapshot.first;
}

inline std::unique_ptr<TestEhr> TestEhr::WithSynthea() {
  int64_t clock_ms = 0;
  std::string snapshot = SyntheaSnapshot(&clock_ms);
  std::string copy =
      (std::filesystem::temp_directory_path() / ("ward-ehr-test-" + RandomHex(8) + ".db")).string();
  std::error_code ec;
  std::filesystem::copy_file(snapshot, copy, ec);
  if (ec) {
    std::fprintf(stderr, "cannot copy %s: %s\n", snapshot.c_str(), ec.message().c_str());
    std::abort();
  }
  std::unique_ptr<TestEhr> ehr(new TestEhr(OwnFile{}, copy));
  ehr->clock.Advance(clock_ms - ehr->clock.NowMillis());
  return ehr;
}

}  // namespace ward::ehr::testing
