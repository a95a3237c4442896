#include "protocol/op.h"

#include <algorithm>

namespace ward {

Status CheckPurposeOfUse(std::string_view code) {
  bool plain =
      !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
      });
  if (plain) return Status::Ok();
  return InvalidArgument(
      "a purpose of use must be a code of 1-64 letters, digits, '.', '_' or '-' (e.g. TREAT, "
      "HPAYMT, HOPERAT from HL7 v3 PurposeOfUse)");
}

}  // namespace ward
