#include "audit/signing_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "util/hash.h"

namespace ward {
namespace {

constexpr size_t kRawKeyBytes = 32;
constexpr size_t kSignatureBytes = 64;
constexpr size_t kMaxKeyFileBytes = 4096;
constexpr std::string_view kPublicPrefix = "ed25519:";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// The whole key file, after checking that only this user can read or change it.
Result<std::string> ReadPrivateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("no audit signing key at " + path);
    return InvalidArgument(Errno("cannot open the audit signing key", path));
  }
  struct stat st {};
  Status problem = Status::Ok();
  if (::fstat(fd, &st) != 0) {
    problem = InvalidArgument(Errno("cannot inspect the audit signing key", path));
  } else if (!S_ISREG(st.st_mode)) {
    problem = PermissionDenied("refusing the audit signing key " + path + ": not a regular file");
  } else if (st.st_uid != ::geteuid()) {
    problem = PermissionDenied("refusing the audit signing key " + path + ": owned by uid " +
                               std::to_string(st.st_uid) + ", not by this user");
  } else if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    problem = PermissionDenied("refusing the audit signing key " + path + ": its mode " + mode +
                               " lets other users read or change it (chmod 600 it, or make a "
                               "new key)");
  } else if (st.st_size > static_cast<off_t>(kMaxKeyFileBytes)) {
    problem = InvalidArgument("the audit signing key " + path + " is larger than " +
                              std::to_string(kMaxKeyFileBytes) + " bytes");
  }
  std::string text;
  if (problem.ok()) {
    text.resize(static_cast<size_t>(st.st_size));
    ssize_t n = ::read(fd, text.data(), text.size());
    if (n != static_cast<ssize_t>(text.size()))
      problem = InvalidArgument(Errno("cannot read the audit signing key", path));
  }
  ::close(fd);
  if (!problem.ok()) {
    OPENSSL_cleanse(text.data(), text.size());
    return problem;
  }
  return text;
}

Result<AuditPublicKey> PublicOf(EVP_PKEY* key) {
  unsigned char raw[kRawKeyBytes];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != kRawKeyBytes)
    return Internal("cannot derive the audit signing key's public key");
  return AuditPublicKey::Parse(std::string(kPublicPrefix) +
                               HexEncode(std::string_view(reinterpret_cast<char*>(raw), len)));
}

// A new key as PEM (PKCS#8).
Result<std::string> NewKeyPem() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return Internal("cannot generate an Ed25519 key");
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Internal("cannot encode the new audit signing key");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

// Writes `pem` to a new 0600 file beside `path` and links it to `path`: the key
// appears whole or not at all, and an existing one is never replaced (Ok either way).
Status CreateKeyFile(const std::string& path, std::string pem) {
  std::string tmp = path + ".tmp." + RandomHex(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return InvalidArgument(Errno("cannot create the audit signing key", tmp));
  bool written =
      ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
  int write_errno = errno;
  ::close(fd);
  OPENSSL_cleanse(pem.data(), pem.size());
  Status result = Status::Ok();
  if (!written) {
    errno = write_errno;
    result = InvalidArgument(Errno("cannot write the audit signing key", tmp));
  } else if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    result = InvalidArgument(Errno("cannot create the audit signing key", path));
  }
  ::unlink(tmp.c_str());
  return result;
}

}  // namespace

Result<AuditPublicKey> AuditPublicKey::Parse(std::string_view text) {
  AuditPublicKey key;
  if (text.substr(0, kPublicPrefix.size()) != kPublicPrefix ||
      !HexDecode(text.substr(kPublicPrefix.size()), &key.raw_) || key.raw_.size() != kRawKeyBytes)
    return InvalidArgument("not an audit public key (expected \"ed25519:\" and 64 hex digits)");
  return key;
}

Result<AuditPublicKey> AuditPublicKey::FromTextOrFile(const std::string& text_or_path) {
  if (text_or_path.rfind(kPublicPrefix, 0) == 0) return Parse(text_or_path);
  std::ifstream in(text_or_path, std::ios::binary);
  if (!in) return InvalidArgument("--key: " + text_or_path + " is neither a public key nor a file");
  std::string line;
  line.resize(256);
  in.read(line.data(), static_cast<std::streamsize>(line.size()));
  line.resize(static_cast<size_t>(in.gcount()));
  line = line.substr(0, line.find_first_of("\r\n"));
  auto key = Parse(line);
  if (!key.ok()) return InvalidArgument(text_or_path + ": " + key.status().message());
  return key;
}

std::string AuditPublicKey::Text() const { return std::string(kPublicPrefix) + HexEncode(raw_); }

std::string AuditPublicKey::Id() const { return Sha256Hex(raw_).substr(0, 16); }

bool AuditPublicKey::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kSignatureBytes) return false;
  Pkey key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw_.data()), raw_.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

struct SigningKey::Impl {
  Pkey key;
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl, AuditPublicKey pub)
    : impl_(std::move(impl)), public_(std::move(pub)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<std::string> SigningKey::Sign(std::string_view message) const {
  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char sig[kSignatureBytes];
  size_t len = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      len != kSignatureBytes)
    return Internal("cannot sign with the audit signing key");
  return std::string(reinterpret_cast<char*>(sig), len);
}

Result<SigningKey> LoadSigningKey(const std::string& path) {
  WARD_ASSIGN_OR_RETURN(std::string pem, ReadPrivateFile(path));
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    return InvalidArgument("the audit signing key " + path +
                           " is not an Ed25519 private key (PEM, PKCS#8)");
  WARD_ASSIGN_OR_RETURN(AuditPublicKey pub, PublicOf(key.get()));
  auto impl = std::make_unique<SigningKey::Impl>();
  impl->key = std::move(key);
  return SigningKey(std::move(impl), std::move(pub));
}

Result<SigningKey> LoadOrCreateSigningKey(const std::string& path) {
  auto loaded = LoadSigningKey(path);
  if (loaded.ok() || loaded.status().code() != StatusCode::kNotFound) return loaded;
  WARD_ASSIGN_OR_RETURN(std::string pem, NewKeyPem());
  WARD_RETURN_IF_ERROR(CreateKeyFile(path, std::move(pem)));
  return LoadSigningKey(path);
}

}  // namespace ward
