#include "sandbox/sched_group.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace ward {

void ShareNiceWithGroup(pid_t pid) {
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  if (nice <= 0 || errno != 0) return;  // only ever lowers a group's priority
  int fd = open(("/proc/" + std::to_string(pid) + "/autogroup").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::string value = std::to_string(nice);
  (void)!write(fd, value.data(), value.size());
  close(fd);
}

}  // namespace ward
