#include "sandbox/child_exec.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

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

void ExecChildWithChannel(const ChildExec& plan, int channel) {
  setsid();
  if (dup2(channel, kGuestChannelFd) < 0) _exit(126);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull < 0) _exit(126);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  if (syscall(SYS_close_range, kGuestChannelFd + 1, ~0U, 0) != 0) {
    for (int fd = kGuestChannelFd + 1; fd < 65536; ++fd) close(fd);
  }
  if (chdir(plan.workdir.c_str()) != 0) _exit(126);
  execve(plan.argv[0], plan.argv.data(), plan.env.data());
  _exit(127);
}

}  // namespace ward
