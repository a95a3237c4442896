// The cgroup code that needs no root: parsing mountinfo and /proc/self/cgroup, and
// detection, creation and joining against fake hierarchies in a temp folder.
#include "sandbox/cgroups.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/cgroup_fake.h"

namespace ward {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMountinfo =
    "23 1 0:21 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
    "a line without the separator\n";

TEST(SandboxCgroupsTest, ParsesOnlyCgroupMountsFromMountinfo) {
  auto mounts = ParseCgroupMounts(kMountinfo);
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(mounts[0].fstype, "cgroup");
  EXPECT_EQ(mounts[0].super_options, "rw,memory");
  EXPECT_EQ(mounts[1].super_options, "rw,cpu,cpuacct");
  EXPECT_EQ(mounts[2].point, "/sys/fs/cgroup/unified");  // optional fields skipped
  EXPECT_EQ(mounts[2].fstype, "cgroup2");
  EXPECT_TRUE(ParseCgroupMounts("").empty());
}

TEST(SandboxCgroupsTest, FindsOwnPathPerControllerAndForV2) {
  const std::string cgroup =
      "9:name=systemd:/\n4:memory:/process_api/abc\n3:cpu,cpuacct:/x\n1:pids:/\n0::/user.slice\n";
  EXPECT_EQ(OwnCgroupPath(cgroup, "memory"), "/process_api/abc");
  EXPECT_EQ(OwnCgroupPath(cgroup, "cpuacct"), "/x");
  EXPECT_EQ(OwnCgroupPath(cgroup, "cpu"), "/x");
  EXPECT_EQ(OwnCgroupPath(cgroup, "pids"), "/");
  EXPECT_EQ(OwnCgroupPath(cgroup, ""), "/user.slice");
  EXPECT_EQ(OwnCgroupPath(cgroup, "blkio"), "");
  EXPECT_EQ(OwnCgroupPath("4:memory:/a\n", ""), "");          // no v2 line
  EXPECT_EQ(OwnCgroupPath("4:memorysw:/a\n", "memory"), "");  // whole names only
}

class SandboxCgroupsFake : public FakeCgroupHierarchy {};

TEST_F(SandboxCgroupsFake, V1MemoryAndPidsUnderOwnCgroups) {
  WriteFile(sources_.mountinfo, Mount("memory", "cgroup", "rw,memory") +
                                    Mount("pids", "cgroup", "rw,pids") +
                                    Mount("cpu", "cgroup", "rw,cpu"));
  WriteFile(sources_.cgroup, "5:cpu:/\n4:memory:/svc/a\n2:pids:/\n0::/\n");
  fs::create_directories(root_ / "memory/svc/a");
  Cgroups c = Cgroups::Detect(sources_);
  EXPECT_FALSE(c.v2());
  ASSERT_TRUE(c.memory()) << c.memory_detail();
  ASSERT_TRUE(c.pids()) << c.pids_detail();
  EXPECT_EQ(c.memory_base(), (root_ / "memory/svc/a/ward-test").string());
  EXPECT_EQ(c.pids_base(), (root_ / "pids/ward-test").string());
  EXPECT_TRUE(fs::is_directory(c.memory_base()));
  EXPECT_NE(c.memory_detail().find("cgroup v1"), std::string::npos);

  // A real cgroupfs makes the control files with the folder; the fake has them ahead.
  for (const char* f :
       {"memory/svc/a/ward-test/g0/memory.limit_in_bytes", "memory/svc/a/ward-test/g0/cgroup.procs",
        "pids/ward-test/g0/pids.max", "pids/ward-test/g0/cgroup.procs"})
    WriteFile(root_ / f, "");
  auto g = c.Create(512ull << 20, 64);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(SlurpFile(root_ / "memory/svc/a/ward-test/g0/memory.limit_in_bytes"), "536870912");
  EXPECT_EQ(SlurpFile(root_ / "pids/ward-test/g0/pids.max"), "64");
  ASSERT_EQ(g->procs.size(), 2u);
  EXPECT_EQ(g->dirs.size(), 2u);
  ASSERT_TRUE(JoinCgroup(*g, 4242).ok());
  EXPECT_EQ(SlurpFile(g->procs[0]), "4242");
  EXPECT_EQ(SlurpFile(g->procs[1]), "4242");
}

TEST_F(SandboxCgroupsFake, V1CreateFailsAndCleansUpWithoutControlFiles) {
  WriteFile(sources_.mountinfo, Mount("memory", "cgroup", "rw,memory"));
  WriteFile(sources_.cgroup, "4:memory:/\n");
  Cgroups c = Cgroups::Detect(sources_);
  ASSERT_TRUE(c.memory());
  EXPECT_FALSE(c.pids());
  EXPECT_NE(c.pids_detail().find("no cgroup hierarchy"), std::string::npos);
  auto g = c.Create(1 << 20, 0);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("memory.limit_in_bytes"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "memory/ward-test/g0"));  // removed again
  EXPECT_FALSE(JoinCgroup(GuestCgroup{{}, {(root_ / "nowhere/cgroup.procs").string()}}, 1).ok());
}

TEST_F(SandboxCgroupsFake, V2DelegatedWinsOverV1) {
  WriteFile(sources_.mountinfo,
            Mount("memory", "cgroup", "rw,memory") + Mount("unified", "cgroup2", "rw"));
  WriteFile(sources_.cgroup, "4:memory:/\n0::/user.slice/ward.service\n");
  fs::path own = root_ / "unified/user.slice/ward.service";
  WriteFile(own / "cgroup.controllers", "cpu io memory pids\n");
  WriteFile(own / "cgroup.subtree_control", "");
  WriteFile(own / "ward-test/cgroup.subtree_control", "");
  Cgroups c = Cgroups::Detect(sources_);
  EXPECT_TRUE(c.v2());
  EXPECT_EQ(c.memory_base(), (own / "ward-test").string());
  EXPECT_EQ(c.pids_base(), c.memory_base());
  EXPECT_EQ(SlurpFile(own / "cgroup.subtree_control"), "+memory +pids");
  EXPECT_EQ(SlurpFile(own / "ward-test/cgroup.subtree_control"), "+memory +pids");
  EXPECT_FALSE(fs::exists(root_ / "memory/ward-test"));  // v1 not used
  WriteFile(own / "ward-test/g0/memory.max", "");
  WriteFile(own / "ward-test/g0/pids.max", "");
  auto g = c.Create(1 << 20, 8);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(SlurpFile(own / "ward-test/g0/memory.max"), "1048576");
  EXPECT_EQ(SlurpFile(own / "ward-test/g0/pids.max"), "8");
  ASSERT_EQ(g->procs.size(), 1u);
  EXPECT_EQ(g->procs[0], (own / "ward-test/g0/cgroup.procs").string());
  auto none = c.Create(0, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->dirs.empty() && none->procs.empty());
}

TEST_F(SandboxCgroupsFake, V2WithoutTheControllersFallsBackToV1) {
  WriteFile(sources_.mountinfo,
            Mount("unified", "cgroup2", "rw") + Mount("pids", "cgroup", "rw,pids"));
  WriteFile(sources_.cgroup, "2:pids:/\n0::/\n");
  WriteFile(root_ / "unified/cgroup.controllers", "cpu io\n");
  Cgroups c = Cgroups::Detect(sources_);
  EXPECT_FALSE(c.v2());
  EXPECT_FALSE(c.memory());
  EXPECT_EQ(c.pids_base(), (root_ / "pids/ward-test").string());
}

TEST_F(SandboxCgroupsFake, V2NotDelegatedSaysWhy) {
  WriteFile(sources_.mountinfo, Mount("unified", "cgroup2", "rw"));
  WriteFile(sources_.cgroup, "0::/\n");
  WriteFile(root_ / "unified/cgroup.controllers", "memory pids\n");
  fs::create_directories(root_ / "unified/cgroup.subtree_control");  // not writable as a file
  Cgroups c = Cgroups::Detect(sources_);
  EXPECT_FALSE(c.memory());
  EXPECT_FALSE(c.pids());
  EXPECT_NE(c.memory_detail().find("not delegated"), std::string::npos) << c.memory_detail();
  EXPECT_NE(c.memory_detail().find("cgroup.subtree_control"), std::string::npos);
}

TEST_F(SandboxCgroupsFake, SweepsFoldersOfDeadWardProcessesOnly) {
  WriteFile(sources_.mountinfo, Mount("pids", "cgroup", "rw,pids"));
  WriteFile(sources_.cgroup, "2:pids:/\n");
  fs::path dead = root_ / "pids/ward-99999999-0", alive = root_ / "pids/ward-1-0";
  fs::create_directories(dead / "g3");
  fs::create_directories(alive / "g1");
  fs::create_directories(root_ / "pids/other");
  Cgroups c = Cgroups::Detect(sources_);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive / "g1"));  // pid 1 exists
  EXPECT_TRUE(fs::exists(root_ / "pids/other"));
}

}  // namespace
}  // namespace ward
