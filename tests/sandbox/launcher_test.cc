// The sandboxing launcher shared by threads that come and go, as a server's
// sessions share it: the zygote is started on the launcher's own thread, so a guest
// cloned from it lives as long as the launcher and its own Guest object, not as long
// as the thread that happened to launch first.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "sandbox/sandbox.h"

namespace ward::testing {
namespace {

namespace fs = std::filesystem;

class SharedLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* build = getenv("WARD_BUILD_DIR");
    ASSERT_NE(build, nullptr);
    root_ = fs::temp_directory_path() / ("ward_launcher_test_" + std::to_string(getpid()));
    fs::create_directories(root_ / "workspace");
    spec_.guest_dir = std::string(build) + "/guest";
    spec_.workdir = (root_ / "workspace").string();
    SandboxOptions options;
    options.guest_dir = spec_.guest_dir;
    auto launcher = NewSandboxLauncher(options);
    ASSERT_TRUE(launcher.ok()) << launcher.status().ToString();
    launcher_ = std::move(launcher).value();
  }
  void TearDown() override {
    launcher_.reset();
    fs::remove_all(root_);
  }

  // Launches a guest from a thread that ends before this returns.
  std::unique_ptr<Guest> LaunchFromAShortLivedThread() {
    std::unique_ptr<Guest> guest;
    std::thread([&] {
      auto g = launcher_->Launch(spec_);
      EXPECT_TRUE(g.ok()) << g.status().ToString();
      if (g.ok()) guest = std::move(g).value();
    }).join();
    return guest;
  }

  static std::string Run(Guest& guest, const std::string& code) {
    auto out = guest.Execute(code, 10'000, nullptr, nullptr);
    if (!out.ok()) return "error: " + out.status().ToString();
    if (out->failure != GuestFailure::kNone) return "failed: " + out->failure_detail;
    return out->stdout_text;
  }

  fs::path root_;
  GuestSpec spec_;
  std::unique_ptr<GuestLauncher> launcher_;
};

TEST_F(SharedLauncherTest, GuestsOutliveTheThreadsThatLaunchedThem) {
  auto first = LaunchFromAShortLivedThread();  // this launch starts the zygote
  auto second = LaunchFromAShortLivedThread();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(Run(*first, "x = 6 * 7\nprint(x)"), "42\n");
  EXPECT_EQ(Run(*second, "print('second')"), "second\n");
  first.reset();  // one guest ending leaves the other, and new launches, alone
  EXPECT_EQ(Run(*second, "print('still here')"), "still here\n");
  auto third = LaunchFromAShortLivedThread();
  ASSERT_TRUE(third);
  EXPECT_EQ(Run(*third, "print('third')"), "third\n");
}

}  // namespace
}  // namespace ward::testing
