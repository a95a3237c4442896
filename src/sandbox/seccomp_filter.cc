#include "sandbox/seccomp_filter.h"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

namespace ward {
namespace {

constexpr const char* kDenied[] = {"ptrace",
                                   "process_vm_readv",
                                   "process_vm_writev",
                                   "pidfd_getfd",
                                   "kcmp",
                                   "mount",
                                   "umount2",
                                   "pivot_root",
                                   "chroot",
                                   "fsopen",
                                   "fsconfig",
                                   "fsmount",
                                   "fspick",
                                   "move_mount",
                                   "open_tree",
                                   "mount_setattr",
                                   "unshare",
                                   "setns",
                                   "bpf",
                                   "perf_event_open",
                                   "keyctl",
                                   "add_key",
                                   "request_key",
                                   "io_uring_setup",
                                   "io_uring_enter",
                                   "io_uring_register",
                                   "userfaultfd",
                                   "kexec_load",
                                   "kexec_file_load",
                                   "init_module",
                                   "finit_module",
                                   "delete_module",
                                   "open_by_handle_at",
                                   "name_to_handle_at",
                                   "reboot",
                                   "swapon",
                                   "swapoff",
                                   "acct",
                                   "quotactl",
                                   "quotactl_fd",
                                   "syslog",
                                   "iopl",
                                   "ioperm",
                                   "settimeofday",
                                   "clock_settime",
                                   "clock_adjtime",
                                   "adjtimex",
                                   "vhangup",
                                   "lookup_dcookie",
                                   "nfsservctl",
                                   "uselib"};

constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWNS,     CLONE_NEWUSER, CLONE_NEWPID,
                                        CLONE_NEWNET,    CLONE_NEWIPC,  CLONE_NEWUTS,
                                        CLONE_NEWCGROUP, CLONE_NEWTIME};

Status Check(int rc, const std::string& what) {
  if (rc == 0) return Status::Ok();
  return Internal("seccomp: " + what + ": " + strerror(-rc));
}

// Syscalls that take a file mode, and which argument holds it: none of them may
// set the setuid or setgid bit.
constexpr std::pair<const char*, unsigned> kModeArgs[] = {
    {"chmod", 1},  {"fchmod", 1}, {"fchmodat", 2}, {"open", 2},
    {"openat", 3}, {"creat", 1},  {"mknod", 1},    {"mknodat", 2}};

// Syscalls whose mode sits where a filter cannot see it (fchmodat2's flags,
// openat2's struct): ENOSYS, so libc falls back to the ones above. By number:
// libseccomp may not know them, the kernel does.
constexpr std::pair<const char*, int> kHiddenMode[] = {{"openat2", 437}, {"fchmodat2", 452}};

Status DenySetIdModes(scmp_filter_ctx ctx) {
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (auto [name, arg] : kModeArgs) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this arch (open, creat, ... on arm64)
    for (uint64_t bit : {uint64_t{S_ISUID}, uint64_t{S_ISGID}}) {
      struct scmp_arg_cmp cmp = {arg, SCMP_CMP_MASKED_EQ, bit, bit};
      WARD_RETURN_IF_ERROR(Check(seccomp_rule_add_array(ctx, deny, nr, 1, &cmp), name));
    }
  }
  for (auto [name, number] : kHiddenMode) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) nr = number;
    WARD_RETURN_IF_ERROR(Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0), name));
  }
  return Status::Ok();
}

Status AddRules(scmp_filter_ctx ctx) {
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not a syscall on this kernel/arch
    WARD_RETURN_IF_ERROR(Check(seccomp_rule_add(ctx, deny, nr, 0), name));
  }
  WARD_RETURN_IF_ERROR(Check(
      seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)), "socket"));
  WARD_RETURN_IF_ERROR(
      Check(seccomp_rule_add(ctx, deny, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)),
            "socketpair"));
  for (uint64_t flag : kNamespaceFlags) {
    WARD_RETURN_IF_ERROR(Check(
        seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)),
        "clone"));
  }
  WARD_RETURN_IF_ERROR(
      Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0), "clone3"));
  WARD_RETURN_IF_ERROR(Check(seccomp_rule_add(ctx, deny, SCMP_SYS(ioctl), 1,
                                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI)),
                             "ioctl"));
  return DenySetIdModes(ctx);
}

Result<std::string> Export(scmp_filter_ctx ctx) {
  int fd = memfd_create("ward-seccomp", MFD_CLOEXEC);
  if (fd < 0) return Internal(std::string("memfd_create: ") + strerror(errno));
  Status s = Check(seccomp_export_bpf(ctx, fd), "export");
  std::string bpf;
  if (s.ok()) {
    off_t size = lseek(fd, 0, SEEK_END);
    bpf.resize(size > 0 ? static_cast<size_t>(size) : 0);
    if (size <= 0 || pread(fd, bpf.data(), bpf.size(), 0) != size)
      s = Internal("seccomp: could not read the exported filter");
  }
  close(fd);
  if (!s.ok()) return s;
  return bpf;
}

}  // namespace

Result<std::string> BuildSeccompBpf() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return Internal("seccomp_init failed");
  Status s = Check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
                   "bad-arch action");
  if (s.ok()) s = AddRules(ctx);
  Result<std::string> out = s.ok() ? Export(ctx) : Result<std::string>(s);
  seccomp_release(ctx);
  return out;
}

}  // namespace ward
