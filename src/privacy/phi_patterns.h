// PhiPatterns: identifiers found by their shape rather than by where they sit —
// dates, phone numbers, US social security numbers, e-mail addresses, and the
// identifier formats an installation names (`[privacy] identifier_patterns`, RE2
// syntax, e.g. an MRN format). The second line of detection after the values
// known from FHIR resources (privacy/fhir_identifiers.h).
//
// Dates: ISO 8601 dates and date-times (1800-2099), M/D/Y, D.M.Y, "March 1, 1960",
// "1 March 1960", and Python's datetime.date(1960, 3, 1) repr. A year alone, or a
// year and month, is not a date here. RE2 (linear time, no recursion), so any
// text is safe to scan. Immutable once made: safe from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace re2 {
class RE2;
}

namespace ward {

enum class PhiPatternKind { kDate, kPhone, kSsn, kEmail, kCustom };

class PhiPatterns {
 public:
  struct Hit {
    size_t begin = 0;
    size_t length = 0;
    PhiPatternKind kind = PhiPatternKind::kDate;
  };

  // InvalidArgument naming the pattern when one of `custom` does not compile or
  // matches the empty string.
  static Result<std::shared_ptr<const PhiPatterns>> Make(const std::vector<std::string>& custom);
  ~PhiPatterns();

  // The non-overlapping hits in `text`, in order.
  std::vector<Hit> FindAll(std::string_view text) const;

 private:
  PhiPatterns() = default;
  static Result<std::shared_ptr<const PhiPatterns>> Compile(const std::vector<std::string>& custom);
  std::unique_ptr<re2::RE2> all_;  // one alternation; group i+1 is kinds_[i]
  std::vector<PhiPatternKind> kinds_;
};

// Checks one `[privacy] identifier_patterns` entry: OK, or why it is refused.
Status CheckIdentifierPattern(const std::string& pattern);

}  // namespace ward
