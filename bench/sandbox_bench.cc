// `ward-bench sandbox`: the cost of the sandbox — cold start (zygote and plain),
// warm round trip, memory per live idle session, and 1,000 concurrent sessions.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "bench_util.h"
#include "guest_bench_util.h"
#include "sandbox/sandbox.h"
#include "sandbox/workspace.h"
#include "util/clock.h"

namespace ward::bench {
namespace {

std::unique_ptr<GuestLauncher> Make(const std::string& dir, bool zygote) {
  SandboxOptions o;
  o.guest_dir = dir;
  o.use_zygote = zygote;
  auto l = NewSandboxLauncher(o);
  if (!l.ok()) {
    fprintf(stderr, "%s\n", l.status().ToString().c_str());
    return nullptr;
  }
  return std::move(l).value();
}

// Starts n guests one after another, keeping them alive (as live sessions are), then
// stops them all: start latency is measured without the previous guest's teardown
// running in the kernel at the same time; the teardown is measured on its own.
void ColdStart(GuestLauncher& launcher, const GuestSpec& spec, int n, const char* label) {
  Clock* clock = SystemClock::Default();
  (void)launcher.Launch(spec);  // starts the zygote, if any
  std::vector<double> ready, first, stop;
  std::vector<std::unique_ptr<Guest>> live;
  for (int i = 0; i < n; ++i) {
    int64_t t0 = clock->MonotonicMicros();
    auto g = launcher.Launch(spec);
    int64_t t1 = clock->MonotonicMicros();
    if (!g.ok()) return (void)fprintf(stderr, "%s\n", g.status().ToString().c_str());
    auto r = (*g)->Execute("print(1)", 5000, NoCalls(), nullptr);
    ready.push_back(static_cast<double>(t1 - t0));
    first.push_back(static_cast<double>(clock->MonotonicMicros() - t0));
    live.push_back(std::move(g).value());
  }
  for (auto& g : live) {
    int64_t t0 = clock->MonotonicMicros();
    g.reset();
    stop.push_back(static_cast<double>(clock->MonotonicMicros() - t0));
  }
  launcher.WaitForStopped();  // the next phase does not share the machine with this teardown
  printf("cold start, request → guest ready (%s): %s\n", label, Summary(ready).c_str());
  printf("cold start, request → first print(1) done (%s): %s\n", label, Summary(first).c_str());
  printf(
      "stop on the session thread (kill the namespace's init; reaping and cgroup removal "
      "run in the background) (%s): %s\n",
      label, Summary(stop).c_str());
}

void WarmRoundTrip(GuestLauncher& launcher, const GuestSpec& spec, int n) {
  auto g = launcher.Launch(spec);
  if (!g.ok()) return (void)fprintf(stderr, "%s\n", g.status().ToString().c_str());
  Clock* clock = SystemClock::Default();
  for (int i = 0; i < 50; ++i) (void)(*g)->Execute("print(1)", 5000, NoCalls(), nullptr);
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    int64_t t0 = clock->MonotonicMicros();
    auto r = (*g)->Execute("print(1)", 5000, NoCalls(), nullptr);
    us.push_back(static_cast<double>(clock->MonotonicMicros() - t0));
    if (!r.ok() || r->stdout_text != "1\n") return (void)fprintf(stderr, "bad round trip\n");
  }
  printf("warm code action print(1) round trip (sandbox): %s\n", Summary(us).c_str());
  g->reset();
  launcher.WaitForStopped();
}

void Thousand(GuestLauncher& launcher, const GuestSpec& spec, int sessions, int threads) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  Clock* clock = SystemClock::Default();
  std::atomic<int> next{0}, completed{0}, lost{0};
  std::mutex mu;
  std::vector<std::unique_ptr<Guest>> live;
  std::string first_error;
  int64_t t0 = clock->MonotonicMicros();
  std::atomic<bool> done{false};
  std::atomic<int64_t> worst_tick_us{0};
  std::thread ticker([&] {  // how late a 10 ms sleep wakes up: is the machine responsive?
    while (!done) {
      int64_t a = clock->MonotonicMicros();
      usleep(10'000);
      int64_t late = clock->MonotonicMicros() - a - 10'000;
      if (late > worst_tick_us) worst_tick_us = late;
    }
  });
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < sessions; i = next++) {
        auto g = launcher.Launch(spec);
        auto r = g.ok() ? (*g)->Execute("sum(range(1000))", 30'000, NoCalls(), nullptr)
                        : Result<ActionOutcome>(g.status());
        bool ok = r.ok() && r->failure == GuestFailure::kNone && r->value_repr == "499500";
        (ok ? completed : lost)++;
        std::lock_guard<std::mutex> lock(mu);
        if (!ok && first_error.empty())
          first_error = r.ok() ? r->failure_detail + r->error : r.status().ToString();
        if (g.ok()) live.push_back(std::move(g).value());  // stays alive until all are done
      }
    });
  }
  for (auto& th : pool) th.join();
  int64_t wall = clock->MonotonicMicros() - t0;
  size_t alive = live.size();
  int64_t worst_running_us = worst_tick_us.exchange(0);
  int64_t t1 = clock->MonotonicMicros();
  live.clear();  // every guest is killed at once; their teardown runs together
  launcher.WaitForStopped();
  int64_t teardown = clock->MonotonicMicros() - t1;
  done = true;
  ticker.join();
  printf(
      "%d concurrent sessions (%d host threads): completed %d, lost %d, all %zu alive at the "
      "end, wall %.2f s (%.2f ms/session); worst 10 ms-sleep overshoot %.1f ms; stopping all "
      "%.2f s, worst overshoot meanwhile %.1f ms%s%s\n",
      sessions, threads, completed.load(), lost.load(), alive, wall / 1e6, wall / 1e3 / sessions,
      worst_running_us / 1e3, teardown / 1e6, worst_tick_us.load() / 1e3,
      first_error.empty() ? "" : "; first error: ", first_error.c_str());
}

}  // namespace

int RunSandboxBench(int argc, char** argv) {
  auto dir = FindGuestDir();
  if (!dir.ok()) return fprintf(stderr, "%s\n", dir.status().ToString().c_str()), 2;
  int sessions = argc > 0 ? atoi(argv[0]) : 1000;
  // The guests' workspace as a session's own: private to the guests' host user.
  auto work = TempWorkspace::Create(std::filesystem::temp_directory_path().string(), "ward-bench-",
                                    GuestHostOwner());
  if (!work.ok()) return fprintf(stderr, "%s\n", work.status().ToString().c_str()), 1;
  GuestSpec spec = MinimalSpec(*dir, (*work)->path());
  auto zygote = Make(*dir, true);
  auto plain = Make(*dir, false);
  if (!zygote || !plain) return 1;
  printf("sandbox layers: ");
  for (const auto& l : zygote->isolation_layers()) printf("%s ", l.c_str());
  printf("\n");
  ColdStart(*zygote, spec, 200, "zygote");
  ColdStart(*plain, spec, 50, "plain: python started inside the sandbox");
  WarmRoundTrip(*zygote, spec, 2000);
  MeasureMemoryPerSession(*zygote, spec, 100, "100 live, zygote-forked");
  Thousand(*zygote, spec, sessions > 0 ? sessions : 1000, 8);
  return 0;
}

}  // namespace ward::bench
