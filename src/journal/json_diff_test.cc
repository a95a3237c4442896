#include "journal/json_diff.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

TEST(JsonDiffTest, ReportsChangedAddedAndRemovedLeavesIgnoringMeta) {
  auto d =
      JsonDiff(R"({"resourceType":"Patient","id":"1","meta":{"versionId":"1"},"gender":"male",)"
               R"("name":[{"family":"Doe","given":["J"]}],"active":true})",
               R"({"resourceType":"Patient","id":"1","meta":{"versionId":"2"},"gender":"other",)"
               R"("name":[{"family":"Doe","given":["J","K"]}],"birthDate":"1990-01-01"})");
  std::vector<std::string> expected = {"- active: true", "+ birthDate: \"1990-01-01\"",
                                       "~ gender: \"male\" → \"other\"",
                                       "+ name[0].given[1]: \"K\""};
  std::sort(d.begin(), d.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(d, expected);
}

TEST(JsonDiffTest, CreateAndDeleteShowEveryField) {
  auto created = JsonDiff("null", R"({"resourceType":"Patient","gender":"female"})");
  EXPECT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].substr(0, 2), "+ ");
  auto deleted = JsonDiff(R"({"resourceType":"Patient"})", "");
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0], "- resourceType: \"Patient\"");
  EXPECT_TRUE(JsonDiff(R"({"a":1})", R"({"a":1})").empty());
}

}  // namespace
}  // namespace ward
