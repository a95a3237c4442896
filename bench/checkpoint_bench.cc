// `ward-bench checkpoint [N]`: the cost of one audit checkpoint — read the chain's
// head, sign it (Ed25519), store it and append it to a published file (write +
// fsync) — on a store file. Also the signature alone, to split CPU from I/O.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "audit/audit_log.h"
#include "audit/checkpoint.h"
#include "audit/checkpointer.h"
#include "bench_util.h"
#include "util/clock.h"

namespace ward::bench {
namespace {

int Measure(const std::filesystem::path& dir, int n) {
  auto store = OpenSqliteStore((dir / "ward.db").string());
  if (!store.ok()) return fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
  auto key = LoadOrCreateSigningKey((dir / "key.pem").string());
  if (!key.ok()) return fprintf(stderr, "%s\n", key.status().ToString().c_str()), 1;
  Clock* clock = SystemClock::Default();
  AuditLog audit(store->get(), clock, "bench");
  std::vector<std::unique_ptr<CheckpointSink>> sinks;
  sinks.push_back(NewFileCheckpointSink((dir / "published.ndjson").string()));
  Checkpointer checkpointer(store->get(), clock, &*key, std::move(sinks), 0);
  std::vector<double> sign_us, full_us;
  for (int i = 0; i < n; ++i) {
    AuditData d;
    d.Set("i", i);
    if (!audit.Record("s_bench", "binding_call", d).ok()) return fprintf(stderr, "audit\n"), 1;
    int64_t t0 = clock->MonotonicMicros();
    auto c = SignCheckpoint(*key, i + 1, std::string(64, 'a'), "2026-11-30T00:00:00.000Z");
    int64_t t1 = clock->MonotonicMicros();
    auto result = checkpointer.Checkpoint(&audit);
    int64_t t2 = clock->MonotonicMicros();
    if (!c.ok() || !result.ok() || !result->publish_failures.empty())
      return fprintf(stderr, "checkpoint failed\n"), 1;
    sign_us.push_back(static_cast<double>(t1 - t0));
    full_us.push_back(static_cast<double>(t2 - t1));
  }
  printf("checkpoint signature alone (Ed25519): %s\n", Summary(sign_us).c_str());
  printf("checkpoint (head + sign + store + file append with fsync), store file: %s\n",
         Summary(full_us).c_str());
  return 0;
}

}  // namespace

int RunCheckpointBench(int argc, char** argv) {
  int n = argc > 0 ? atoi(argv[0]) : 0;
  if (n <= 0) n = 500;
  auto dir = std::filesystem::temp_directory_path() /
             ("ward-checkpoint-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  int rc = Measure(dir, n);
  std::filesystem::remove_all(dir);
  return rc;
}

}  // namespace ward::bench
