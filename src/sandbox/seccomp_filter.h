// The guest's syscall filter, compiled once on the host with libseccomp into a
// raw BPF program that the guest installs after every other isolation step.
//
// Policy (default allow; each listed call fails with EPERM):
//   sockets of any family but AF_UNIX; ptrace, process_vm_readv/writev, pidfd_getfd,
//   kcmp; mount, umount2, pivot_root, chroot, the new mount API (fsopen, fsmount,
//   move_mount, open_tree, ...); unshare, setns and clone() with any CLONE_NEW* flag;
//   bpf, perf_event_open; keyctl, add_key, request_key; io_uring_*; userfaultfd;
//   kexec_*, init/finit/delete_module; open_by_handle_at, name_to_handle_at; reboot,
//   swapon/off, acct, quotactl, syslog, iopl/ioperm, clock and time setting,
//   vhangup; TIOCSTI; chmod, fchmod, fchmodat, open, openat, creat, mknod and mknodat
//   with a mode holding S_ISUID or S_ISGID. clone3, openat2 and fchmodat2 fail with
//   ENOSYS (their flags or mode cannot be inspected) so libc falls back to clone(),
//   openat() and fchmodat(). Syscalls of a foreign ABI (i386, x32) kill the guest.
// Thread-safe.
#pragma once

#include <string>

#include "util/status.h"

namespace ward {

// The filter as an array of struct sock_filter. Internal when libseccomp fails.
Result<std::string> BuildSeccompBpf();

}  // namespace ward
