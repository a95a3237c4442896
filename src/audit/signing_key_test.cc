// The audit signing key: created once, private, never overwritten; a key file
// others can read or change is refused.
#include "audit/signing_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ward {
namespace {

class SigningKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_signing_key_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "audit_key.pem").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string ReadAll() {
    std::ifstream in(path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SigningKeyTest, CreatedOnFirstUseAt0600AndReusedAfter) {
  EXPECT_EQ(LoadSigningKey(path_).status().code(), StatusCode::kNotFound);
  auto key = LoadOrCreateSigningKey(path_);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(ReadAll().find("BEGIN PRIVATE KEY"), std::string::npos);
  std::string pem = ReadAll();
  auto again = LoadOrCreateSigningKey(path_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key().Text(), key->public_key().Text());
  EXPECT_EQ(ReadAll(), pem) << "an existing key is never overwritten";
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(SigningKeyTest, SignaturesVerifyOnlyForTheSameMessageAndKey) {
  auto key = LoadOrCreateSigningKey(path_);
  ASSERT_TRUE(key.ok());
  auto sig = key->Sign("seq 5");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(key->public_key().Verify("seq 5", *sig));
  EXPECT_FALSE(key->public_key().Verify("seq 6", *sig));
  std::string flipped = *sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(key->public_key().Verify("seq 5", flipped));
  auto other = LoadOrCreateSigningKey((dir_ / "other.pem").string());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->public_key().Verify("seq 5", *sig));
  EXPECT_NE(other->public_key().Id(), key->public_key().Id());
}

// The attacker's case: a key others can read is a key others may have copied.
TEST_F(SigningKeyTest, AKeyFileOthersCanReadIsRefused) {
  ASSERT_TRUE(LoadOrCreateSigningKey(path_).ok());
  std::string pem = ReadAll();
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  for (bool create : {false, true}) {
    auto loaded = create ? LoadOrCreateSigningKey(path_) : LoadSigningKey(path_);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(loaded.status().message().find("0644"), std::string::npos)
        << loaded.status().message();
    EXPECT_NE(loaded.status().message().find(path_), std::string::npos);
    EXPECT_EQ(loaded.status().message().find("PRIVATE KEY"), std::string::npos);
  }
  EXPECT_EQ(ReadAll(), pem) << "a refused key is not replaced";
  ASSERT_EQ(chmod(path_.c_str(), 0620), 0);
  EXPECT_EQ(LoadSigningKey(path_).status().code(), StatusCode::kPermissionDenied);
}

// Another user's key file (needs root to make one): refused even at 0600.
TEST_F(SigningKeyTest, AKeyFileOwnedByAnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the file to another user";
  ASSERT_TRUE(LoadOrCreateSigningKey(path_).ok());
  ASSERT_EQ(chown(path_.c_str(), 65534, 65534), 0);
  auto loaded = LoadSigningKey(path_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(loaded.status().message().find("owned by uid 65534"), std::string::npos)
      << loaded.status().message();
}

TEST_F(SigningKeyTest, ASymlinkOrAForeignFileIsRefused) {
  ASSERT_TRUE(LoadOrCreateSigningKey(path_).ok());
  std::string link = (dir_ / "link.pem").string();
  std::filesystem::create_symlink(path_, link);
  EXPECT_FALSE(LoadSigningKey(link).ok());
  std::string junk = (dir_ / "junk.pem").string();
  std::ofstream(junk) << "not a key";
  chmod(junk.c_str(), 0600);
  EXPECT_EQ(LoadSigningKey(junk).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SigningKeyTest, PublicKeyTextRoundTripsAndBadTextIsRefused) {
  auto key = LoadOrCreateSigningKey(path_);
  ASSERT_TRUE(key.ok());
  std::string text = key->public_key().Text();
  EXPECT_EQ(text.rfind("ed25519:", 0), 0u);
  EXPECT_EQ(text.size(), 8u + 64u);
  auto parsed = AuditPublicKey::Parse(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->raw(), key->public_key().raw());
  std::string file = (dir_ / "key.pub").string();
  std::ofstream(file) << text << "\n";
  auto from_file = AuditPublicKey::FromTextOrFile(file);
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->Id(), key->public_key().Id());
  for (const char* bad : {"", "ed25519:", "ed25519:zz", "rsa:00", "ed25519:0011"})
    EXPECT_FALSE(AuditPublicKey::Parse(bad).ok()) << bad;
  EXPECT_FALSE(AuditPublicKey::FromTextOrFile((dir_ / "missing").string()).ok());
}

}  // namespace
}  // namespace ward
