// ServerStore: the records only `ward serve` and its admin commands need — users
// and their roles, credentials (API tokens and browser login sessions, both kept
// as SHA-256 hashes of high-entropy secrets, never the secret), and the aggregate
// counts /metrics reports. It lives in the same SQLite file as the Store (own
// tables), so any `ward serve` node on that file sees the same users.
//
// OpenSqliteServerStore() opens its own connection; every method returns a Status
// instead of throwing. Thread-safe (calls are serialised internally).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"

namespace ward {

struct UserRecord {
  std::string name;
  std::string role;           // "viewer", "approver", "admin"
  std::string password_hash;  // a self-describing KDF string (see server/password.h)
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// A credential. kind "api" (a bearer token made by `ward token create`) or "web"
// (a browser login; it also carries the CSRF token its state changes must echo).
struct CredentialRecord {
  std::string id;           // "t_..." for api, "w_..." for web; shown, safe to log
  std::string secret_hash;  // SHA-256 hex of the secret
  std::string kind;
  std::string user;
  std::string label;
  std::string csrf;  // web only
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // 0 = never
  int64_t revoked_ms = 0;  // 0 = live
  int64_t last_used_ms = 0;
};

struct StoreCounts {
  std::map<std::string, int64_t> sessions_by_status;
  int64_t approvals_pending = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

class ServerStore {
 public:
  virtual ~ServerStore() = default;

  // Creates the user, or with `replace` overwrites role and password hash.
  // AlreadyExists when it exists and !replace.
  virtual Status PutUser(const UserRecord& user, bool replace) = 0;
  virtual Result<UserRecord> GetUser(const std::string& name) = 0;  // NotFound
  virtual Result<std::vector<UserRecord>> ListUsers() = 0;

  virtual Status CreateCredential(const CredentialRecord& credential) = 0;
  // The live credential whose secret hashes to `secret_hash`: NotFound when there
  // is none, or it was revoked, or it expired at `now_ms`.
  virtual Result<CredentialRecord> FindCredential(const std::string& secret_hash,
                                                  int64_t now_ms) = 0;
  // A number that changes whenever a credential is revoked or removed, or a user
  // changed or removed — by any process on the same file. What was found with
  // FindCredential/GetUser may be reused while it stays the same.
  virtual Result<int64_t> AuthGeneration() = 0;
  // Marks it revoked (idempotent). NotFound when no such id.
  virtual Status RevokeCredential(const std::string& id, int64_t now_ms) = 0;
  // Credentials of `user` ("" = everyone's), newest first.
  virtual Result<std::vector<CredentialRecord>> ListCredentials(const std::string& user) = 0;

  // Sessions by status, pending approvals, model tokens used (summed).
  virtual Result<StoreCounts> Counts(int64_t now_ms) = 0;
};

Result<std::unique_ptr<ServerStore>> OpenSqliteServerStore(const std::string& path);

}  // namespace ward
