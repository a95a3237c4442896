#include "util/private_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ward {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class PrivateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_private_file_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(PrivateFileTest, CreatesNewFilesOwnerOnlyWhateverTheUmask) {
  mode_t saved = umask(0);
  std::string path = (dir_ / "new.db").string();
  Status s = MakePrivateFile(path);
  umask(saved);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST_F(PrivateFileTest, TightensADatabaseAndItsSidecarsButCreatesNoSidecar) {
  std::string path = (dir_ / "old.db").string();
  std::ofstream(path) << "x";
  std::ofstream(path + "-wal") << "x";
  chmod(path.c_str(), 0644);
  chmod((path + "-wal").c_str(), 0666);
  ASSERT_TRUE(MakePrivateDatabase(path).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(path + "-wal"), 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + "-shm"));
}

}  // namespace
}  // namespace ward
