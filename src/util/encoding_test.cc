#include "util/encoding.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

TEST(EncodingTest, PercentEncodeKeepsUnreservedOnly) {
  EXPECT_EQ(PercentEncode("a b/c?d=e&f~g.h_i-j"), "a%20b%2Fc%3Fd%3De%26f~g.h_i-j");
  EXPECT_EQ(PercentEncode("a/b:c", "/:"), "a/b:c");
  EXPECT_EQ(PercentEncode("\r\n\xff"), "%0D%0A%FF");
}

TEST(EncodingTest, FormUrlEncodeTurnsSpacesIntoPlus) {
  EXPECT_EQ(FormUrlEncode("read write+x:y"), "read+write%2Bx%3Ay");
}

TEST(EncodingTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xff\x00\xfe", 3)), "/wD+");
}

TEST(EncodingTest, Utf8CheckRefusesMalformedSequences) {
  EXPECT_TRUE(IsValidUtf8("plain, caf\xc3\xa9, \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

}  // namespace
}  // namespace ward
