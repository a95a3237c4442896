// AuditExportLoop: the continuous audit export `ward serve` runs when
// [audit.export] is configured (docs/audit.md, "Export").
//
// A background thread that runs ExportAudit (with the destination's cursor) every
// `interval_ms` on the injected clock, waiting in slices of at most
// kExportWaitSliceMs so that Stop() — which also cancels an export in progress —
// returns promptly and joins. A failed pass is never silent: it is audited as an
// `audit_export_failed` entry (destination and reason, never a token) once per
// run of failures, counted in failures(), and retried at the next interval. Start
// and Stop from one thread; the counters may be read from any.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "audit/audit_export.h"
#include "audit/audit_log.h"
#include "util/cancel.h"

namespace ward {

inline constexpr int64_t kExportWaitSliceMs = 100;

class AuditExportLoop {
 public:
  // `options.cursor_key` must name the destination; `options.clock` is used for
  // the waits. Store, log and sink must outlive the loop.
  AuditExportLoop(Store* store, AuditLog* audit, std::unique_ptr<ExportSink> sink,
                  ExportOptions options, int64_t interval_ms);
  ~AuditExportLoop();
  AuditExportLoop(const AuditExportLoop&) = delete;
  AuditExportLoop& operator=(const AuditExportLoop&) = delete;

  void Start();
  void Stop();
  // One pass now, on the caller's thread (the thread runs the same).
  Status RunOnce();

  int64_t passes() const { return passes_.load(); }
  int64_t failures() const { return failures_.load(); }

 private:
  void Run();
  Store* store_;
  AuditLog* audit_;
  std::unique_ptr<ExportSink> sink_;
  ExportOptions options_;
  int64_t interval_ms_;
  CancelToken cancel_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> passes_{0}, failures_{0};
  bool failing_ = false;  // the last pass failed (only the loop's thread touches it)
  std::thread thread_;
};

// Prometheus text (0.0.4) for /metrics: the audit log's head seq, and per export
// destination its cursor and lag (head minus cursor).
Result<std::string> RenderAuditExportMetrics(Store* store);

}  // namespace ward
