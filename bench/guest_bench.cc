// `ward-bench guest`: the cost of the guest — warm code-action round trip, session
// start to first action, and memory per live session.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "bench_util.h"
#include "sandbox/guest.h"
#include "util/clock.h"

namespace ward::bench {
namespace {

GuestSpec Spec(const std::string& guest_dir) {
  GuestSpec spec;
  spec.guest_dir = guest_dir;
  spec.workdir = std::filesystem::temp_directory_path().string();
  spec.bindings = {{"finish", "finish(answer)", "End the task."}};
  return spec;
}

GuestCallHandler NoCalls() {
  return [](const GuestCall&) { return GuestCallReply{true, "null", "", ""}; };
}

void WarmRoundTrip(GuestLauncher& launcher, const std::string& dir, int n) {
  auto guest = launcher.Launch(Spec(dir));
  if (!guest.ok()) return (void)fprintf(stderr, "%s\n", guest.status().ToString().c_str());
  Clock* clock = SystemClock::Default();
  for (int i = 0; i < 50; ++i) (void)(*guest)->Execute("print(1)", 5000, NoCalls(), nullptr);
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    int64_t t0 = clock->MonotonicMicros();
    auto r = (*guest)->Execute("print(1)", 5000, NoCalls(), nullptr);
    us.push_back(static_cast<double>(clock->MonotonicMicros() - t0));
    if (!r.ok() || r->stdout_text != "1\n") return (void)fprintf(stderr, "bad round trip\n");
  }
  printf("warm code action print(1) round trip: %s\n", Summary(us).c_str());
}

void StartToFirstAction(GuestLauncher& launcher, const std::string& dir, int n) {
  Clock* clock = SystemClock::Default();
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    int64_t t0 = clock->MonotonicMicros();
    auto guest = launcher.Launch(Spec(dir));
    if (!guest.ok()) return (void)fprintf(stderr, "%s\n", guest.status().ToString().c_str());
    auto r = (*guest)->Execute("print(1)", 5000, NoCalls(), nullptr);
    us.push_back(static_cast<double>(clock->MonotonicMicros() - t0));
  }
  printf("session start → first action done (%s launcher): %s\n", launcher.name().c_str(),
         Summary(us).c_str());
}

void MemoryPerSession(GuestLauncher& launcher, const std::string& dir, int n) {
  int64_t host_before = PssKib(getpid());
  std::vector<std::unique_ptr<Guest>> guests;
  for (int i = 0; i < n; ++i) {
    auto g = launcher.Launch(Spec(dir));
    if (!g.ok()) return (void)fprintf(stderr, "%s\n", g.status().ToString().c_str());
    (void)(*g)->Execute("x = 1", 5000, NoCalls(), nullptr);
    guests.push_back(std::move(g).value());
  }
  int64_t guest_total = 0;
  for (const auto& g : guests) guest_total += PssKib(g->pid());
  int64_t host_share = std::max<int64_t>(0, (PssKib(getpid()) - host_before) / n);
  printf(
      "memory per live idle session (%d live): guest PSS %.1f MiB + host share %.2f MiB = "
      "%.1f MiB\n",
      n, guest_total / 1024.0 / n, host_share / 1024.0,
      (guest_total / static_cast<double>(n) + host_share) / 1024.0);
}

}  // namespace

int RunGuestBench(int argc, char** argv) {
  auto dir = FindGuestDir();
  if (!dir.ok()) return fprintf(stderr, "%s\n", dir.status().ToString().c_str()), 2;
  auto launcher = NewProcessLauncher();
  int n = argc > 0 ? atoi(argv[0]) : 0;
  WarmRoundTrip(*launcher, *dir, n > 0 ? n : 2000);
  StartToFirstAction(*launcher, *dir, 50);
  MemoryPerSession(*launcher, *dir, 20);
  return 0;
}

}  // namespace ward::bench
