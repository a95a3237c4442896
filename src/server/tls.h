// TLS material for `ward serve --tls-self-signed`: a self-signed certificate for
// use on a LAN, created once under <home>/tls/ and reused afterwards (so a phone
// that trusted it keeps trusting it). Not thread-safe; call before serving.
#pragma once

#include <string>

#include "util/status.h"

namespace ward::server {

struct TlsFiles {
  std::string cert;  // PEM
  std::string key;   // PEM, mode 0600
  bool created = false;
  std::string sha256_fingerprint;  // of the certificate (DER), "AB:CD:…"
};

// Reuses <home>/tls/cert.pem and key.pem when both exist; otherwise creates an
// ECDSA P-256 key and a certificate valid for ~2 years for localhost, 127.0.0.1
// and this machine's host name (plus `extra_name`, when not empty). Internal on an
// OpenSSL or file failure.
Result<TlsFiles> EnsureSelfSignedCertificate(const std::string& home,
                                             const std::string& extra_name);

// The SHA-256 fingerprint of a PEM certificate file; InvalidArgument if unreadable.
Result<std::string> CertificateFingerprint(const std::string& cert_path);

}  // namespace ward::server
