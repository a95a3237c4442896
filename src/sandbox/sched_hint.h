// Scheduling hints for the guest start path.
//
// On a loaded host, starting a guest is a chain of hand-offs (host → zygote → new
// guest → host), and a task that was just woken or forked may wait for the running
// task to use up its time slice (milliseconds) before it runs. Since Linux 6.12 a
// normal (SCHED_OTHER) task may ask for a shorter slice: it is then picked, and may
// preempt, sooner, without getting a larger share of the CPU (its weight is
// unchanged). Older kernels ignore the request; tasks of another policy are left
// alone. The setting is inherited across fork and exec.
//
// Both functions make system calls only (async-signal-safe: usable between fork
// and exec) and report whether the kernel accepted the request.
#pragma once

#include <sys/types.h>

namespace ward {

// The slice asked for by the guest start path.
inline constexpr unsigned long long kShortSliceNs = 100'000;

// Asks for `slice_ns` for thread `tid` (0: the calling thread); 0 restores the default.
bool SetTimeSlice(pid_t tid, unsigned long long slice_ns);

}  // namespace ward
