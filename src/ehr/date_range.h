// FHIR date, dateTime and instant values as millisecond ranges.
//
// A FHIR date has an implicit precision ("2019" means the whole year), so every
// value is a closed range [low_ms, high_ms] in milliseconds since the Unix epoch
// (UTC). Values without a time zone are taken as UTC. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "util/status.h"

namespace ward::ehr {

struct DateRange {
  int64_t low_ms = 0;   // first millisecond covered
  int64_t high_ms = 0;  // last millisecond covered (inclusive)
};

// Parses YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm, YYYY-MM-DDThh:mm:ss[.f+], each
// time optionally followed by Z or +hh:mm / -hh:mm. Rejects impossible calendar
// dates (e.g. 2019-02-30). Returns InvalidArgument naming the problem.
Result<DateRange> ParseFhirDate(std::string_view text);

// True when `year`-`month`-`day` exists in the proleptic Gregorian calendar.
bool IsValidCalendarDate(int year, int month, int day);

// Days since 1970-01-01 of a civil date (negative before it).
int64_t DaysFromCivil(int year, int month, int day);

// "Tue, 15 Nov 1994 08:12:31 GMT" (RFC 7231 IMF-fixdate) for an epoch millisecond.
std::string FormatHttpDate(int64_t millis_since_epoch);

}  // namespace ward::ehr
