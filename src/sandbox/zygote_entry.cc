// libward_isolate.so: the C entry points the Python zygote calls (through
// ctypes.PyDLL, so the GIL stays held and the zygote stays single-threaded).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>

#include "sandbox/isolate.h"
#include "sandbox/layers.h"
#include "sandbox/sched_hint.h"

namespace {

// The zygote's network namespace state (the zygote is single-threaded).
int g_home_net = -1;          // the namespace the zygote started in
bool g_net_ready = false;     // the zygote sits in a fresh namespace no guest has had
bool g_in_guest_net = false;  // the zygote sits in the namespace it gave a guest
// The TemplatePart (encoded) whose root template the zygote's mount namespace
// holds at kTemplateStageDir; empty when there is none.
std::string g_template_key;

// Whether a plan may use what the zygote prepares: its network namespace and
// mount template belong to the zygote's user namespace, so not when the guest's
// clone makes a user namespace (a root ward's guests enter theirs afterwards).
bool MayShare(const ward::IsolationPlan& plan, uint32_t layer) {
  return (plan.layers & layer) && (!(plan.layers & ward::kLayerUser) || plan.drop_to_outer);
}

// Builds the root template for plans like this one, unless the zygote has it.
void PrepareRoot(const ward::IsolationPlan& plan) {
  if (!MayShare(plan, ward::kLayerMount)) return;
  static std::string failed;  // not retried: its guests build their whole root
  std::string key = ward::EncodePlan(ward::TemplatePart(plan));
  if (key == g_template_key || key == failed) return;
  g_template_key.clear();
  auto prepared = ward::PreparePlan(ward::TemplatePart(plan), ward::kTemplateStageDir);
  if (prepared.ok() && ward::BuildRootTemplate(*prepared).ok())
    g_template_key = key;
  else
    failed = key;
}

// Moves the zygote into a fresh network namespace with loopback up, for the next
// guest to inherit (so creating one is off the guest's start path). When a fresh
// one cannot be made (e.g. without CAP_SYS_ADMIN) the zygote goes back to the one
// it started in, never staying in a guest's. 1 when a fresh one is ready, else 0.
int PrepareNetworkNow() {
  if (g_net_ready) return 1;
  if (g_home_net < 0) g_home_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (g_home_net < 0) return 0;
  const char* what = nullptr;
  bool fresh = unshare(CLONE_NEWNET) == 0;
  if (fresh) g_in_guest_net = false;
  if (fresh && ward::BringLoopbackUp(&what) == 0) {
    g_net_ready = true;
    return 1;
  }
  if (fresh || g_in_guest_net) {
    if (setns(g_home_net, CLONE_NEWNET) != 0) _exit(125);  // never stay in a guest's namespace
    g_in_guest_net = false;
  }
  return 0;
}

}  // namespace

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
  ward::SpawnOptions opt;
  opt.channel_fd = channel_fd;
  opt.clone_parent = true;
  opt.network_ready = g_net_ready && MayShare(*plan, ward::kLayerNet);
  opt.root_template = !g_template_key.empty() && MayShare(*plan, ward::kLayerMount) &&
                      ward::EncodePlan(ward::TemplatePart(*plan)) == g_template_key;
  auto prepared = ward::PreparePlan(std::move(plan).value(),
                                    opt.root_template ? ward::kTemplateStageDir : ward::kStageDir);
  if (!prepared.ok()) return fail(prepared.status().message());
  pid_t pid = ward::Spawn(*prepared, opt);
  if (pid < 0) return fail(std::string("clone: ") + strerror(-pid));
  if (pid > 0 && opt.network_ready) {  // that guest has it now
    g_net_ready = false;
    g_in_guest_net = true;
  }
  return pid;
}

// Prepares, while the zygote is idle, what does not depend on the next request:
// a fresh network namespace and, given a plan (blob may be null), the root
// template for plans like it. Called at start and after each request, so the
// zygote never stays in a namespace it gave a guest. Each part that cannot be
// prepared is simply made by the next guest itself, as without a zygote.
__attribute__((visibility("default"))) void ward_zygote_prepare(const char* blob, size_t len) {
  PrepareNetworkNow();
  if (blob == nullptr) return;
  auto plan = ward::DecodePlan(std::string(blob, len));
  if (plan.ok()) PrepareRoot(*plan);
}

// Called by a guest once it said ready: its start is over, so it gives back the
// short time slice it inherited from the zygote (sched_hint.h).
__attribute__((visibility("default"))) void ward_guest_started() { ward::SetTimeSlice(0, 0); }

}  // extern "C"
