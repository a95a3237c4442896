// Password hashing for ward's users: scrypt (memory-hard) through OpenSSL.
//
// HashPassword returns a self-describing string "scrypt$<log2 N>$<r>$<p>$<salt hex>$<key hex>"
// with a fresh 16-byte salt, so the cost can be raised later without breaking stored
// hashes. VerifyPassword recomputes with the stored parameters and compares in
// constant time; it returns false for a malformed hash. Thread-safe (pure).
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace ward::server {

struct ScryptParams {
  int log2_n = 15;  // N = 32768: 32 MiB with r = 8
  int r = 8;
  int p = 1;
};

// Internal on an OpenSSL failure (e.g. not enough memory).
Result<std::string> HashPassword(std::string_view password, ScryptParams params = {});
bool VerifyPassword(std::string_view password, const std::string& stored);

}  // namespace ward::server
