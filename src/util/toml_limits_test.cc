#include "util/toml_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace ward {
namespace {

std::string DottedKey(int parts) {
  std::string text;
  for (int i = 0; i < parts; ++i) text += "a.";
  return text + "b = 1\n";
}

TEST(TomlLimitsTest, AHundredThousandDottedKeyPartsAreRefusedNamingTheLine) {
  Status s = CheckTomlLimits("x = 1\n" + DottedKey(100000), "policy.toml");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("policy.toml:2: keys are nested deeper than 128"), std::string::npos)
      << s.message();
  EXPECT_FALSE(CheckTomlLimits("[" + DottedKey(200) + "]", "f").ok());
}

TEST(TomlLimitsTest, TheLimitIsPerLineAndExact) {
  EXPECT_TRUE(CheckTomlLimits(DottedKey(128), "f").ok());
  EXPECT_FALSE(CheckTomlLimits(DottedKey(129), "f").ok());
  EXPECT_TRUE(CheckTomlLimits(DottedKey(100) + DottedKey(100), "f").ok());
}

TEST(TomlLimitsTest, DotsInStringsCommentsAndValuesDoNotCount) {
  std::string dots(500, '.');
  EXPECT_TRUE(CheckTomlLimits("code = \"" + dots + "\\\"" + dots + "\"\n", "f").ok());
  EXPECT_TRUE(CheckTomlLimits("code = '" + dots + "'\n", "f").ok());
  EXPECT_TRUE(CheckTomlLimits("code = '''\n" + dots + "\n'''\n", "f").ok());
  EXPECT_TRUE(CheckTomlLimits("code = \"\"\"\n" + dots + " = \"\n\"\"\"\n", "f").ok());
  EXPECT_TRUE(CheckTomlLimits("x = 1 # " + dots + "\n", "f").ok());
  std::string floats = "x = [";
  for (int i = 0; i < 300; ++i) floats += "1.5, ";
  EXPECT_TRUE(CheckTomlLimits(floats + "\n2.5]\n", "f").ok());
}

TEST(TomlLimitsTest, DottedKeysInInlineTablesCount) {
  std::string inline_keys = "x = {";
  for (int i = 0; i < 200; ++i) inline_keys += "a.";
  EXPECT_FALSE(CheckTomlLimits(inline_keys + "b = 1}\n", "f").ok());
  std::string nested = "x = [{a = 1}, {";
  for (int i = 0; i < 200; ++i) nested += "c.";
  EXPECT_FALSE(CheckTomlLimits(nested + "d = 2}]\n", "f").ok());
}

TEST(TomlLimitsTest, TheSizeLimitIsExact) {
  EXPECT_TRUE(CheckTomlLimits("a=1", "f", TomlLimits{3, 8}).ok());
  EXPECT_FALSE(CheckTomlLimits("a=12", "f", TomlLimits{3, 8}).ok());
}

}  // namespace
}  // namespace ward
