#include "server/password.h"

#include <gtest/gtest.h>

namespace ward::server {
namespace {

constexpr ScryptParams kFast{10, 8, 1};

TEST(PasswordTest, VerifiesTheRightPasswordOnly) {
  auto hash = HashPassword("correct horse", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("scrypt$10$8$1$", 0), 0u);
  EXPECT_TRUE(VerifyPassword("correct horse", *hash));
  EXPECT_FALSE(VerifyPassword("correct horsE", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
}

TEST(PasswordTest, SaltsEveryHash) {
  EXPECT_NE(*HashPassword("same", kFast), *HashPassword("same", kFast));
}

TEST(PasswordTest, MalformedHashesNeverVerify) {
  for (const char* bad : {"", "scrypt", "plain$x", "scrypt$99$8$1$00$00", "scrypt$10$8$1$zz$00",
                          "scrypt$10$8$1$0011$0011"})
    EXPECT_FALSE(VerifyPassword("x", bad)) << bad;
}

}  // namespace
}  // namespace ward::server
