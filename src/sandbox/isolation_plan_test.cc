// The isolation plan's wire form (host → zygote) and its preparation for clone.
#include "sandbox/isolation_plan.h"

#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sandbox/isolate.h"
#include "sandbox/layers.h"
#include "sandbox/sandbox_plan.h"
#include "sandbox/workspace.h"

namespace ward {
namespace {

IsolationPlan Sample() {
  IsolationPlan p;
  p.layers = kLayerMount | kLayerPid | kLayerNet | kLayerSeccomp;
  p.outer_uid = 1000;
  p.outer_gid = 1001;
  p.dirs = {"dev", "etc", "opt/py"};
  p.binds = {{"/usr", "usr", false}, {"/home/u/ws", "workspace", true}};
  p.symlinks = {{"usr/lib", "lib"}};
  p.files = {{"etc/hosts", "127.0.0.1 localhost\n"}, {"etc/empty", ""}};
  p.devices = {"null", "urandom"};
  p.workdir = "/workspace";
  p.tmp_bytes = 12345;
  p.rlimits = {{RLIMIT_NOFILE, 256}, {RLIMIT_CORE, 0}};
  p.cgroup_procs = {"/sys/fs/cgroup/pids/w/g1/cgroup.procs"};
  p.seccomp_bpf = std::string(3 * sizeof(struct sock_filter), '\x07');
  p.hostname = "h";
  return p;
}

TEST(SandboxPlanTest, RoundTripsEveryField) {
  IsolationPlan in = Sample();
  in.drop_to_outer = true;
  auto out = DecodePlan(EncodePlan(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->layers, in.layers);
  EXPECT_EQ(out->outer_uid, 1000u);
  EXPECT_EQ(out->outer_gid, 1001u);
  EXPECT_TRUE(out->drop_to_outer);
  EXPECT_EQ(out->dirs, in.dirs);
  ASSERT_EQ(out->binds.size(), 2u);
  EXPECT_EQ(out->binds[1].source, "/home/u/ws");
  EXPECT_EQ(out->binds[1].target, "workspace");
  EXPECT_FALSE(out->binds[0].writable);
  EXPECT_TRUE(out->binds[1].writable);
  EXPECT_EQ(out->symlinks, in.symlinks);
  EXPECT_EQ(out->files, in.files);
  EXPECT_EQ(out->devices, in.devices);
  EXPECT_EQ(out->workdir, "/workspace");
  EXPECT_EQ(out->tmp_bytes, 12345u);
  ASSERT_EQ(out->rlimits.size(), 2u);
  EXPECT_EQ(out->rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(out->rlimits[0].value, 256u);
  EXPECT_EQ(out->cgroup_procs, in.cgroup_procs);
  EXPECT_EQ(out->seccomp_bpf, in.seccomp_bpf);
  EXPECT_EQ(out->hostname, "h");
  EXPECT_EQ(EncodePlan(*out), EncodePlan(in));
}

TEST(SandboxPlanTest, EmptyPlanRoundTrips) {
  IsolationPlan empty;
  empty.workdir.clear();
  empty.hostname.clear();
  auto out = DecodePlan(EncodePlan(empty));
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->binds.empty() && out->dirs.empty() && out->seccomp_bpf.empty());
  EXPECT_EQ(out->workdir, "");
}

TEST(SandboxPlanTest, RejectsEveryTruncationAndTrailingBytes) {
  std::string blob = EncodePlan(Sample());
  for (size_t n = 0; n < blob.size(); ++n)
    EXPECT_FALSE(DecodePlan(blob.substr(0, n)).ok()) << "accepted a plan cut at " << n;
  EXPECT_FALSE(DecodePlan(blob + "x").ok());
}

TEST(SandboxPlanTest, RejectsWrongMagicAndAbsurdCounts) {
  std::string blob = EncodePlan(Sample());
  std::string bad = blob;
  bad[0] ^= 1;
  auto r = DecodePlan(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // The dirs count sits after magic, layers, uid, gid and drop: claim 2^40 entries.
  std::string huge = blob;
  uint64_t count = 1ull << 40;
  huge.replace(5 * sizeof(uint64_t), sizeof count, reinterpret_cast<const char*>(&count),
               sizeof count);
  EXPECT_FALSE(DecodePlan(huge).ok());
}

TEST(SandboxPlanTest, PrepareMapsLayersToCloneFlagsAndStagesPaths) {
  auto p = PreparePlan(Sample());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->clone_flags, static_cast<unsigned long>(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET));
  EXPECT_EQ(p->uid_map, "0 1000 1\n");
  EXPECT_EQ(p->gid_map, "0 1001 1\n");
  EXPECT_EQ(p->tmp_data, "size=12345,mode=1777");
  EXPECT_EQ(p->dir_paths[2], std::string(kStageDir) + "/opt/py");
  EXPECT_EQ(p->bind_targets[1], std::string(kStageDir) + "/workspace");
  EXPECT_EQ(p->device_sources[1], "/dev/urandom");
  EXPECT_EQ(p->device_targets[1], std::string(kStageDir) + "/dev/urandom");
  EXPECT_EQ(p->bind_fds.size(), 2u);
  EXPECT_EQ(p->prog.len, 3);
  EXPECT_EQ(reinterpret_cast<const char*>(p->prog.filter), p->plan.seccomp_bpf.data());

  IsolationPlan all = Sample();
  all.layers |= kLayerUser | kLayerIpc | kLayerUts;
  auto q = PreparePlan(all);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->clone_flags, static_cast<unsigned long>(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
                                                       CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS));

  // As root the user namespace is entered by the child after it isolated itself.
  all.drop_to_outer = true;
  auto r = PreparePlan(all);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->clone_flags & CLONE_NEWUSER, 0u);
  EXPECT_EQ(r->uid_map, "0 1000 1\n");
}

TEST(SandboxPlanTest, TheGuestIsNeverTheHostsRoot) {
  SandboxOptions o;
  IsolationPlan plan = BuildPlan(o, kLayerUser | kLayerMount, "", "", nullptr, "");
  EXPECT_NE(plan.outer_uid, 0u);
  EXPECT_NE(plan.outer_gid, 0u);
  EXPECT_EQ(plan.drop_to_outer, geteuid() == 0);
  if (geteuid() == 0) {
    EXPECT_EQ(plan.outer_uid, kGuestHostId);
    EXPECT_EQ(plan.outer_gid, kGuestHostId);
  } else {
    EXPECT_EQ(plan.outer_uid, getuid());
  }
  GuestOwner owner = GuestHostOwner();
  EXPECT_EQ(owner.uid, plan.outer_uid);
  EXPECT_EQ(owner.gid, plan.outer_gid);
}

TEST(SandboxPlanTest, TemplatePartKeepsWhatEveryGuestShares) {
  IsolationPlan p = Sample();
  p.binds.push_back({"/srv/out", "data/out", true});
  IsolationPlan t = TemplatePart(p);
  EXPECT_EQ(t.layers, p.layers);
  ASSERT_EQ(t.binds.size(), 1u);  // only the read-only one
  EXPECT_EQ(t.binds[0].source, "/usr");
  // Writable targets (and their parents) become mount points, once each.
  EXPECT_EQ(t.dirs,
            (std::vector<std::string>{"dev", "etc", "opt/py", "workspace", "data", "data/out"}));
  EXPECT_EQ(t.symlinks, p.symlinks);
  EXPECT_EQ(t.files, p.files);
  EXPECT_EQ(t.devices, p.devices);
  EXPECT_TRUE(t.rlimits.empty() && t.cgroup_procs.empty() && t.seccomp_bpf.empty());
  EXPECT_EQ(t.outer_uid, 0u);

  // Guests differing only in per-guest settings share a template; others do not.
  IsolationPlan other = p;
  other.binds[1].source = "/home/v/ws";
  other.tmp_bytes = 1;
  other.rlimits.clear();
  other.cgroup_procs.clear();
  other.hostname = "x";
  EXPECT_EQ(EncodePlan(TemplatePart(other)), EncodePlan(t));
  IsolationPlan moved = p;
  moved.binds[0].source = "/opt/usr";
  EXPECT_NE(EncodePlan(TemplatePart(moved)), EncodePlan(t));
  IsolationPlan fewer = p;
  fewer.layers &= ~kLayerNet;
  EXPECT_NE(EncodePlan(TemplatePart(fewer)), EncodePlan(t));
}

TEST(SandboxPlanTest, PrepareStagesUnderTheGivenDirectory) {
  auto p = PreparePlan(Sample(), kTemplateStageDir);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->stage, kTemplateStageDir);
  EXPECT_EQ(p->bind_targets[0], std::string(kTemplateStageDir) + "/usr");
  EXPECT_EQ(PreparePlan(Sample())->stage, kStageDir);
}

TEST(SandboxPlanTest, PrepareRejectsAPartialSeccompInstruction) {
  IsolationPlan p = Sample();
  p.seccomp_bpf.push_back('\0');
  auto r = PreparePlan(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ward
