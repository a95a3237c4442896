#include "audit/audit_export.h"

#include <unistd.h>

#include <algorithm>
#include <map>

#include "audit/checkpoint.h"
#include "audit/syslog_format.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using json = nlohmann::json;

// What the AuditEvents need from entries outside the one being mapped: who
// decided each approval, and each session's declared purpose of use.
class ExportMemory {
 public:
  explicit ExportMemory(Store* store) : store_(store) {}
  void Remember(const ParsedAuditEntry& e) {
    if (e.kind == "approval_decided" && e.data.contains("approval") &&
        e.data["approval"].is_string() && e.data.contains("by") && e.data["by"].is_string())
      approvers_[e.data["approval"].get<std::string>()] = e.data["by"].get<std::string>();
    if (e.kind == "session_start" && e.data.contains("purpose_of_use") &&
        e.data["purpose_of_use"].is_string())
      purposes_[e.session] = e.data["purpose_of_use"].get<std::string>();
  }
  AuditEventContext Context(const std::string& observer) {
    AuditEventContext c;
    c.observer = observer;
    c.approver_of = [this](const std::string& id) -> std::string {
      auto it = approvers_.find(id);
      if (it != approvers_.end()) return it->second;
      auto stored = store_->GetApproval(id);  // decided before this export's range
      return stored.ok() && stored->state != "pending" ? stored->decided_by : "";
    };
    c.purpose_of_use = [this](const std::string& session) -> std::string {
      auto it = purposes_.find(session);
      return it != purposes_.end() ? it->second : "";
    };
    return c;
  }

 private:
  Store* store_;
  std::map<std::string, std::string> approvers_;
  std::map<std::string, std::string> purposes_;
};

std::string NdjsonEntry(const StoredAuditEntry& stored, const ParsedAuditEntry& e) {
  // The body as a string: its SHA-256 is the hash, so an archive can be re-verified.
  return DumpJson(json{{"seq", stored.seq},
                       {"session", stored.session},
                       {"kind", stored.kind},
                       {"hash", stored.hash},
                       {"prev_hash", e.prev_hash},
                       {"body", stored.body}});
}

struct Batch {
  std::vector<std::pair<StoredAuditEntry, ParsedAuditEntry>> entries;
  std::vector<StoredCheckpoint> checkpoints;
};

std::vector<std::string> Render(const Batch& batch, ExportFormat format,
                                const AuditEventContext& context, const std::string& observer) {
  std::vector<std::string> records;
  json bundle_entries = json::array();
  auto add_resource = [&](json resource) {
    if (format == ExportFormat::kFhirBundle)
      bundle_entries.push_back({{"resource", std::move(resource)}});
    else
      records.push_back(DumpJson(resource));
  };
  for (const auto& [stored, parsed] : batch.entries) {
    if (format == ExportFormat::kNdjson)
      records.push_back(NdjsonEntry(stored, parsed));
    else if (format == ExportFormat::kSyslog)
      records.push_back(SyslogMessage(parsed, stored.body, observer));
    else
      add_resource(ToAuditEvent(parsed, context));
  }
  for (const auto& c : batch.checkpoints) {
    if (format == ExportFormat::kNdjson)
      records.push_back(CheckpointLine(c));
    else if (format == ExportFormat::kSyslog)
      records.push_back(SyslogCheckpointMessage(c, observer));
    else
      add_resource(CheckpointAuditEvent(c, context));
  }
  if (format == ExportFormat::kFhirBundle && !bundle_entries.empty())
    records.push_back(
        DumpJson({{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", bundle_entries}}));
  return records;
}

bool InSince(const ExportSince& since, int64_t seq, const std::string& time) {
  if (seq <= since.after_seq) return false;
  if (!since.from_ms) return true;
  int64_t ms = 0;
  return ParseIso8601(time, &ms) && ms >= *since.from_ms;
}

Status DeliverWithRetries(ExportSink* sink, const std::vector<std::string>& records,
                          const ExportOptions& options) {
  int64_t backoff = options.first_backoff_ms;
  for (int attempt = 1;; ++attempt) {
    Status s = sink->Deliver(records);
    if (s.ok() || s.code() != StatusCode::kUnavailable || attempt >= options.max_attempts)
      return attempt > 1 && !s.ok()
                 ? s.WithContext("after " + std::to_string(attempt) + " attempts")
                 : s;
    if (options.cancel && options.cancel->cancelled()) return s.WithContext("cancelled");
    // The destination's Retry-After, when longer than the backoff, bounded the same way.
    options.clock->SleepFor(
        std::min(std::max(backoff, sink->RetryAfterMs()), options.max_backoff_ms));
    backoff = std::min(backoff * 2, options.max_backoff_ms);
  }
}

// The exporter's position: the next entry and checkpoint to consider.
struct Position {
  AuditExportCursor cursor;
  ExportSince since;
};

Result<Position> StartPosition(Store* store, const ExportOptions& options,
                               const std::vector<StoredCheckpoint>& checkpoints) {
  Position p;
  p.since = options.since;
  if (!options.cursor_key.empty()) {
    WARD_ASSIGN_OR_RETURN(p.cursor, store->GetAuditExportCursor(options.cursor_key));
    if (!options.since_given) p.since.after_seq = p.cursor.seq;
  }
  if (options.cursor_key.empty() || options.since_given) {
    // Without a cursor, the checkpoints are chosen by --since like the entries.
    p.cursor.checkpoints = 0;
    while (p.cursor.checkpoints < static_cast<int64_t>(checkpoints.size()) &&
           !InSince(p.since, checkpoints[p.cursor.checkpoints].seq,
                    checkpoints[p.cursor.checkpoints].time))
      ++p.cursor.checkpoints;
  }
  p.cursor.seq = p.since.after_seq;
  return p;
}

// Reads the next batch of entries after `pos` into `batch` (those --since keeps),
// moving `next.seq` past all it read. True when it was the last.
Result<bool> ReadBatch(Store* store, const ExportOptions& options, const Position& pos,
                       ExportMemory& memory, Batch& batch, AuditExportCursor& next) {
  WARD_ASSIGN_OR_RETURN(auto stored,
                        store->ListAudit(pos.cursor.seq, static_cast<int>(options.batch_size)));
  for (auto& s : stored) {
    next.seq = s.seq;
    auto parsed = ParseAuditEntry(s);
    if (!parsed.ok()) return parsed.status().WithContext("audit export (run `ward audit verify`)");
    memory.Remember(*parsed);
    if (!InSince(pos.since, s.seq, parsed->time)) continue;
    batch.entries.emplace_back(std::move(s), std::move(parsed).value());
  }
  return stored.size() < options.batch_size;
}

// Adds the checkpoints that vouch for entries up to `next.seq` (all that remain,
// in the last batch), moving `next.checkpoints` past them.
void AddCheckpoints(const std::vector<StoredCheckpoint>& checkpoints, const ExportOptions& options,
                    const Position& pos, bool last, Batch& batch, AuditExportCursor& next) {
  bool chosen_by_since = options.cursor_key.empty() || options.since_given;
  while (next.checkpoints < static_cast<int64_t>(checkpoints.size()) &&
         (last || checkpoints[next.checkpoints].seq <= next.seq)) {
    const StoredCheckpoint& c = checkpoints[next.checkpoints++];
    if (!chosen_by_since || InSince(pos.since, c.seq, c.time)) batch.checkpoints.push_back(c);
  }
}

}  // namespace

Result<ExportFormat> ParseExportFormat(const std::string& name) {
  if (name == "ndjson") return ExportFormat::kNdjson;
  if (name == "fhir") return ExportFormat::kFhir;
  if (name == "fhir-bundle") return ExportFormat::kFhirBundle;
  if (name == "syslog") return ExportFormat::kSyslog;
  return InvalidArgument("unknown export format '" + name +
                         "' (ndjson, fhir, fhir-bundle or syslog)");
}

const char* ExportFormatName(ExportFormat format) {
  switch (format) {
    case ExportFormat::kNdjson:
      return "ndjson";
    case ExportFormat::kFhir:
      return "fhir";
    case ExportFormat::kFhirBundle:
      return "fhir-bundle";
    case ExportFormat::kSyslog:
      return "syslog";
  }
  return "?";
}

Result<ExportSince> ParseExportSince(const std::string& text) {
  ExportSince since;
  if (!text.empty() && text.size() <= 18 &&
      text.find_first_not_of("0123456789") == std::string::npos) {
    since.after_seq = std::stoll(text);
    return since;
  }
  int64_t ms = 0;
  if (!ParseIso8601(text, &ms))
    return InvalidArgument("--since '" + text +
                           "' is neither a sequence number nor an RFC 3339 time");
  since.from_ms = ms;
  return since;
}

std::string ExportObserverName(const std::string& configured) {
  if (!configured.empty()) return configured;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) return "ward";
  return host;
}

std::string ExportCursorKey(ExportFormat format, const std::string& destination) {
  return std::string(ExportFormatName(format)) + " " + destination;
}

Result<ExportResult> ExportAudit(Store* store, ExportSink* sink, const ExportOptions& options) {
  if (!options.clock) return InvalidArgument("audit export: no clock");
  WARD_ASSIGN_OR_RETURN(auto checkpoints, store->ListCheckpoints());
  WARD_ASSIGN_OR_RETURN(Position pos, StartPosition(store, options, checkpoints));
  AuditExportCursor stored_cursor;
  if (!options.cursor_key.empty()) {
    WARD_ASSIGN_OR_RETURN(stored_cursor, store->GetAuditExportCursor(options.cursor_key));
  }
  ExportMemory memory(store);
  ExportResult result;
  for (bool last = false; !last;) {
    if (options.cancel && options.cancel->cancelled()) return Cancelled("audit export cancelled");
    Batch batch;
    AuditExportCursor next = pos.cursor;
    WARD_ASSIGN_OR_RETURN(last, ReadBatch(store, options, pos, memory, batch, next));
    AddCheckpoints(checkpoints, options, pos, last, batch, next);
    auto records =
        Render(batch, options.format, memory.Context(options.observer), options.observer);
    if (!records.empty()) {
      Status s = DeliverWithRetries(sink, records, options);
      if (!s.ok())
        return s.WithContext("audit export to " + sink->Name() + " stopped before entry #" +
                             std::to_string(pos.cursor.seq + 1));
      ++result.batches;
    }
    result.entries += static_cast<int64_t>(batch.entries.size());
    result.checkpoints += static_cast<int64_t>(batch.checkpoints.size());
    if (!options.cursor_key.empty() &&
        (next.seq > stored_cursor.seq || next.checkpoints > stored_cursor.checkpoints)) {
      // Never back: a --since export re-sends older entries without undoing the cursor.
      stored_cursor = {std::max(next.seq, stored_cursor.seq),
                       std::max(next.checkpoints, stored_cursor.checkpoints)};
      WARD_RETURN_IF_ERROR(store->SetAuditExportCursor(options.cursor_key, stored_cursor));
    }
    pos.cursor = next;
  }
  result.last_seq = pos.cursor.seq;
  return result;
}

}  // namespace ward
