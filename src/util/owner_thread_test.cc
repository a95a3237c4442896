#include "util/owner_thread.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

namespace ward {
namespace {

TEST(OwnerThreadTest, RunsEveryFunctionOnTheSameThreadAndWaitsForIt) {
  OwnerThread owner;
  std::thread::id first;
  owner.RunOn([&] { first = std::this_thread::get_id(); });
  EXPECT_NE(first, std::this_thread::get_id());
  std::atomic<int> ran{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i)
    callers.emplace_back([&] {
      for (int j = 0; j < 50; ++j) {
        int before = ran.load();
        owner.RunOn([&] {
          EXPECT_EQ(std::this_thread::get_id(), first);
          ++ran;
        });
        EXPECT_GT(ran.load(), before);  // it ran before RunOn returned
      }
    });
  for (auto& c : callers) c.join();
  EXPECT_EQ(ran.load(), 400);
}

// A child started with PR_SET_PDEATHSIG from the owner thread outlives the
// short-lived thread that asked for it.
TEST(OwnerThreadTest, AChildStartedThereOutlivesTheThreadThatAskedForIt) {
  OwnerThread owner;
  int pipe_fds[2], armed[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_EQ(pipe(armed), 0);
  pid_t child = -1;
  pid_t asker_tid = 0;
  std::thread asker([&] {
    asker_tid = static_cast<pid_t>(syscall(SYS_gettid));
    owner.RunOn([&] {
      child = fork();
      if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void)!write(armed[1], "a", 1);
        char c;
        (void)!read(pipe_fds[0], &c, 1);  // until told to exit
        _exit(7);
      }
      char c;
      (void)!read(armed[0], &c, 1);  // the child's death signal is set
    });
  });
  asker.join();
  ASSERT_GT(child, 0);
  // Once the asking thread's task is gone, a parent-death signal would be pending.
  std::string task = "/proc/self/task/" + std::to_string(asker_tid);
  for (int i = 0; i < 5000 && access(task.c_str(), F_OK) == 0; ++i) usleep(1000);
  ASSERT_NE(access(task.c_str(), F_OK), 0);
  ASSERT_EQ(write(pipe_fds[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7)
      << "the child died with the thread that asked for it (status " << status << ")";
  for (int fd : {pipe_fds[0], pipe_fds[1], armed[0], armed[1]}) close(fd);
}

}  // namespace
}  // namespace ward
