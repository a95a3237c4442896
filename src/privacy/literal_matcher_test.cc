#include "privacy/literal_matcher.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

std::vector<std::string> Found(const LiteralMatcher& m, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& match : m.FindAll(text)) out.push_back(text.substr(match.begin, match.length));
  return out;
}

TEST(LiteralMatcherTest, FindsWholeWordsIgnoringAsciiCase) {
  auto m = LiteralMatcher::Build({"Wyman", "Alfreda"});
  EXPECT_EQ(Found(m, "ALFREDA wyman, Wyman's; Patient/Wyman_x"),
            (std::vector<std::string>{"ALFREDA", "wyman", "Wyman", "Wyman"}));
  EXPECT_TRUE(Found(m, "Wymann Alfredas xWyman").empty());
}

TEST(LiteralMatcherTest, LeftmostLongestWithoutOverlap) {
  auto m = LiteralMatcher::Build({"Alfreda", "Alfreda Wyman", "Wyman"});
  auto matches = m.FindAll("Mrs. Alfreda Wyman and Wyman");
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0].pattern, 1);
  EXPECT_EQ(matches[0].begin, 5u);
  EXPECT_EQ(matches[1].pattern, 2);
}

TEST(LiteralMatcherTest, PatternsWithPunctuationAndSuffixesOfOthers) {
  auto m = LiteralMatcher::Build({"(555) 397-1190", "397-1190", "555-397-1190", "he"});
  EXPECT_EQ(Found(m, "call x(555) 397-1190 or 1-555-397-1190; the hen"),
            (std::vector<std::string>{"(555) 397-1190", "555-397-1190"}));
}

TEST(LiteralMatcherTest, NonAsciiBytesSeparateWords) {
  auto m = LiteralMatcher::Build({"José", "Wyman"});
  EXPECT_EQ(Found(m, "José’s chart: Wyman’s"), (std::vector<std::string>{"José", "Wyman"}));
}

TEST(LiteralMatcherTest, EmptyPatternsAndText) {
  auto m = LiteralMatcher::Build({"", "ab"});
  EXPECT_TRUE(m.FindAll("").empty());
  EXPECT_TRUE(LiteralMatcher::Build({}).empty());
  EXPECT_EQ(Found(m, "ab"), (std::vector<std::string>{"ab"}));
}

}  // namespace
}  // namespace ward
