// The audit log's Ed25519 signing key (OpenSSL EVP), used to sign checkpoints.
//
// The private key lives in one file (PEM, PKCS#8 — `openssl pkey` reads it):
// LoadOrCreateSigningKey() creates it on first use (mode 0600, written to a
// temporary file and linked into place, so it appears whole or not at all and an
// existing key is never overwritten); LoadSigningKey() only reads. Both refuse a
// key file that is not a regular file, is owned by another user, or is readable
// or writable by group or others (PermissionDenied, naming the path and the mode,
// never the key). The private key is never printed or logged.
//
// A public key's text form is "ed25519:" + 64 lower-case hex digits (the raw 32
// bytes); its id is the first 16 hex digits of the SHA-256 of those bytes.
// Instances are immutable after loading; Sign and Verify are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ward {

class AuditPublicKey {
 public:
  // Parses the text form; InvalidArgument when it is not "ed25519:<64 hex>".
  static Result<AuditPublicKey> Parse(std::string_view text);
  // The text form, or (when `text` is not one) the first line of the file it names.
  static Result<AuditPublicKey> FromTextOrFile(const std::string& text_or_path);

  std::string Text() const;  // "ed25519:<hex>"
  std::string Id() const;    // 16 hex digits
  // True when `signature` (64 raw bytes) is this key's signature of `message`.
  bool Verify(std::string_view message, std::string_view signature) const;

  const std::string& raw() const { return raw_; }

 private:
  std::string raw_;  // 32 bytes
};

class SigningKey {
 public:
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  const AuditPublicKey& public_key() const { return public_; }
  // The 64-byte Ed25519 signature of `message`; Internal when OpenSSL fails.
  Result<std::string> Sign(std::string_view message) const;

 private:
  friend Result<SigningKey> LoadSigningKey(const std::string& path);
  friend Result<SigningKey> LoadOrCreateSigningKey(const std::string& path);
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl, AuditPublicKey pub);
  std::unique_ptr<Impl> impl_;
  AuditPublicKey public_;
};

// Reads the key at `path`: NotFound when absent; PermissionDenied when its owner
// or mode is wrong; InvalidArgument when it is not an Ed25519 private key.
Result<SigningKey> LoadSigningKey(const std::string& path);
// LoadSigningKey, creating the key first when `path` does not exist.
Result<SigningKey> LoadOrCreateSigningKey(const std::string& path);

}  // namespace ward
