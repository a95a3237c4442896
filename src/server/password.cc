#include "server/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdint>
#include <vector>

#include "util/hash.h"

namespace ward::server {
namespace {

constexpr size_t kKeyBytes = 32;

std::string Hex(const std::vector<unsigned char>& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

bool Unhex(const std::string& hex, std::vector<unsigned char>* out) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<unsigned char>(hi * 16 + lo));
  }
  return true;
}

bool Derive(std::string_view password, const std::vector<unsigned char>& salt, ScryptParams p,
            std::vector<unsigned char>* key) {
  key->assign(kKeyBytes, 0);
  uint64_t n = uint64_t{1} << p.log2_n;
  uint64_t max_mem = 128 * n * static_cast<uint64_t>(p.r) + (uint64_t{16} << 20);
  return EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n,
                        static_cast<uint64_t>(p.r), static_cast<uint64_t>(p.p), max_mem,
                        key->data(), key->size()) == 1;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == sep) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, ScryptParams params) {
  std::vector<unsigned char> salt;
  if (!Unhex(RandomHex(16), &salt)) return Internal("cannot make a salt");
  std::vector<unsigned char> key;
  if (!Derive(password, salt, params, &key)) return Internal("scrypt failed");
  return "scrypt$" + std::to_string(params.log2_n) + "$" + std::to_string(params.r) + "$" +
         std::to_string(params.p) + "$" + Hex(salt) + "$" + Hex(key);
}

bool VerifyPassword(std::string_view password, const std::string& stored) {
  std::vector<std::string> parts = Split(stored, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  ScryptParams p;
  try {
    p.log2_n = std::stoi(parts[1]);
    p.r = std::stoi(parts[2]);
    p.p = std::stoi(parts[3]);
  } catch (...) {
    return false;
  }
  if (p.log2_n < 1 || p.log2_n > 22 || p.r < 1 || p.r > 32 || p.p < 1 || p.p > 16) return false;
  std::vector<unsigned char> salt, expected, key;
  if (!Unhex(parts[4], &salt) || !Unhex(parts[5], &expected) || expected.size() != kKeyBytes)
    return false;
  if (!Derive(password, salt, p, &key)) return false;
  return CRYPTO_memcmp(key.data(), expected.data(), kKeyBytes) == 0;
}

}  // namespace ward::server
