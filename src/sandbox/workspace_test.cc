// The per-session temporary workspace: private to the guest's host user, and gone
// with everything in it when the session lets go of it.
#include "sandbox/workspace.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace ward {
namespace {

namespace fs = std::filesystem;

class TempWorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parent_ = fs::temp_directory_path() / ("ward_ws_test_" + std::to_string(getpid()));
    fs::create_directories(parent_);
  }
  void TearDown() override { fs::remove_all(parent_); }
  fs::path parent_;
};

TEST_F(TempWorkspaceTest, IsPrivateToTheGuestsHostUser) {
  auto ws = TempWorkspace::Create(parent_.string(), "ward-s1-", GuestHostOwner());
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  struct stat st;
  ASSERT_EQ(stat((*ws)->path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, GuestHostOwner().uid);
  EXPECT_EQ(st.st_gid, GuestHostOwner().gid);
  EXPECT_NE(st.st_uid, 0u) << "a guest's workspace must not belong to the host's root";
  EXPECT_EQ(fs::path((*ws)->path()).parent_path(), parent_);
  EXPECT_EQ(fs::path((*ws)->path()).filename().string().rfind("ward-s1-", 0), 0u);
}

TEST_F(TempWorkspaceTest, IsRemovedWithEverythingInItWhenDestroyed) {
  std::string path;
  std::ofstream(parent_ / "outside") << "keep";
  {
    auto ws = TempWorkspace::Create(parent_.string(), "ward-s2-", GuestHostOwner());
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    path = (*ws)->path();
    fs::create_directories(fs::path(path) / "a" / "b");
    std::ofstream(fs::path(path) / "a" / "b" / "f") << "x";
    fs::create_symlink(parent_ / "outside", fs::path(path) / "link");
    fs::create_directory_symlink(parent_, fs::path(path) / "dirlink");
    chmod((fs::path(path) / "a").c_str(), 0);  // a guest may leave it unreadable
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists(parent_ / "outside")) << "a symlink was followed";
}

TEST_F(TempWorkspaceTest, RemoveIsIdempotent) {
  auto ws = TempWorkspace::Create(parent_.string(), "ward-s3-", GuestHostOwner());
  ASSERT_TRUE(ws.ok());
  std::string path = (*ws)->path();
  EXPECT_TRUE((*ws)->Remove().ok());
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE((*ws)->Remove().ok());
}

TEST_F(TempWorkspaceTest, FailsWithoutLeavingAnythingBehind) {
  auto ws = TempWorkspace::Create((parent_ / "missing").string(), "ward-", GuestHostOwner());
  EXPECT_FALSE(ws.ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(parent_), fs::directory_iterator()), 0);
}

// What a killed ward left: its own workspaces go, and nothing else of a similar
// name — not a symlink to a directory elsewhere, a file, a longer name, or a
// directory that belongs to someone other than the guest's host user.
TEST_F(TempWorkspaceTest, SweepRemovesOnlyWorkspacesItMadeForThatPrefix) {
  std::vector<std::string> left;
  for (int i = 0; i < 2; ++i) {
    auto ws = TempWorkspace::Create(parent_.string(), "ward-s4-", GuestHostOwner());
    ASSERT_TRUE(ws.ok());
    fs::create_directories(fs::path((*ws)->path()) / "d");
    std::ofstream(fs::path((*ws)->path()) / "d" / "f") << "x";
    chmod((fs::path((*ws)->path()) / "d").c_str(), 0);
    left.push_back((*ws)->path());
    // A killed process runs no destructor: forget the workspace without removing it.
    static_cast<void>((*ws).release());
  }
  fs::create_directories(parent_ / "elsewhere");
  std::ofstream(parent_ / "elsewhere" / "keep") << "keep";
  fs::create_directory_symlink(parent_ / "elsewhere", parent_ / "ward-s4-link00");
  std::ofstream(parent_ / "ward-s4-file00") << "keep";
  fs::create_directories(parent_ / "ward-s4-longer-name");
  fs::create_directories(parent_ / "ward-s5-abcdef");  // another session's
  bool root = geteuid() == 0;
  if (root) {
    fs::create_directories(parent_ / "ward-s4-theirs");
    ASSERT_EQ(chown((parent_ / "ward-s4-theirs").c_str(), 4242, 4242), 0);
  }

  auto swept = TempWorkspace::Sweep(parent_.string(), "ward-s4-");
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 2);
  for (const auto& path : left) EXPECT_FALSE(fs::exists(path)) << path;
  EXPECT_TRUE(fs::exists(parent_ / "elsewhere" / "keep")) << "a symlink was followed";
  EXPECT_TRUE(fs::is_symlink(parent_ / "ward-s4-link00"));
  EXPECT_TRUE(fs::exists(parent_ / "ward-s4-file00"));
  EXPECT_TRUE(fs::exists(parent_ / "ward-s4-longer-name"));
  EXPECT_TRUE(fs::exists(parent_ / "ward-s5-abcdef"));
  if (root) {
    EXPECT_TRUE(fs::exists(parent_ / "ward-s4-theirs"));
  }
  EXPECT_EQ(*TempWorkspace::Sweep(parent_.string(), "ward-s4-"), 0);
}

}  // namespace
}  // namespace ward
