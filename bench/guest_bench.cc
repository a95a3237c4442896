// `ward-bench guest`: the cost of the guest — warm code-action round trip, session
// start to first action, and memory per live session.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "bench_util.h"
#include "guest_bench_util.h"
#include "sandbox/guest.h"
#include "util/clock.h"

namespace ward::bench {
namespace {

GuestSpec Spec(const std::string& guest_dir) {
  return MinimalSpec(guest_dir, std::filesystem::temp_directory_path().string());
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

}  // namespace

int RunGuestBench(int argc, char** argv) {
  auto dir = FindGuestDir();
  if (!dir.ok()) return fprintf(stderr, "%s\n", dir.status().ToString().c_str()), 2;
  auto launcher = NewProcessLauncher();
  int n = argc > 0 ? atoi(argv[0]) : 0;
  WarmRoundTrip(*launcher, *dir, n > 0 ? n : 2000);
  StartToFirstAction(*launcher, *dir, 50);
  MeasureMemoryPerSession(*launcher, Spec(*dir), 20, "20 live");
  return 0;
}

}  // namespace ward::bench
