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

// A URL's percent escape (%7C, %2F, %3D) and a string's \n, \t, \r escape end
// the word before them: a FHIR server's self link or json.dumps of a multi-line
// address must not hide the value that follows.
TEST(LiteralMatcherTest, EscapesBeforeAWordSeparateIt) {
  auto m = LiteralMatcher::Build({"3287b938-4670", "abc-123", "Springfield", "Wyman"});
  EXPECT_EQ(Found(m, "identifier=http%3A%2F%2Fh.org%7C3287b938-4670&x=Patient%2Fabc-123"),
            (std::vector<std::string>{"3287b938-4670", "abc-123"}));
  EXPECT_EQ(Found(m, R"("12 Elm St\nSpringfield", "a\tWyman\rWyman")"),
            (std::vector<std::string>{"Springfield", "Wyman", "Wyman"}));
  // Not an escape: still inside a word.
  EXPECT_TRUE(Found(m, "x%7GWyman %7xWyman nWyman \\qWyman").empty());
}

// A value of several words wrapped over lines, or split by a tab.
TEST(LiteralMatcherTest, LineBreaksAndTabsMatchSpaces) {
  auto m = LiteralMatcher::Build({"924 Osinski Meadow", "Alfreda Wyman"});
  EXPECT_EQ(Found(m, "924 Osinski\nMeadow; Alfreda\tWyman; alfreda\r\nwyman"),
            (std::vector<std::string>{"924 Osinski\nMeadow", "Alfreda\tWyman"}));
}

TEST(LiteralMatcherTest, EmptyPatternsAndText) {
  auto m = LiteralMatcher::Build({"", "ab"});
  EXPECT_TRUE(m.FindAll("").empty());
  EXPECT_TRUE(LiteralMatcher::Build({}).empty());
  EXPECT_EQ(Found(m, "ab"), (std::vector<std::string>{"ab"}));
}

}  // namespace
}  // namespace ward
