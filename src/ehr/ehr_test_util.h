// Test helpers for the EHR suites: where the shared data and the schema are, a
// validator compiled once per test binary, and an EhrService over a temporary
// store with a manual clock. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ehr/ehr_service.h"
#include "ehr/loader.h"
#include "ehr/validator.h"
#include "util/clock.h"

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
  TestEhr() {
    auto store = Store::Open(StoreOptions{});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    EhrServiceOptions opts;
    opts.clock = &clock;
    service_ = std::make_unique<EhrService>(store_.get(), &SharedValidator(), opts);
  }

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
  std::unique_ptr<Store> store_;
  std::unique_ptr<EhrService> service_;
};

}  // namespace ward::ehr::testing
