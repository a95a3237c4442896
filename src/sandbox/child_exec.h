// Starting a trusted-side Python worker (the guest's plain process, the code
// checker) as a child: its program is prepared before fork, so the child only
// makes async-signal-safe calls; the child gets its own session, the channel on
// fd 3, /dev/null for stdin/stdout/stderr, no other inherited descriptor, and a
// minimal environment. Not thread-safe by itself; one plan per fork.
#pragma once

#include <string>
#include <vector>

namespace ward {

constexpr int kGuestChannelFd = 3;

struct ChildExec {
  std::vector<std::string> argv_store, env_store;
  std::vector<char*> argv, env;
  std::string workdir;
};

// `python -I` importing `module` from `guest_dir` and calling its serve(3).
// The environment is PATH, LANG and LC_ALL plus `extra_env` ("NAME=value").
ChildExec PythonServeExec(const std::string& python, const std::string& guest_dir,
                          const std::string& module, const std::string& workdir,
                          const std::vector<std::string>& extra_env = {});

// In the forked child: sets up descriptors and the session, then execs. Exit code
// 126 when the setup fails, 127 when exec does.
[[noreturn]] void ExecChildWithChannel(const ChildExec& plan, int channel);

}  // namespace ward
