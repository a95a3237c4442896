#include "util/clock.h"

#include <cstdio>
#include <ctime>
#include <thread>

namespace ward {

int64_t SystemClock::NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t SystemClock::MonotonicMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

void SystemClock::SleepFor(int64_t millis) {
  if (millis > 0) std::this_thread::sleep_for(std::chrono::milliseconds(millis));
}

Clock* SystemClock::Default() {
  static SystemClock* clock = new SystemClock();
  return clock;
}

std::string FormatIso8601(int64_t millis) {
  // The calendar from <chrono> (no gmtime_r: it takes the time-zone lock), and the
  // digits written directly: this runs for every audit entry.
  using namespace std::chrono;
  sys_time<milliseconds> t{milliseconds(millis)};
  sys_days day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> hms{t - day};
  int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // outside what four digits hold: the general path
    char buf[64];
    snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year,
             static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
             static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
             static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
    return buf;
  }
  char out[] = "0000-00-00T00:00:00.000Z";
  auto put = [&out](int at, int value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10)
      out[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  put(8, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  put(11, static_cast<int>(hms.hours().count()), 2);
  put(14, static_cast<int>(hms.minutes().count()), 2);
  put(17, static_cast<int>(hms.seconds().count()), 2);
  put(20, static_cast<int>(hms.subseconds().count()), 3);
  return std::string(out, sizeof(out) - 1);
}

bool ParseIso8601(const std::string& text, int64_t* out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, consumed = 0;
  if (sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10)
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  size_t pos = 10;
  int frac_ms = 0;
  int64_t offset_s = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != ' ') return false;
    int n = 0;
    if (sscanf(text.c_str() + pos + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5) return false;
    pos += 1 + n;
    if (pos < text.size() && text[pos] == ':') {
      if (sscanf(text.c_str() + pos + 1, "%2d%n", &s, &n) != 1 || n != 2) return false;
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < text.size() && isdigit(static_cast<unsigned char>(text[pos]))) {
          if (digits < 3) frac_ms = frac_ms * 10 + (text[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return false;
        for (int i = digits; i < 3; ++i) frac_ms *= 10;
      }
    }
    if (pos < text.size()) {
      if (text[pos] == 'Z' && pos + 1 == text.size()) {
        pos++;
      } else if ((text[pos] == '+' || text[pos] == '-') && text.size() - pos == 6) {
        int oh = 0, om = 0;
        if (sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return false;
        offset_s = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
        pos = text.size();
      } else {
        return false;
      }
    }
  }
  if (h > 23 || mi > 59 || s > 60) return false;
  struct tm tm_utc = {};
  tm_utc.tm_year = y - 1900;
  tm_utc.tm_mon = mo - 1;
  tm_utc.tm_mday = d;
  tm_utc.tm_hour = h;
  tm_utc.tm_min = mi;
  tm_utc.tm_sec = s;
  time_t secs = timegm(&tm_utc);
  *out = (static_cast<int64_t>(secs) - offset_s) * 1000 + frac_ms;
  return true;
}

}  // namespace ward
