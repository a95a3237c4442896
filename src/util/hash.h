// Hashing and random identifiers (OpenSSL underneath). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ward {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Lower-case hex of `bytes` random bytes from the OS CSPRNG.
std::string RandomHex(size_t bytes);

// A new identifier: `prefix` + "_" + 16 random hex digits, e.g. "s_3f9a0c1d2e4b5a6f".
std::string NewId(std::string_view prefix);

}  // namespace ward
