// Exporting the audit log: `ward audit export` and the continuous export of
// `ward serve` (docs/audit.md, "Export").
//
// ExportAudit reads the chain in batches (oldest first), renders each in the
// chosen format and hands it to an ExportSink; signed checkpoints go out too, each
// in the batch holding the entry it vouches for (or, once new entries run out,
// in the last one). With a cursor key, it starts where the destination's cursor
// (in the store) says and advances the cursor only after the sink took a batch:
// a failure loses nothing and a retry repeats at most that batch. Retryable sink
// errors (Unavailable) are retried up to `max_attempts` times with exponential
// backoff on the injected clock. Purged entries (a data_sha256 instead of data)
// are exported with what remains. Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "audit/audit_event_fhir.h"
#include "audit/export_sink.h"
#include "store/store.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward {

enum class ExportFormat { kNdjson, kFhir, kFhirBundle, kSyslog };

// "ndjson", "fhir", "fhir-bundle", "syslog"; InvalidArgument otherwise.
Result<ExportFormat> ParseExportFormat(const std::string& name);
const char* ExportFormatName(ExportFormat format);

// `--since`: a sequence number ("120": entries after it) or an RFC 3339 time
// (entries recorded at or after it). InvalidArgument otherwise.
struct ExportSince {
  int64_t after_seq = 0;
  std::optional<int64_t> from_ms;
};
Result<ExportSince> ParseExportSince(const std::string& text);

struct ExportOptions {
  ExportFormat format = ExportFormat::kNdjson;
  ExportSince since;
  // "" = no cursor (stdout). Otherwise the destination's key: the export starts
  // after the cursor (unless `since` is given, which wins) and advances it.
  std::string cursor_key;
  bool since_given = false;
  size_t batch_size = 500;
  int max_attempts = 5;             // per batch, for retryable errors
  int64_t first_backoff_ms = 1000;  // doubled each retry, at most max_backoff_ms
  int64_t max_backoff_ms = 30'000;
  std::string observer;  // this installation (AuditEvent source, syslog HOSTNAME)
  Clock* clock = nullptr;
  const CancelToken* cancel = nullptr;
};

struct ExportResult {
  int64_t entries = 0;      // audit entries delivered
  int64_t checkpoints = 0;  // checkpoints delivered
  int64_t last_seq = 0;     // the cursor after the export (or the last seq read)
  int batches = 0;
};

// `configured` when set, else this host's name ("ward" when it has none).
std::string ExportObserverName(const std::string& configured);

// The cursor key for a format and destination: "<format> <destination>".
std::string ExportCursorKey(ExportFormat format, const std::string& destination);

// Errors name the sink and the first seq not delivered.
Result<ExportResult> ExportAudit(Store* store, ExportSink* sink, const ExportOptions& options);

}  // namespace ward
