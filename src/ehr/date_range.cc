#include "ehr/date_range.h"

#include <cstdio>
#include <ctime>
#include <string>

namespace ward::ehr {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

// Reads exactly `n` digits at `pos`; returns -1 when they are not all digits.
int ReadDigits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

Status Bad(std::string_view text, const char* why) {
  return InvalidArgument("invalid date '" + std::string(text) + "': " + why);
}

// Parses the time part starting at `pos` (just after 'T'). Sets the offset of the
// start of the range from midnight and the length of the range, both in ms.
Status ParseTime(std::string_view s, size_t pos, int64_t* start_ms, int64_t* span_ms) {
  int hh = ReadDigits(s, pos, 2);
  if (hh < 0 || hh > 23 || pos + 2 >= s.size() || s[pos + 2] != ':') return Bad(s, "bad hour");
  int mm = ReadDigits(s, pos + 3, 2);
  if (mm < 0 || mm > 59) return Bad(s, "bad minute");
  pos += 5;
  int64_t ms = (hh * 3600LL + mm * 60LL) * 1000;
  int64_t span = 60'000;
  if (pos < s.size() && s[pos] == ':') {
    int ss = ReadDigits(s, pos + 1, 2);
    if (ss < 0 || ss > 60) return Bad(s, "bad second");
    ms += ss * 1000LL;
    span = 1000;
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      size_t digits = 0;
      int64_t frac = 0;
      for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++digits) {
        if (digits < 3) frac = frac * 10 + (s[pos] - '0');
      }
      if (digits == 0) return Bad(s, "empty fraction");
      for (size_t d = digits; d < 3; ++d) frac *= 10;
      ms += frac;
      span = 1;
    }
  }
  int64_t offset_ms = 0;
  if (pos < s.size()) {
    char z = s[pos];
    if (z == 'Z' && pos + 1 == s.size()) {
      offset_ms = 0;
    } else if ((z == '+' || z == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
      int oh = ReadDigits(s, pos + 1, 2), om = ReadDigits(s, pos + 4, 2);
      if (oh < 0 || oh > 14 || om < 0 || om > 59) return Bad(s, "bad time zone");
      offset_ms = (oh * 60LL + om) * 60'000 * (z == '+' ? 1 : -1);
    } else {
      return Bad(s, "bad time zone");
    }
  }
  *start_ms = ms - offset_ms;
  *span_ms = span;
  return Status::Ok();
}

}  // namespace

bool IsValidCalendarDate(int year, int month, int day) {
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(year, month);
}

int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Result<DateRange> ParseFhirDate(std::string_view s) {
  int year = ReadDigits(s, 0, 4);
  if (year < 1) return Bad(s, "expected a four-digit year");
  if (s.size() == 4) {
    return DateRange{DaysFromCivil(year, 1, 1) * kMsPerDay,
                     DaysFromCivil(year + 1, 1, 1) * kMsPerDay - 1};
  }
  int month = s.size() >= 7 && s[4] == '-' ? ReadDigits(s, 5, 2) : -1;
  if (month < 1 || month > 12) return Bad(s, "bad month");
  if (s.size() == 7) {
    int ny = month == 12 ? year + 1 : year, nm = month == 12 ? 1 : month + 1;
    return DateRange{DaysFromCivil(year, month, 1) * kMsPerDay,
                     DaysFromCivil(ny, nm, 1) * kMsPerDay - 1};
  }
  int day = s.size() >= 10 && s[7] == '-' ? ReadDigits(s, 8, 2) : -1;
  if (day < 0 || !IsValidCalendarDate(year, month, day)) return Bad(s, "bad day");
  int64_t midnight = DaysFromCivil(year, month, day) * kMsPerDay;
  if (s.size() == 10) return DateRange{midnight, midnight + kMsPerDay - 1};
  if (s[10] != 'T') return Bad(s, "expected 'T' before the time");
  int64_t start = 0, span = 0;
  WARD_RETURN_IF_ERROR(ParseTime(s, 11, &start, &span));
  return DateRange{midnight + start, midnight + start + span - 1};
}

std::string FormatHttpDate(int64_t millis) {
  std::time_t secs = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace ward::ehr
