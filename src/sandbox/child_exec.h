// Starting a trusted-side Python worker (the guest's plain process, the code
// checker) as a child: the child gets its own process group (and, if asked, its
// own session), the channel on fd 3, /dev/null for stdin/stdout/stderr, no other
// inherited descriptor, and a minimal environment.
// A child in a new session gets the caller's nice value for its scheduling group
// too (sched_group.h).
//
// The child is started with posix_spawn, which shares the caller's memory until
// exec instead of copying it (fork): in a large, many-threaded process (a server
// with hundreds of threads) a fork copies every page table while holding the
// address-space lock, stalling every other thread that faults or maps memory.
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "util/status.h"

namespace ward {

constexpr int kGuestChannelFd = 3;

struct ChildExec {
  std::vector<std::string> argv_store, env_store;
  std::vector<char*> argv, env;
  std::string workdir;
  bool new_session = true;  // false: only a new process group (the caller's session)
};

// `python -I` importing `module` from `guest_dir` and calling its serve(3).
// The environment is PATH, LANG and LC_ALL plus `extra_env` ("NAME=value").
ChildExec PythonServeExec(const std::string& python, const std::string& guest_dir,
                          const std::string& module, const std::string& workdir,
                          const std::vector<std::string>& extra_env = {});

// Starts `plan` with `channel` as its fd 3 and returns its pid (the caller reaps
// it). Unavailable when it cannot be started (no such program, no such working
// directory), ResourceExhausted when the system is out of processes.
Result<pid_t> SpawnChildWithChannel(const ChildExec& plan, int channel);

}  // namespace ward
