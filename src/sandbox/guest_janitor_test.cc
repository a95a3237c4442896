// GuestJanitor with counting fakes for cgroup creation and removal.
#include "sandbox/guest_janitor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>

namespace ward {
namespace {

struct Fakes {
  std::mutex mu;
  int made = 0;
  bool fail = false;
  std::set<std::string> removed;  // guarded by mu

  GuestJanitor::MakeFn Make() {
    return [this]() -> Result<GuestCgroup> {
      std::lock_guard<std::mutex> lock(mu);
      if (fail) return Internal("no cgroups today");
      GuestCgroup g;
      g.dirs.push_back("g" + std::to_string(made++));
      return g;
    };
  }
  GuestJanitor::RemoveFn Remove() {
    return [this](const GuestCgroup& g) {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& d : g.dirs) removed.insert(d);
    };
  }
};

// A child that sleeps until killed.
pid_t Sleeper() {
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  return pid;
}

TEST(GuestJanitorTest, TakeUsesSparesAndBuryReapsAndRemoves) {
  Fakes f;
  pid_t child = Sleeper();
  ASSERT_GT(child, 0);
  {
    GuestJanitor j(f.Make(), f.Remove(), 2);
    auto g = j.Take();
    ASSERT_TRUE(g.ok());
    ASSERT_EQ(g->dirs.size(), 1u);
    kill(child, SIGKILL);
    j.Bury(child, *g);
    j.Drain();
    {
      std::lock_guard<std::mutex> lock(f.mu);
      EXPECT_EQ(f.removed.count(g->dirs[0]), 1u);
    }
    EXPECT_LT(waitpid(child, nullptr, WNOHANG), 0) << "the janitor did not reap the guest";
    EXPECT_EQ(errno, ECHILD);
  }
  // The destructor removed the spares it still held: everything made is removed.
  std::lock_guard<std::mutex> lock(f.mu);
  EXPECT_GE(f.made, 1);
  EXPECT_EQ(static_cast<int>(f.removed.size()), f.made);
}

TEST(GuestJanitorTest, WithoutSparesTakeMakesOnDemand) {
  Fakes f;
  GuestJanitor j(f.Make(), f.Remove(), 0);
  auto a = j.Take(), b = j.Take();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->dirs[0], b->dirs[0]);
  std::lock_guard<std::mutex> lock(f.mu);
  EXPECT_EQ(f.made, 2);
}

TEST(GuestJanitorTest, AFailingMakeIsReportedByTake) {
  Fakes f;
  f.fail = true;
  GuestJanitor j(f.Make(), f.Remove(), 3);
  auto g = j.Take();
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("no cgroups today"), std::string::npos);
  {
    std::lock_guard<std::mutex> lock(f.mu);
    f.fail = false;
  }
  EXPECT_TRUE(j.Take().ok());
}

TEST(GuestJanitorTest, DestructorFinishesEveryBurial) {
  Fakes f;
  std::vector<pid_t> children;
  {
    GuestJanitor j(f.Make(), f.Remove(), 1);
    for (int i = 0; i < 3; ++i) {
      pid_t c = Sleeper();
      ASSERT_GT(c, 0);
      children.push_back(c);
      kill(c, SIGKILL);
      j.Bury(c, GuestCgroup{{"dead" + std::to_string(i)}, {}});
    }
    j.Bury(-1, GuestCgroup{{"already-reaped"}, {}});
  }
  for (pid_t c : children) EXPECT_LT(waitpid(c, nullptr, WNOHANG), 0);
  std::lock_guard<std::mutex> lock(f.mu);
  for (const char* d : {"dead0", "dead1", "dead2", "already-reaped"})
    EXPECT_EQ(f.removed.count(d), 1u) << d;
}

}  // namespace
}  // namespace ward
