// Other common spellings of an identifier's value, so that a value learned once is
// found however code prints it (privacy/pseudonymizer.h): Python's \uXXXX JSON
// escapes of non-ASCII text, URL encoding, and for dates, phone numbers and SSNs
// their usual written forms. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ward {

enum class ValueShape { kText, kDate, kPhone, kSsn };

// The spellings of `value` other than itself (some may equal it but for case).
// kDate expects "YYYY-MM-DD" (maybe with a time); a value not of its shape gets
// only the text variants.
std::vector<std::string> SpellingVariants(std::string_view value, ValueShape shape);

}  // namespace ward
