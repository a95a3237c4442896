// Users, roles and credentials for `ward serve`.
//
// Roles are ordered: viewer < approver < admin. A viewer reads; an approver also
// starts and cancels sessions and decides approvals; an admin also manages users
// and tokens. Credentials are random secrets of the form "<id>.<secret>" whose
// SHA-256 is stored (ServerStore); the plain secret is returned once, at creation.
// API tokens ("t_…") come from `ward token create`; browser logins ("w_…") from
// Login(), with a CSRF token the browser must echo on state changes.
//
// A credential that verified is remembered in memory by its SHA-256, with its user
// and role, and reused while ServerStore::AuthGeneration() is unchanged — any
// revocation, role change or user removal, from any process, changes it — and
// until the credential expires. So a request costs one tiny read, not two lookups.
//
// Authenticator is thread-safe; it never logs or returns a stored secret.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/server_store.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward::server {

enum class Role { kViewer = 0, kApprover = 1, kAdmin = 2 };

// InvalidArgument for anything but "viewer", "approver", "admin".
Result<Role> ParseRole(const std::string& name);
const char* RoleName(Role role);

// Who is calling, once authenticated.
struct Principal {
  std::string user;
  Role role = Role::kViewer;
  std::string credential_id;
  bool browser = false;  // authenticated by the session cookie
  std::string csrf;      // browser only
};

struct IssuedCredential {
  CredentialRecord record;
  std::string secret;  // "<id>.<random>": shown once, never stored
};

// Creates an API token for an existing user. NotFound for an unknown user.
Result<IssuedCredential> CreateApiToken(ServerStore* store, Clock* clock, const std::string& user,
                                        const std::string& label);

// The user whose password this is: Unauthenticated ("wrong user name or password",
// the same for both, after the same work) otherwise. Creates no credential; used by
// Login and by the CLI when a person acts as a ward user (`ward approve --as`).
Result<Principal> CheckPassword(ServerStore* store, const std::string& user,
                                const std::string& password);

// Counts failed logins per key (a client address, or a user at an address) within
// a window and refuses further attempts past the limit until the window has passed.
class LoginLimiter {
 public:
  LoginLimiter(Clock* clock, int max_failures = 5, int64_t window_ms = 15 * 60 * 1000)
      : clock_(clock), max_failures_(max_failures), window_ms_(window_ms) {}
  // ResourceExhausted (with the seconds to wait) when `key` is locked out.
  Status Check(const std::string& key);
  void RecordFailure(const std::string& key);
  void RecordSuccess(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    int64_t window_start_ms = 0;
  };
  Clock* clock_;
  int max_failures_;
  int64_t window_ms_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

class Authenticator {
 public:
  Authenticator(ServerStore* store, Clock* clock, int64_t web_session_ms = 12 * 3600 * 1000)
      : store_(store), clock_(clock), limiter_(clock), web_session_ms_(web_session_ms) {}

  // Resolves a bearer token (API) or a session cookie value (browser).
  // Unauthenticated when neither is given or the credential is unknown, revoked or
  // expired, or its user no longer exists.
  Result<Principal> Authenticate(const std::string& bearer, const std::string& cookie);

  // Checks the password and creates a browser session. Unauthenticated on a wrong
  // user or password (the same message for both); ResourceExhausted while the
  // address `client` has failed too often recently. Failures never lock `user` out
  // of other addresses.
  Result<std::pair<Principal, std::string>> Login(const std::string& user,
                                                  const std::string& password,
                                                  const std::string& client);
  // Revokes the browser session (logout).
  Status Logout(const Principal& principal);

  int64_t web_session_ms() const { return web_session_ms_; }

 private:
  struct Verified {
    Principal principal;
    int64_t expires_ms = 0;  // 0 = never
    int64_t generation = 0;  // AuthGeneration() when it was looked up
  };
  Result<Principal> Lookup(const std::string& secret_hash, bool bearer, int64_t generation);

  ServerStore* store_;
  Clock* clock_;
  LoginLimiter limiter_;
  int64_t web_session_ms_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, Verified> verified_;  // by secret hash; guarded by cache_mu_
};

}  // namespace ward::server
