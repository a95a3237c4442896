#include "sandbox/child_exec.h"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cstring>

#include "sandbox/background_cpu.h"
#include "sandbox/sched_group.h"

namespace ward {

ChildExec PythonServeExec(const std::string& python, const std::string& guest_dir,
                          const std::string& module, const std::string& workdir,
                          const std::vector<std::string>& extra_env) {
  ChildExec plan;
  plan.argv_store = {python, "-I", "-c",
                     "import sys; sys.path.insert(0, sys.argv[1]); from " + module +
                         " import serve; sys.exit(serve(3))",
                     guest_dir};
  plan.env_store = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"};
  plan.env_store.insert(plan.env_store.end(), extra_env.begin(), extra_env.end());
  for (auto& s : plan.argv_store) plan.argv.push_back(s.data());
  plan.argv.push_back(nullptr);
  for (auto& s : plan.env_store) plan.env.push_back(s.data());
  plan.env.push_back(nullptr);
  plan.workdir = workdir;
  return plan;
}

Result<pid_t> SpawnChildWithChannel(const ChildExec& plan, int channel) {
  // dup2 onto itself would leave close-on-exec set: move the channel off fd 3 first.
  int moved = -1;
  if (channel == kGuestChannelFd) {
    moved = fcntl(channel, F_DUPFD_CLOEXEC, kGuestChannelFd + 1);
    if (moved < 0) return ResourceExhausted(std::string("fcntl: ") + strerror(errno));
    channel = moved;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, plan.new_session ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawn_file_actions_adddup2(&actions, channel, kGuestChannelFd);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&actions, 0, 1);
  posix_spawn_file_actions_adddup2(&actions, 0, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, kGuestChannelFd + 1);
  posix_spawn_file_actions_addchdir_np(&actions, plan.workdir.c_str());
  pid_t pid = -1;
  int err = posix_spawn(&pid, plan.argv[0], &actions, &attr, plan.argv.data(), plan.env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (moved >= 0) close(moved);
  if (err == EAGAIN || err == ENOMEM)
    return ResourceExhausted("cannot start " + plan.argv_store[0] + ": " + strerror(err));
  if (err != 0)
    return Unavailable("cannot start " + plan.argv_store[0] + " in " + plan.workdir + ": " +
                       strerror(err));
  if (plan.new_session) ShareNiceWithGroup(pid);
  (void)BackgroundCpu::Shared().Join(pid);  // best effort: only its scheduling changes
  return pid;
}

}  // namespace ward
