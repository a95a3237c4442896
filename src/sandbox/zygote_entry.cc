// libward_isolate.so: the C entry points the Python zygote calls (through
// ctypes.PyDLL, so the GIL stays held and the zygote stays single-threaded).
#include <cstring>

#include "sandbox/isolate.h"
#include "sandbox/sched_hint.h"

extern "C" {

// Clones an isolated guest described by the encoded plan (isolation_plan.h) with
// `channel_fd` as its fd 3; the guest becomes a child of the zygote's parent (the
// host). Returns the pid in the zygote, 0 in the guest (isolated, ready to serve),
// and -1 with a message in `err` when the plan is bad or clone failed.
__attribute__((visibility("default"))) int ward_zygote_spawn(const char* blob, size_t len,
                                                             int channel_fd, char* err,
                                                             size_t err_len) {
  auto fail = [&](const std::string& m) {
    if (err_len > 0) {
      strncpy(err, m.c_str(), err_len - 1);
      err[err_len - 1] = '\0';
    }
    return -1;
  };
  auto plan = ward::DecodePlan(std::string(blob, len));
  if (!plan.ok()) return fail(plan.status().message());
  auto prepared = ward::PreparePlan(std::move(plan).value());
  if (!prepared.ok()) return fail(prepared.status().message());
  ward::SpawnOptions opt;
  opt.channel_fd = channel_fd;
  opt.clone_parent = true;
  pid_t pid = ward::Spawn(*prepared, opt);
  if (pid < 0) return fail(std::string("clone: ") + strerror(-pid));
  return pid;
}

// Called by a guest once it said ready: its start is over, so it gives back the
// short time slice it inherited from the zygote (sched_hint.h).
__attribute__((visibility("default"))) void ward_guest_started() { ward::SetTimeSlice(0, 0); }

}  // extern "C"
