// `ward-bench gate [N]`: the gate's own overhead per binding call — describe,
// policy, audit entry (SQLite, hash chain) and event — with a binding that does no
// upstream I/O.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "audit/audit_log.h"
#include "bench_util.h"
#include "gate/gate.h"
#include "store/event_log.h"
#include "util/clock.h"

namespace ward::bench {

int RunGateBench(int argc, char** argv) {
  int n = argc > 0 ? atoi(argv[0]) : 0;
  if (n <= 0) n = 5000;
  auto dir =
      std::filesystem::temp_directory_path() / ("ward-gate-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto store = OpenSqliteStore((dir / "ward.db").string());
  if (!store.ok()) return fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
  Clock* clock = SystemClock::Default();
  EventLog events(store->get(), clock);
  AuditLog audit(store->get(), clock, "bench");
  BindingRegistry registry;
  Binding noop{"demo.read", "read(resource_type, id)", "A read with no upstream I/O.", "read",
               [](const BindingContext&, const std::string&) {
                 return BindingValue(R"({"resourceType":"Patient","id":"1"})");
               }};
  (void)registry.Add(noop);
  GateOptions options;
  options.store = store->get();
  options.clock = clock;
  Gate gate(&registry, &audit, &events, options);
  GuestCall call{"demo.read", R"({"resource_type":"Patient","id":"1"})"};
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    int64_t t0 = clock->MonotonicMicros();
    GuestCallReply r = gate.Dispatch(BindingContext{"s_bench", 1}, call);
    us.push_back(static_cast<double>(clock->MonotonicMicros() - t0));
    if (!r.ok) return fprintf(stderr, "dispatch failed: %s\n", r.error_message.c_str()), 1;
  }
  printf("gate overhead per binding call (policy + audit + event, no upstream I/O): %s\n",
         Summary(us).c_str());
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace ward::bench
