#include "util/clock.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

TEST(ClockTest, FormatsAndParsesIso8601) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseIso8601("2019-05-31T12:00:00Z", &ms));
  EXPECT_EQ(FormatIso8601(ms), "2019-05-31T12:00:00.000Z");
  ASSERT_TRUE(ParseIso8601("2019-05-31T14:00:00.5+02:00", &ms));
  EXPECT_EQ(FormatIso8601(ms), "2019-05-31T12:00:00.500Z");
  ASSERT_TRUE(ParseIso8601("2019-05-31", &ms));
  EXPECT_EQ(FormatIso8601(ms), "2019-05-31T00:00:00.000Z");
}

TEST(ClockTest, RejectsMalformedDates) {
  int64_t ms = 0;
  EXPECT_FALSE(ParseIso8601("yesterday", &ms));
  EXPECT_FALSE(ParseIso8601("2019-13-01", &ms));
  EXPECT_FALSE(ParseIso8601("2019-05-31T25:00", &ms));
  EXPECT_FALSE(ParseIso8601("2019-05-31T12:00Zjunk", &ms));
}

TEST(ClockTest, ManualClockSleepsInstantly) {
  ManualClock clock(1000);
  clock.SleepFor(250);
  EXPECT_EQ(clock.NowMillis(), 1250);
  EXPECT_EQ(clock.slept_millis(), 250);
}

}  // namespace
}  // namespace ward
