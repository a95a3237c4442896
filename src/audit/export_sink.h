// Where `ward audit export` sends what it renders (docs/audit.md, "Export").
//
// A sink takes one batch of records (lines of NDJSON, AuditEvents, syslog
// messages) and delivers all of it, or returns an error: Unavailable when trying
// again later may succeed (connection refused or reset, timeout, HTTP 5xx or
// 429), any other code when it will not (HTTP 4xx, a redirect, a bad URL, a
// response over the limit). Sinks never throw, never follow redirects, and never
// put a token in an error message.
//
//   stdout          records, one per line
//   FILE            appended (O_APPEND, one write per batch, fsync'd; created 0600:
//                   audit data names patients)
//   http(s)://URL   a FHIR server's base: each batch of AuditEvents is POSTed as one
//                   transaction Bundle of `PUT AuditEvent/<id>` entries, so a batch
//                   is taken whole or not at all, and sending it again (after a
//                   lost response) stores nothing twice. 2xx with a
//                   transaction-response Bundle whose entries are all 2xx is success.
//   syslog+tcp://host:port   RFC 5424 messages with RFC 6587 octet counting, one
//                   connection per batch (syslog_sink.cc).
//   syslog+udp://host:port   one RFC 5424 message per datagram (RFC 5426); a
//                   message over kMaxSyslogDatagramBytes is cut to fit. UDP says
//                   nothing of delivery: the cursor moves when the datagrams are sent.
// Thread-compatible: one sink per exporting thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "util/cancel.h"
#include "util/status.h"

namespace ward {

// The most of a FHIR server's response ward reads; a larger one is an error.
inline constexpr size_t kMaxExportResponseBytes = 4u << 20;

class ExportSink {
 public:
  virtual ~ExportSink() = default;
  // "stdout", "file /path", "url https://…", "syslog+tcp://host:port": no secrets.
  virtual std::string Name() const = 0;
  virtual Status Deliver(const std::vector<std::string>& records) = 0;
  // After a retryable failure: how long the destination asked to be left alone
  // (HTTP Retry-After, in seconds), in ms; 0 when it did not say.
  virtual int64_t RetryAfterMs() const { return 0; }
};

std::unique_ptr<ExportSink> NewStdoutExportSink();
std::unique_ptr<ExportSink> NewFileExportSink(std::string path);

struct FhirExportOptions {
  std::string base_url;        // http(s)://host[:port]/base, no user:password@
  std::string bearer_token;    // "" = none; never printed
  HttpClient* http = nullptr;  // not owned
  int64_t timeout_ms = 30'000;
  const CancelToken* cancel = nullptr;
};
// InvalidArgument when the URL is not http(s) or carries credentials.
Result<std::unique_ptr<ExportSink>> NewFhirExportSink(FhirExportOptions options);

// `url` is syslog+tcp://host:port. InvalidArgument when it is not.
Result<std::unique_ptr<ExportSink>> NewSyslogTcpExportSink(const std::string& url,
                                                           int64_t timeout_ms);
inline constexpr size_t kMaxSyslogDatagramBytes = 65000;
// `url` is syslog+udp://host:port. InvalidArgument when it is not.
Result<std::unique_ptr<ExportSink>> NewSyslogUdpExportSink(const std::string& url);

// A destination as `--to` or [audit.export] url names it.
struct ExportDestination {
  std::string to;              // "" = stdout; a path; http(s)://; syslog+tcp://
  std::string token_env;       // "" = no token; for http(s) only
  HttpClient* http = nullptr;  // not owned; for http(s)
  int64_t timeout_ms = 30'000;
  const CancelToken* cancel = nullptr;
};
// The sink for `destination`, and the format it is rendered in: `requested`
// (the --format name), except that a FHIR server takes AuditEvents ("fhir" and
// "fhir-bundle" both post transaction Bundles) and syslog+tcp takes syslog.
// InvalidArgument for a format the destination cannot take, a token variable
// that is unset or empty (naming the variable, never a value), or a bad URL.
struct OpenedSink {
  std::unique_ptr<ExportSink> sink;
  std::string format;  // "ndjson", "fhir", "fhir-bundle", "syslog"
};
Result<OpenedSink> OpenExportSink(const ExportDestination& destination,
                                  const std::string& requested_format);

}  // namespace ward
