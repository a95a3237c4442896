#include "store/server_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/store.h"

namespace ward {
namespace {

class ServerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_server_store_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::string path = (dir_ / "ward.db").string();
    store_ = std::move(OpenSqliteStore(path)).value();
    auto s = OpenSqliteServerStore(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServerStore> server_;
};

TEST_F(ServerStoreTest, UsersCreateReplaceList) {
  ASSERT_TRUE(server_->PutUser({"alice", "viewer", "h1", 1, 1}, false).ok());
  EXPECT_EQ(server_->PutUser({"alice", "admin", "h2", 2, 2}, false).code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(server_->PutUser({"alice", "admin", "h2", 2, 2}, true).ok());
  auto u = server_->GetUser("alice");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->role, "admin");
  EXPECT_EQ(u->password_hash, "h2");
  EXPECT_EQ(u->created_ms, 1);
  EXPECT_EQ(server_->GetUser("bob").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server_->ListUsers()->size(), 1u);
}

TEST_F(ServerStoreTest, CredentialsExpireAndRevoke) {
  CredentialRecord c{"t_1", "hash1", "api", "alice", "ci", "", 100, 0};
  ASSERT_TRUE(server_->CreateCredential(c).ok());
  CredentialRecord w{"w_1", "hash2", "web", "alice", "", "csrf", 100, 500};
  ASSERT_TRUE(server_->CreateCredential(w).ok());
  EXPECT_EQ(server_->FindCredential("hash1", 1000)->id, "t_1");
  EXPECT_EQ(server_->FindCredential("hash2", 499)->csrf, "csrf");
  EXPECT_EQ(server_->FindCredential("hash2", 500).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(server_->RevokeCredential("t_1", 200).ok());
  EXPECT_TRUE(server_->RevokeCredential("t_1", 300).ok());  // idempotent
  EXPECT_EQ(server_->FindCredential("hash1", 1000).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server_->RevokeCredential("t_x", 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(server_->ListCredentials("alice")->size(), 2u);
  EXPECT_EQ(server_->ListCredentials("bob")->size(), 0u);
}

TEST_F(ServerStoreTest, CountsSessionsApprovalsAndTokens) {
  SessionRecord a{"s_1", "t", "m", "code", "x", "running", 1, 1};
  a.input_tokens = 5;
  a.output_tokens = 2;
  SessionRecord b{"s_2", "t", "m", "code", "x", "succeeded", 2, 2};
  b.input_tokens = 10;
  ASSERT_TRUE(store_->CreateSession(a).ok());
  ASSERT_TRUE(store_->CreateSession(b).ok());
  ASSERT_TRUE(store_->UpdateSession(a).ok());
  ASSERT_TRUE(store_->UpdateSession(b).ok());
  ApprovalRecord p;
  p.id = "a_1";
  p.session = "s_1";
  p.action_hash = "h";
  p.state = "pending";
  p.expires_ms = 1000;
  ASSERT_TRUE(store_->CreateApproval(p).ok());
  auto c = server_->Counts(500);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sessions_by_status["running"], 1);
  EXPECT_EQ(c->sessions_by_status["succeeded"], 1);
  EXPECT_EQ(c->approvals_pending, 1);
  EXPECT_EQ(c->input_tokens, 15);
  EXPECT_EQ(c->output_tokens, 2);
  EXPECT_EQ(server_->Counts(2000)->approvals_pending, 0);
}

}  // namespace
}  // namespace ward
