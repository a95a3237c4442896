#include "util/json_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace ward {
namespace {

std::string Nested(int depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(JsonLimitsTest, AHundredThousandNestedArraysAreRefusedBeforeParsing) {
  auto parsed = ParseJson(Nested(100000));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("deeper than 128"), std::string::npos);
  EXPECT_TRUE(ParseJsonOrDiscarded(Nested(100000, '{', '}')).is_discarded());
}

TEST(JsonLimitsTest, TheDepthLimitIsExact) {
  EXPECT_TRUE(ParseJson(Nested(128)).ok());
  EXPECT_FALSE(ParseJson(Nested(129)).ok());
  EXPECT_TRUE(ParseJson(Nested(3), JsonLimits{1024, 3}).ok());
  EXPECT_FALSE(ParseJson(Nested(4), JsonLimits{1024, 3}).ok());
  EXPECT_TRUE(ParseJson("5", JsonLimits{1024, 0}).ok());
}

TEST(JsonLimitsTest, BracketsInsideStringsDoNotCount) {
  std::string text = "{\"a\":\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}";
  auto parsed = ParseJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ((*parsed)["a"].get<std::string>().size(), 2001u);
  // An escaped backslash before the closing quote ends the string.
  EXPECT_FALSE(ParseJson("[\"\\\\\"," + Nested(200) + "]").ok());
}

TEST(JsonLimitsTest, TheSizeLimitIsExact) {
  EXPECT_TRUE(ParseJson("[1,2]", JsonLimits{5, 8}).ok());
  auto over = ParseJson("[1,22]", JsonLimits{5, 8});
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("over the limit of 5"), std::string::npos);
}

TEST(JsonLimitsTest, InvalidJsonIsAnErrorNotAnException) {
  EXPECT_FALSE(ParseJson("{\"a\":").ok());
  EXPECT_FALSE(ParseJson("]]]]").ok());
  EXPECT_FALSE(ParseJson("\"\xff\"").ok());
  EXPECT_TRUE(ParseJsonOrDiscarded("nope").is_discarded());
}

}  // namespace
}  // namespace ward
