#include "sandbox/sched_hint.h"

#include <linux/sched.h>
#include <linux/sched/types.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ward {

bool SetTimeSlice(pid_t tid, unsigned long long slice_ns) {
  struct sched_attr attr = {};
  if (syscall(SYS_sched_getattr, tid, &attr, sizeof attr, 0) != 0) return false;
  if (attr.sched_policy != SCHED_NORMAL) return false;
  attr.size = sizeof attr;
  attr.sched_flags = 0;
  attr.sched_runtime = slice_ns;  // keeps sched_nice as it is
  return syscall(SYS_sched_setattr, tid, &attr, 0) == 0;
}

}  // namespace ward
