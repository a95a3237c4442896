// `ward-bench gate [N]`: the gate's own overhead per binding call — describe,
// policy, audit entry (SQLite, hash chain) and event, stored in one transaction —
// with a binding that does no upstream I/O. Measured on a store file (what ward
// runs with) and, to split CPU from file I/O, on an in-memory SQLite database.
// A third figure is the store alone: the same two rows, made in advance, appended
// in one transaction — the floor under the gate's figure on this machine's disk.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "audit/audit_log.h"
#include "bench_util.h"
#include "gate/gate.h"
#include "store/event_log.h"
#include "util/clock.h"

namespace ward::bench {
namespace {

// Dispatches `n` calls through a gate on the store at `path`; prints the figures.
int MeasureGate(const std::string& path, const char* label, int n) {
  auto store = OpenSqliteStore(path);
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
  printf("gate overhead per binding call (policy + audit + event, no upstream I/O), %s: %s\n",
         label, Summary(us).c_str());
  return 0;
}

// Appends `n` ready-made audit entries and events, one transaction each, as the
// gate stores a call; prints the figures.
int MeasureStoreAlone(const std::string& path, int n) {
  auto store = OpenSqliteStore(path);
  if (!store.ok()) return fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
  Clock* clock = SystemClock::Default();
  std::string body(520, 'x'), payload(300, 'y');
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    int64_t t0 = clock->MonotonicMicros();
    Status s = (*store)->Atomically([&]() -> Status {
      auto audited = (*store)->AppendAudit("s_bench", "binding_call",
                                           [&](int64_t, const std::string&) { return body; });
      if (!audited.ok()) return audited.status();
      return (*store)->AppendEvent("s_bench", 0, "binding_call", payload).status();
    });
    us.push_back(static_cast<double>(clock->MonotonicMicros() - t0));
    if (!s.ok()) return fprintf(stderr, "store failed: %s\n", s.ToString().c_str()), 1;
  }
  printf("the store alone (the same two rows, made in advance), store file: %s\n",
         Summary(us).c_str());
  return 0;
}

}  // namespace

int RunGateBench(int argc, char** argv) {
  int n = argc > 0 ? atoi(argv[0]) : 0;
  if (n <= 0) n = 5000;
  auto dir =
      std::filesystem::temp_directory_path() / ("ward-gate-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  int rc = MeasureGate((dir / "ward.db").string(), "store file", n);
  if (rc == 0) rc = MeasureGate(":memory:", "in-memory store (CPU only)", n);
  if (rc == 0) rc = MeasureStoreAlone((dir / "alone.db").string(), n);
  std::filesystem::remove_all(dir);
  return rc;
}

}  // namespace ward::bench
