// Where the kernel schedules by session (autogroup, CONFIG_SCHED_AUTOGROUP), a
// process that starts a new session (setsid) gets a scheduling group of its own,
// which competes for the CPU with the whole parent process as an equal, whatever
// the process's nice value. A server that runs its sessions' guests at nice 10
// would then lose the CPU to a hundred of them.
#pragma once

#include <sys/types.h>

namespace ward {

// Sets the scheduling group of `pid`, which leads its own session, to the calling
// thread's nice value when that is above 0. Does nothing where there are no
// autogroups. Thread-safe.
void ShareNiceWithGroup(pid_t pid);

}  // namespace ward
