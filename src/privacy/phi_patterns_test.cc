#include "privacy/phi_patterns.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

std::vector<std::string> Hits(const PhiPatterns& p, const std::string& text, PhiPatternKind kind) {
  std::vector<std::string> out;
  for (const auto& h : p.FindAll(text))
    if (h.kind == kind) out.push_back(text.substr(h.begin, h.length));
  return out;
}

TEST(PhiPatternsTest, DatesInTheirCommonSpellings) {
  auto p = PhiPatterns::Make({});
  ASSERT_TRUE(p.ok()) << p.status().message();
  std::string text =
      "born 1960-03-01, seen 2019-02-01T10:20:30-05:00 and 03/01/1960, 3/1/60, 01.03.1960, "
      "March 1, 1960, 1 Mar 1960, datetime.date(1960, 3, 1)";
  EXPECT_EQ(Hits(**p, text, PhiPatternKind::kDate),
            (std::vector<std::string>{"1960-03-01", "2019-02-01T10:20:30-05:00", "03/01/1960",
                                      "3/1/60", "01.03.1960", "March 1, 1960", "1 Mar 1960",
                                      "datetime.date(1960, 3, 1)"}));
}

TEST(PhiPatternsTest, CodesYearsAndNumbersAreNotDates) {
  auto p = PhiPatterns::Make({});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)->FindAll("LOINC 4548-4, 2345-7; in 2019; 2019-02; 7.2 %; 1.3.6.1.4").empty());
}

TEST(PhiPatternsTest, PhonesSsnsAndEmails) {
  auto p = PhiPatterns::Make({});
  ASSERT_TRUE(p.ok());
  std::string text = "555-397-1190 (555) 397-1190 +1 555.397.1190 ssn 999-98-7415 a.b@x.org";
  EXPECT_EQ(Hits(**p, text, PhiPatternKind::kPhone).size(), 3u);
  EXPECT_EQ(Hits(**p, text, PhiPatternKind::kSsn), (std::vector<std::string>{"999-98-7415"}));
  EXPECT_EQ(Hits(**p, text, PhiPatternKind::kEmail), (std::vector<std::string>{"a.b@x.org"}));
}

TEST(PhiPatternsTest, ConfiguredIdentifierFormats) {
  auto p = PhiPatterns::Make({"MRN-\\d{6}"});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(Hits(**p, "see MRN-123456 and MRN-12", PhiPatternKind::kCustom),
            (std::vector<std::string>{"MRN-123456"}));
}

TEST(PhiPatternsTest, BadConfiguredPatternsAreRefusedWithTheReason) {
  auto broken = PhiPatterns::Make({"MRN-(\\d"});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("MRN-(\\d"), std::string::npos);
  EXPECT_FALSE(PhiPatterns::Make({"x*"}).ok());      // matches the empty text
  EXPECT_FALSE(PhiPatterns::Make({"(\\d+)"}).ok());  // a capturing group
  EXPECT_FALSE(PhiPatterns::Make({""}).ok());
}

TEST(PhiPatternsTest, HugeTextIsScannedInLinearTime) {
  auto p = PhiPatterns::Make({});
  ASSERT_TRUE(p.ok());
  std::string text(4 << 20, '1');  // would take ages with a backtracking engine
  text += " 1960-03-01";
  EXPECT_EQ(Hits(**p, text, PhiPatternKind::kDate).size(), 1u);
}

}  // namespace
}  // namespace ward
