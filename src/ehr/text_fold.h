// Normalisation of text for FHIR string search: case- and accent-insensitive.
//
// FoldForSearch lower-cases ASCII, maps the accented Latin letters of U+00C0..U+017F
// to their base letters (æ → ae, ß → ss, œ → oe), drops combining marks
// (U+0300..U+036F) and keeps every other character unchanged. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ward::ehr {

std::string FoldForSearch(std::string_view text);

}  // namespace ward::ehr
