// Spellings: the other ways ordinary code prints a known value, so that the
// pseudonymizer (privacy/pseudonymizer.h) finds it in each of them.
//
// Escapes: the value as ReIdentifyCode writes it into a Python literal (a
// traceback or SyntaxError echoes that source line), as a JSON string body
// (json.dumps of a value with quotes, backslashes or line breaks), as HTML
// narrative writes it (&#39;, &#x27;, &apos;, &amp; ...), as Python's repr of its
// UTF-8 bytes (b'Mu\xc3\xb1oz') and its ascii() ('Mu\xf1oz'); a UUID also
// without dashes and by its first groups (id[:8], a truncated table cell).
// Case: str.upper() and str.lower() of letters beyond ASCII (Latin-1, Latin
// Extended-A, Greek, Cyrillic; ß upper-cases to SS), which the ASCII-folding
// matcher cannot fold. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ward {

// `value` escaped to stay one string inside any Python string literal that held
// a token, including an f-string: backslash, both quotes, CR and LF, NUL, and
// braces (\x7b, \x7d: text in an f-string, the same character elsewhere).
std::string PythonLiteralEscaped(std::string_view value);

// The escaped spellings of `value` that differ from it (none for plain text).
std::vector<std::string> EscapedSpellings(std::string_view value);

// str.upper() and str.lower() of `value` where they differ from it beyond ASCII
// case; empty when the value is ASCII or not valid UTF-8.
std::vector<std::string> CaseSpellings(std::string_view value);

}  // namespace ward
