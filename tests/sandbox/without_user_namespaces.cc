// Test helper: `without_user_namespaces PROGRAM ARGS...` runs PROGRAM where no
// user namespace can be made, as under Docker's default seccomp profile: clone()
// and unshare() with CLONE_NEWUSER fail with EPERM, and clone3() (whose flags a
// filter cannot read) with ENOSYS, so callers fall back to clone(). Everything
// else is allowed. Exits 126 when the filter cannot be installed.
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: without_user_namespaces PROGRAM [ARGS...]\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  bool ok = ctx != nullptr &&
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)) == 0 &&
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)) == 0 &&
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) == 0 &&
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && seccomp_load(ctx) == 0;
  if (ctx) seccomp_release(ctx);
  if (!ok) {
    std::perror("without_user_namespaces: cannot install the seccomp filter");
    return 126;
  }
  execv(argv[1], argv + 1);
  std::perror("without_user_namespaces: exec");
  return 127;
}
