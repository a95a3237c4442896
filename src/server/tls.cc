#include "server/tls.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

#include "util/hash.h"

namespace ward::server {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

bool AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

std::string AltNames(const std::string& extra) {
  std::string names = "DNS:localhost,IP:127.0.0.1,IP:::1";
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0]) names += ",DNS:" + std::string(host);
  if (!extra.empty()) {
    bool ip = extra.find_first_not_of("0123456789.:") == std::string::npos;
    names += (ip ? ",IP:" : ",DNS:") + extra;
  }
  return names;
}

Result<Cert> MakeCertificate(EVP_PKEY* key, const std::string& extra) {
  Cert cert(X509_new(), X509_free);
  if (!cert) return Internal("X509_new failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()),
                          std::stoull(RandomHex(7), nullptr, 16));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 730);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ward"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ward serve (self-signed)"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!AddExtension(cert.get(), NID_subject_alt_name, AltNames(extra)) ||
      !AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth"))
    return Internal("cannot add certificate extensions");
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return Internal("cannot sign certificate");
  return cert;
}

Status WritePem(const std::string& path, mode_t mode, const std::function<bool(FILE*)>& write) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) return Internal("cannot create " + tmp);
  File f(fdopen(fd, "w"));
  if (!f) return Internal("cannot open " + tmp);
  if (!write(f.get())) return Internal("cannot write " + tmp);
  f.reset();
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Internal("cannot create " + path);
  return Status::Ok();
}

Result<std::string> Fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return Internal("cannot hash certificate");
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    if (i) out += ':';
    out += kDigits[md[i] >> 4];
    out += kDigits[md[i] & 15];
  }
  return out;
}

}  // namespace

Result<std::string> CertificateFingerprint(const std::string& cert_path) {
  File f(fopen(cert_path.c_str(), "r"));
  if (!f) return InvalidArgument("cannot read certificate " + cert_path);
  Cert cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return InvalidArgument(cert_path + " is not a PEM certificate");
  return Fingerprint(cert.get());
}

Result<TlsFiles> EnsureSelfSignedCertificate(const std::string& home,
                                             const std::string& extra_name) {
  TlsFiles files;
  std::string dir = home + "/tls";
  files.cert = dir + "/cert.pem";
  files.key = dir + "/key.pem";
  std::error_code ec;
  if (!std::filesystem::exists(files.cert, ec) || !std::filesystem::exists(files.key, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Internal("cannot create " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
    Key key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!key) return Internal("cannot generate a P-256 key");
    WARD_ASSIGN_OR_RETURN(Cert cert, MakeCertificate(key.get(), extra_name));
    WARD_RETURN_IF_ERROR(WritePem(files.key, 0600, [&](FILE* f) {
      return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    }));
    WARD_RETURN_IF_ERROR(
        WritePem(files.cert, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()) == 1; }));
    files.created = true;
  }
  WARD_ASSIGN_OR_RETURN(files.sha256_fingerprint, CertificateFingerprint(files.cert));
  return files;
}

}  // namespace ward::server
