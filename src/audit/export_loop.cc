#include "audit/export_loop.h"

#include <algorithm>
#include <cstdio>

#include "util/encoding.h"

namespace ward {

AuditExportLoop::AuditExportLoop(Store* store, AuditLog* audit, std::unique_ptr<ExportSink> sink,
                                 ExportOptions options, int64_t interval_ms)
    : store_(store),
      audit_(audit),
      sink_(std::move(sink)),
      options_(std::move(options)),
      interval_ms_(interval_ms) {
  options_.cancel = &cancel_;
}

AuditExportLoop::~AuditExportLoop() { Stop(); }

void AuditExportLoop::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void AuditExportLoop::Stop() {
  stop_ = true;
  cancel_.Cancel();
  if (thread_.joinable()) thread_.join();
}

Status AuditExportLoop::RunOnce() {
  auto result = ExportAudit(store_, sink_.get(), options_);
  ++passes_;
  if (result.ok()) {
    failing_ = false;
    return Status::Ok();
  }
  ++failures_;
  if (stop_ && result.status().code() == StatusCode::kCancelled) return result.status();
  if (!failing_) {
    // Once per run of failures: a destination down for a day is one entry, not 1440.
    AuditData data;
    data.Set("destination", sink_->Name()).Set("format", ExportFormatName(options_.format));
    data.Set("reason", result.status().message());
    auto audited = audit_->Record("", "audit_export_failed", data);
    if (!audited.ok())
      return result.status().WithContext("and the failure could not be audited: " +
                                         audited.status().message());
  }
  failing_ = true;
  return result.status();
}

void AuditExportLoop::Run() {
  while (!stop_) {
    Status pass = RunOnce();
    if (!pass.ok())
      std::fprintf(stderr, "ward: audit export: %s (retrying in %lld s)\n", pass.message().c_str(),
                   static_cast<long long>(interval_ms_ / 1000));
    for (int64_t waited = 0; waited < interval_ms_ && !stop_; waited += kExportWaitSliceMs)
      options_.clock->SleepFor(std::min(kExportWaitSliceMs, interval_ms_ - waited));
  }
}

Result<std::string> RenderAuditExportMetrics(Store* store) {
  int64_t head = 0;
  auto last = store->LastAudit();
  if (last.ok())
    head = last->seq;
  else if (last.status().code() != StatusCode::kNotFound)
    return last.status();
  WARD_ASSIGN_OR_RETURN(auto cursors, store->ListAuditExportCursors());
  std::string out =
      "# HELP ward_audit_head_seq The audit log's last sequence number.\n"
      "# TYPE ward_audit_head_seq gauge\n"
      "ward_audit_head_seq " +
      std::to_string(head) + "\n";
  if (cursors.empty()) return out;
  std::string cursor_lines, lag_lines;
  for (const auto& [destination, cursor] : cursors) {
    std::string labels = "{destination=\"" + MetricLabelValue(destination) + "\"} ";
    cursor_lines += "ward_audit_export_cursor_seq" + labels + std::to_string(cursor.seq) + "\n";
    lag_lines += "ward_audit_export_lag_entries" + labels +
                 std::to_string(std::max<int64_t>(0, head - cursor.seq)) + "\n";
  }
  out +=
      "# HELP ward_audit_export_cursor_seq The last audit entry a destination accepted.\n"
      "# TYPE ward_audit_export_cursor_seq gauge\n" +
      cursor_lines +
      "# HELP ward_audit_export_lag_entries Audit entries not yet exported to a destination.\n"
      "# TYPE ward_audit_export_lag_entries gauge\n" +
      lag_lines;
  return out;
}

}  // namespace ward
