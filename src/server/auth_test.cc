#include "server/auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "server/password.h"
#include "store/store.h"
#include "util/hash.h"

namespace ward::server {
namespace {

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ward_auth_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::string db = (dir_ / "ward.db").string();
    store_ = std::move(OpenSqliteStore(db)).value();
    users_ = std::move(OpenSqliteServerStore(db)).value();
    std::string hash = *HashPassword("s3cret-pass", {10, 8, 1});
    ASSERT_TRUE(users_->PutUser({"ann", "approver", hash, 1, 1}, false).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServerStore> users_;
  ManualClock clock_;
};

TEST_F(AuthTest, ApiTokenAuthenticatesUntilRevoked) {
  Authenticator auth(users_.get(), &clock_);
  auto token = CreateApiToken(users_.get(), &clock_, "ann", "ci");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->record.secret_hash, Sha256Hex(token->secret));
  auto p = auth.Authenticate(token->secret, "");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user, "ann");
  EXPECT_EQ(p->role, Role::kApprover);
  EXPECT_FALSE(p->browser);
  // An API token is not a cookie.
  EXPECT_EQ(auth.Authenticate("", token->secret).status().code(), StatusCode::kUnauthenticated);
  ASSERT_TRUE(users_->RevokeCredential(token->record.id, 5).ok());
  EXPECT_EQ(auth.Authenticate(token->secret, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(CreateApiToken(users_.get(), &clock_, "nobody", "").status().code(),
            StatusCode::kNotFound);
}

// Counts the credential lookups that reach the store.
class CountingServerStore : public ServerStore {
 public:
  explicit CountingServerStore(ServerStore* real) : real_(real) {}
  int lookups = 0;
  Status PutUser(const UserRecord& u, bool replace) override { return real_->PutUser(u, replace); }
  Result<UserRecord> GetUser(const std::string& name) override { return real_->GetUser(name); }
  Result<std::vector<UserRecord>> ListUsers() override { return real_->ListUsers(); }
  Status CreateCredential(const CredentialRecord& c) override { return real_->CreateCredential(c); }
  Result<CredentialRecord> FindCredential(const std::string& hash, int64_t now_ms) override {
    ++lookups;
    return real_->FindCredential(hash, now_ms);
  }
  Result<int64_t> AuthGeneration() override { return real_->AuthGeneration(); }
  Status RevokeCredential(const std::string& id, int64_t now_ms) override {
    return real_->RevokeCredential(id, now_ms);
  }
  Result<std::vector<CredentialRecord>> ListCredentials(const std::string& user) override {
    return real_->ListCredentials(user);
  }
  Result<StoreCounts> Counts(int64_t now_ms) override { return real_->Counts(now_ms); }

 private:
  ServerStore* real_;
};

TEST_F(AuthTest, VerifiedTokensAreRememberedUntilAnotherProcessChangesCredentials) {
  CountingServerStore counting(users_.get());
  Authenticator auth(&counting, &clock_);
  auto token = CreateApiToken(users_.get(), &clock_, "ann", "ci");
  ASSERT_TRUE(token.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(auth.Authenticate(token->secret, "").ok());
  EXPECT_EQ(counting.lookups, 1);
  // Another connection to the same file, as `ward user add --replace` or `ward token
  // revoke` in another process would be.
  auto other = std::move(OpenSqliteServerStore((dir_ / "ward.db").string())).value();
  std::string hash = *HashPassword("s3cret-pass", {10, 8, 1});
  ASSERT_TRUE(other->PutUser({"ann", "viewer", hash, 1, 2}, true).ok());
  auto demoted = auth.Authenticate(token->secret, "");
  ASSERT_TRUE(demoted.ok());
  EXPECT_EQ(demoted->role, Role::kViewer);
  EXPECT_EQ(counting.lookups, 2);
  ASSERT_TRUE(other->RevokeCredential(token->record.id, 5).ok());
  EXPECT_EQ(auth.Authenticate(token->secret, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, LoginGivesAnExpiringBrowserSessionWithCsrf) {
  Authenticator auth(users_.get(), &clock_, 1000);
  auto login = auth.Login("ann", "s3cret-pass", "10.0.0.1");
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  auto p = auth.Authenticate("", login->second);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->browser);
  EXPECT_EQ(p->csrf, login->first.csrf);
  EXPECT_GE(p->csrf.size(), 32u);
  EXPECT_EQ(auth.Authenticate(login->second, "").status().code(), StatusCode::kUnauthenticated);
  clock_.Advance(1000);
  EXPECT_EQ(auth.Authenticate("", login->second).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, LogoutRevokesTheBrowserSession) {
  Authenticator auth(users_.get(), &clock_);
  auto login = auth.Login("ann", "s3cret-pass", "c");
  ASSERT_TRUE(auth.Logout(login->first).ok());
  EXPECT_FALSE(auth.Authenticate("", login->second).ok());
}

TEST_F(AuthTest, FailedLoginsAreRateLimited) {
  Authenticator auth(users_.get(), &clock_);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(auth.Login("ann", "wrong", "c").status().code(), StatusCode::kUnauthenticated);
  // Locked out now, even with the right password.
  EXPECT_EQ(auth.Login("ann", "s3cret-pass", "c").status().code(), StatusCode::kResourceExhausted);
  // So is any other user from that address.
  EXPECT_EQ(auth.Login("bob", "x", "c").status().code(), StatusCode::kResourceExhausted);
  clock_.Advance(15 * 60 * 1000);
  EXPECT_TRUE(auth.Login("ann", "s3cret-pass", "c").ok());
}

TEST_F(AuthTest, AnAttackersFailuresDoNotLockTheUserOutOfAnotherAddress) {
  Authenticator auth(users_.get(), &clock_);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(auth.Login("ann", "wrong", "10.6.6.6").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Login("ann", "s3cret-pass", "10.6.6.6").status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(auth.Login("ann", "s3cret-pass", "10.0.0.1").ok());
}

TEST_F(AuthTest, CheckPasswordNamesTheUserWithoutACredential) {
  auto ok = CheckPassword(users_.get(), "ann", "s3cret-pass");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->user, "ann");
  EXPECT_TRUE(ok->credential_id.empty());
  EXPECT_EQ(CheckPassword(users_.get(), "ann", "wrong").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckPassword(users_.get(), "nobody", "x").status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, UnknownUsersFailLikeWrongPasswords) {
  Authenticator auth(users_.get(), &clock_);
  auto s = auth.Login("nobody", "x", "c").status();
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), auth.Login("ann", "x", "e").status().message());
}

TEST(RoleTest, ParseAndOrder) {
  EXPECT_EQ(*ParseRole("admin"), Role::kAdmin);
  EXPECT_FALSE(ParseRole("root").ok());
  EXPECT_LT(Role::kViewer, Role::kApprover);
  EXPECT_STREQ(RoleName(Role::kApprover), "approver");
}

}  // namespace
}  // namespace ward::server
