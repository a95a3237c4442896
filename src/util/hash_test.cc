#include "util/hash.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

TEST(HashTest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, HexRoundTripsAndRefusesWhatIsNotHex) {
  std::string bytes("\x00\x7f\x80\xff", 4);
  EXPECT_EQ(HexEncode(bytes), "007f80ff");
  std::string back = "unchanged";
  ASSERT_TRUE(HexDecode("007F80ff", &back));
  EXPECT_EQ(back, bytes);
  for (const char* bad : {"0", "0g", "zz", " 00"}) {
    back = "unchanged";
    EXPECT_FALSE(HexDecode(bad, &back)) << bad;
    EXPECT_EQ(back, "unchanged");
  }
  ASSERT_TRUE(HexDecode("", &back));
  EXPECT_EQ(back, "");
}

TEST(HashTest, IdsAreDistinctAndPrefixed) {
  std::string a = NewId("s"), b = NewId("s");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 18u);
  EXPECT_EQ(a.substr(0, 2), "s_");
}

}  // namespace
}  // namespace ward
