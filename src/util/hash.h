// Hashing and random identifiers (OpenSSL underneath). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ward {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Lower-case hex of `bytes` random bytes from the OS CSPRNG.
std::string RandomHex(size_t bytes);

// Lower-case hex of `bytes`, and back: HexDecode is false (leaving *bytes alone)
// when `hex` is not an even number of hex digits (either case).
std::string HexEncode(std::string_view bytes);
bool HexDecode(std::string_view hex, std::string* bytes);

// A new identifier: `prefix` + "_" + 16 random hex digits, e.g. "s_3f9a0c1d2e4b5a6f".
std::string NewId(std::string_view prefix);

}  // namespace ward
