#include "util/clock.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <string>

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

// The C library's gmtime_r, as a reference for FormatIso8601.
std::string ReferenceIso8601(int64_t millis) {
  time_t secs = static_cast<time_t>(millis / 1000);
  int ms = static_cast<int>(millis % 1000);
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[64];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm_utc.tm_year + 1900,
           tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec, ms);
  return buf;
}

TEST(ClockTest, FormatsEveryInstantLikeTheCLibrary) {
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(253402300799999), "9999-12-31T23:59:59.999Z");
  std::mt19937_64 random(20261124);
  // From year 1 to 9999, and the days around now in finer steps.
  std::uniform_int_distribution<int64_t> any(-62135596800000, 253402300799999);
  std::uniform_int_distribution<int64_t> recent(1'700'000'000'000, 1'900'000'000'000);
  for (int i = 0; i < 20000; ++i) {
    int64_t ms = i % 2 ? any(random) : recent(random);
    ASSERT_EQ(FormatIso8601(ms), ReferenceIso8601(ms)) << ms;
  }
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
