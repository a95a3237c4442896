// The background CPU group against fake cgroup hierarchies in a temp folder (no
// root needed): where it is made, the weight it is given, joining, and why not.
#include "sandbox/background_cpu.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/cgroup_fake.h"

namespace ward {
namespace {

namespace fs = std::filesystem;

class BackgroundCpuTest : public FakeCgroupHierarchy {
 protected:
  void Files(const std::string& mountinfo, const std::string& cgroup) {
    std::ofstream(sources_.mountinfo) << mountinfo;
    std::ofstream(sources_.cgroup) << cgroup;
  }
  // Pre-creates the group folder with the control files a kernel would provide.
  void PrepareGroup(const fs::path& dir, const std::vector<std::string>& files) {
    fs::create_directories(dir);
    for (const auto& f : files) std::ofstream(dir / f) << "";
  }
};

TEST_F(BackgroundCpuTest, V1CpuHierarchyGetsLowSharesAndTakesProcesses) {
  Files(Mount("cpu", "cgroup", "rw,cpu") + Mount("memory", "cgroup", "rw,memory"),
        "3:cpu:/host\n4:memory:/\n");
  fs::path group = root_ / "cpu/host/ward-test-background";
  PrepareGroup(group, {"cpu.shares", "cgroup.procs"});
  {
    BackgroundCpu b = BackgroundCpu::Open(sources_);
    ASSERT_TRUE(b.active()) << b.detail();
    EXPECT_EQ(b.detail(), "cgroup v1 at " + group.string());
    EXPECT_EQ(SlurpFile(group / "cpu.shares"), std::to_string(kBackgroundCpuShares));
    ASSERT_TRUE(b.Join(4242).ok());
    EXPECT_EQ(SlurpFile(group / "cgroup.procs"), "4242");
  }
}

TEST_F(BackgroundCpuTest, GroupsOfWardProcessesThatAreGoneAreSwept) {
  Files(Mount("cpu", "cgroup", "rw,cpu"), "1:cpu:/\n");
  // pid_max is at most 2^22, so this pid cannot exist; our own pid does.
  fs::path stale = root_ / "cpu/ward-99999999-background";
  fs::path live = root_ / ("cpu/ward-" + std::to_string(getpid()) + "-background");
  fs::path other = root_ / "cpu/ward-99999999-0";  // a launcher's folder: not ours to sweep
  for (const auto& d : {stale, live, other}) fs::create_directories(d);
  PrepareGroup(root_ / "cpu/ward-test-background", {"cpu.shares", "cgroup.procs"});
  ASSERT_TRUE(BackgroundCpu::Open(sources_).active());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));
}

TEST_F(BackgroundCpuTest, V2NeedsTheCpuControllerDelegated) {
  Files(Mount("unified", "cgroup2", "rw"), "0::/svc\n");
  fs::create_directories(root_ / "unified/svc");
  // No cgroup.subtree_control file to enable +cpu in: not delegated.
  BackgroundCpu refused = BackgroundCpu::Open(sources_);
  EXPECT_FALSE(refused.active());
  EXPECT_NE(refused.detail().find("cgroup v2 cpu controller not delegated to ward"),
            std::string::npos)
      << refused.detail();
  EXPECT_TRUE(refused.Join(1).ok());  // inactive: a no-op

  std::ofstream(root_ / "unified/svc/cgroup.subtree_control") << "";
  fs::path group = root_ / "unified/svc/ward-test-background";
  PrepareGroup(group, {"cpu.weight", "cgroup.procs"});
  BackgroundCpu b = BackgroundCpu::Open(sources_);
  ASSERT_TRUE(b.active()) << b.detail();
  EXPECT_EQ(SlurpFile(root_ / "unified/svc/cgroup.subtree_control"), "+cpu");
  EXPECT_EQ(SlurpFile(group / "cpu.weight"), std::to_string(kBackgroundCpuWeight));
}

TEST_F(BackgroundCpuTest, WithoutACpuControllerNothingChangesAndItSaysWhy) {
  Files(Mount("memory", "cgroup", "rw,memory") + Mount("cpuacct", "cgroup", "rw,cpuacct"),
        "4:memory:/\n2:cpuacct:/\n");
  BackgroundCpu b = BackgroundCpu::Open(sources_);
  EXPECT_FALSE(b.active());
  EXPECT_EQ(b.detail(), "no cgroup hierarchy with the cpu controller is mounted");
  EXPECT_TRUE(b.Join(1).ok());
}

TEST_F(BackgroundCpuTest, AWeightThatCannotBeSetLeavesNoGroupBehind) {
  Files(Mount("cpu", "cgroup", "rw,cpu"), "1:cpu:/\n");
  // The folder is made, but without a cpu.shares file the weight cannot be written.
  BackgroundCpu b = BackgroundCpu::Open(sources_);
  EXPECT_FALSE(b.active());
  EXPECT_NE(b.detail().find("cannot set the CPU weight"), std::string::npos) << b.detail();
  EXPECT_FALSE(fs::exists(root_ / "cpu/ward-test-background"));
}

TEST(BackgroundCpuSharedTest, InactiveUntilEnabled) {
  EXPECT_FALSE(BackgroundCpu::Shared().active());
}

}  // namespace
}  // namespace ward
