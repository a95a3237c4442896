// Every official R4 example resource round-trips: PUT then GET gives back the
// same resource apart from meta.versionId and meta.lastUpdated.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ehr/ehr_test_util.h"

namespace ward::ehr {
namespace {

using nlohmann::json;

json WithoutServerMeta(json r) {
  if (r.contains("meta")) {
    r["meta"].erase("versionId");
    r["meta"].erase("lastUpdated");
    if (r["meta"].empty()) r.erase("meta");
  }
  return r;
}

TEST(ExamplesTest, AllExamplesRoundTrip) {
  testing::TestEhr ehr;
  std::vector<std::filesystem::path> files;
  for (const auto& e :
       std::filesystem::directory_iterator(testing::DataDir() + "/fhir-r4-examples")) {
    // package.json is the NPM manifest of the examples package, not a resource.
    if (e.path().extension() == ".json" && e.path().filename() != "package.json") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 622u);
  size_t ok = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    json original = json::parse(in);
    std::string type = original["resourceType"], id = original["id"];
    EhrResponse put = ehr.Call("PUT", "/" + type + "/" + id, original.dump());
    EXPECT_TRUE(put.status == 201 || put.status == 200) << f.filename() << ": " << put.body;
    EhrResponse got = ehr.Call("GET", "/" + type + "/" + id);
    ASSERT_EQ(got.status, 200) << f.filename();
    json back = json::parse(got.body);
    EXPECT_EQ(back["meta"]["versionId"], put.status == 201 ? "1" : "2");
    bool same = WithoutServerMeta(back) == WithoutServerMeta(original);
    EXPECT_TRUE(same) << f.filename();
    ok += same;
  }
  EXPECT_EQ(ok, files.size());
}

}  // namespace
}  // namespace ward::ehr
