#include "server/auth.h"

#include <openssl/crypto.h>

#include "server/password.h"
#include "util/hash.h"

namespace ward::server {
namespace {

// "<id>.<secret>" → id; "" when malformed.
std::string CredentialId(const std::string& secret) {
  size_t dot = secret.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= secret.size()) return "";
  return secret.substr(0, dot);
}

IssuedCredential NewCredential(const std::string& prefix, const std::string& kind,
                               const std::string& user, int64_t now_ms) {
  IssuedCredential c;
  c.record.id = NewId(prefix);
  c.secret = c.record.id + "." + RandomHex(32);
  c.record.secret_hash = Sha256Hex(c.secret);
  c.record.kind = kind;
  c.record.user = user;
  c.record.created_ms = now_ms;
  return c;
}

// A scrypt hash to spend the same time on unknown users as on known ones.
const std::string& DummyHash() {
  static const std::string hash = HashPassword("ward-no-such-user").value_or("");
  return hash;
}

}  // namespace

Result<Role> ParseRole(const std::string& name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "approver") return Role::kApprover;
  if (name == "admin") return Role::kAdmin;
  return InvalidArgument("role must be viewer, approver or admin, not '" + name + "'");
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kApprover:
      return "approver";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

Result<IssuedCredential> CreateApiToken(ServerStore* store, Clock* clock, const std::string& user,
                                        const std::string& label) {
  WARD_RETURN_IF_ERROR(store->GetUser(user).status());
  IssuedCredential c = NewCredential("t", "api", user, clock->NowMillis());
  c.record.label = label;
  WARD_RETURN_IF_ERROR(store->CreateCredential(c.record));
  return c;
}

Result<Principal> CheckPassword(ServerStore* store, const std::string& user,
                                const std::string& password) {
  auto record = store->GetUser(user);
  if (!record.ok() && record.status().code() != StatusCode::kNotFound) return record.status();
  bool ok = record.ok() ? VerifyPassword(password, record->password_hash)
                        : (VerifyPassword(password, DummyHash()) && false);
  if (!ok) return Unauthenticated("wrong user name or password");
  WARD_ASSIGN_OR_RETURN(Role role, ParseRole(record->role));
  Principal p;
  p.user = record->name;
  p.role = role;
  return p;
}

Status LoginLimiter::Check(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return Status::Ok();
  int64_t now = clock_->NowMillis();
  int64_t until = it->second.window_start_ms + window_ms_;
  if (now >= until) {
    entries_.erase(it);
    return Status::Ok();
  }
  if (it->second.failures < max_failures_) return Status::Ok();
  return ResourceExhausted("too many failed logins; try again in " +
                           std::to_string((until - now + 999) / 1000) + " s");
}

void LoginLimiter::RecordFailure(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_->NowMillis();
  Entry& e = entries_[key];
  if (e.failures == 0 || now - e.window_start_ms >= window_ms_) e = {0, now};
  ++e.failures;
  if (entries_.size() > 100000) entries_.clear();  // bounded memory under a flood
}

void LoginLimiter::RecordSuccess(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(key);
}

Result<Principal> Authenticator::Authenticate(const std::string& bearer,
                                              const std::string& cookie) {
  const std::string& secret = !bearer.empty() ? bearer : cookie;
  if (secret.empty()) return Unauthenticated("authentication required");
  if (CredentialId(secret).empty()) return Unauthenticated("malformed credential");
  std::string hash = Sha256Hex(secret);
  // Read before the lookup: a change after it shows as a newer generation.
  WARD_ASSIGN_OR_RETURN(int64_t generation, store_->AuthGeneration());
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = verified_.find(hash);
    if (it != verified_.end() && it->second.generation == generation &&
        (it->second.expires_ms == 0 || clock_->NowMillis() < it->second.expires_ms)) {
      if (bearer.empty() != it->second.principal.browser)
        return Unauthenticated("credential used in the wrong place");
      return it->second.principal;
    }
  }
  return Lookup(hash, !bearer.empty(), generation);
}

Result<Principal> Authenticator::Lookup(const std::string& hash, bool bearer, int64_t generation) {
  auto found = store_->FindCredential(hash, clock_->NowMillis());
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound)
      return Unauthenticated("unknown, revoked or expired credential");
    return found.status();
  }
  if (!bearer != (found->kind == "web"))
    return Unauthenticated("credential used in the wrong place");
  auto user = store_->GetUser(found->user);
  if (!user.ok()) return Unauthenticated("the credential's user no longer exists");
  WARD_ASSIGN_OR_RETURN(Role role, ParseRole(user->role));
  Principal p{user->name, role, found->id, found->kind == "web", found->csrf};
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (verified_.size() >= 10000) verified_.clear();  // bounded; refilled on demand
  verified_[hash] = Verified{p, found->expires_ms, generation};
  return p;
}

Result<std::pair<Principal, std::string>> Authenticator::Login(const std::string& user,
                                                               const std::string& password,
                                                               const std::string& client) {
  // Failures count against the address they come from (and the user there), never
  // against the user alone: an attacker's wrong guesses must not lock the user out
  // of their own address.
  const std::string client_key = "addr:" + client, user_key = "user:" + user + "@" + client;
  WARD_RETURN_IF_ERROR(limiter_.Check(client_key));
  WARD_RETURN_IF_ERROR(limiter_.Check(user_key));
  auto checked = CheckPassword(store_, user, password);
  if (!checked.ok()) {
    if (checked.status().code() != StatusCode::kUnauthenticated) return checked.status();
    limiter_.RecordFailure(client_key);
    limiter_.RecordFailure(user_key);
    return checked.status();
  }
  limiter_.RecordSuccess(user_key);
  Role role = checked->role;
  int64_t now = clock_->NowMillis();
  IssuedCredential c = NewCredential("w", "web", user, now);
  c.record.csrf = RandomHex(24);
  c.record.expires_ms = now + web_session_ms_;
  WARD_RETURN_IF_ERROR(store_->CreateCredential(c.record));
  Principal p{user, role, c.record.id, true, c.record.csrf};
  return std::make_pair(p, c.secret);
}

Status Authenticator::Logout(const Principal& principal) {
  if (!principal.browser) return InvalidArgument("only a browser session can log out");
  return store_->RevokeCredential(principal.credential_id, clock_->NowMillis());
}

}  // namespace ward::server
