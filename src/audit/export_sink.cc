#include "audit/export_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/json_limits.h"

namespace ward {
namespace {

using json = nlohmann::json;

std::string Joined(const std::vector<std::string>& records) {
  std::string out;
  for (const auto& r : records) {
    out += r;
    out += '\n';
  }
  return out;
}

class StdoutSink : public ExportSink {
 public:
  std::string Name() const override { return "stdout"; }
  Status Deliver(const std::vector<std::string>& records) override {
    std::string text = Joined(records);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      return Unavailable(std::string("stdout: cannot write: ") + std::strerror(errno));
    return Status::Ok();
  }
};

class FileSink : public ExportSink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) {}
  std::string Name() const override { return "file " + path_; }

  Status Deliver(const std::vector<std::string>& records) override {
    std::string text = Joined(records);
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return Fail("cannot open");
    Status result = Status::Ok();
    size_t done = 0;
    while (done < text.size() && result.ok()) {
      ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        result = Fail("cannot append to");
      else
        done += static_cast<size_t>(n);
    }
    if (result.ok() && ::fsync(fd) != 0) result = Fail("cannot fsync");
    if (::close(fd) != 0 && result.ok()) result = Fail("cannot close");
    return result;
  }

 private:
  Status Fail(const std::string& what) const {
    return Unavailable("audit export: " + what + " " + path_ + ": " + std::strerror(errno));
  }
  std::string path_;
};

// A transaction Bundle that PUTs each AuditEvent under its own id.
std::string TransactionBundle(const std::vector<std::string>& records, Status* problem) {
  json entries = json::array();
  for (const auto& record : records) {
    auto resource = ParseJson(record);
    if (!resource.ok() || !resource->is_object() || !resource->contains("id")) {
      *problem = Internal("audit export: a record is not an AuditEvent with an id");
      return "";
    }
    std::string url =
        (*resource)["resourceType"].get<std::string>() + "/" + (*resource)["id"].get<std::string>();
    entries.push_back({{"resource", std::move(resource).value()},
                       {"request", {{"method", "PUT"}, {"url", url}}}});
  }
  return DumpJson({{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries}});
}

// What a FHIR server's error response says (the first issue's diagnostics), short.
std::string Diagnostics(const std::string& body) {
  auto parsed = ParseJson(body);
  std::string text;
  if (parsed.ok() && parsed->is_object() && parsed->contains("issue") &&
      (*parsed)["issue"].is_array() && !(*parsed)["issue"].empty()) {
    const json& issue = (*parsed)["issue"][0];
    if (issue.is_object() && issue.contains("diagnostics") && issue["diagnostics"].is_string())
      text = issue["diagnostics"].get<std::string>();
  }
  if (text.size() > 300) text = text.substr(0, 300) + "…";
  return text.empty() ? "" : ": " + text;
}

// Ok when a 2xx response is a transaction-response with `expected` entries, all 2xx.
Status CheckTransactionResponse(const std::string& body, size_t expected) {
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object() || parsed->value("resourceType", "") != "Bundle")
    return FailedPrecondition("the response is not a Bundle");
  const json& entries = parsed->contains("entry") ? (*parsed)["entry"] : json::array();
  if (!entries.is_array() || entries.size() != expected)
    return FailedPrecondition("the response Bundle has " +
                              std::to_string(entries.is_array() ? entries.size() : 0) +
                              " entries for " + std::to_string(expected) + " sent");
  for (const auto& e : entries) {
    std::string status = e.is_object() && e.contains("response") && e["response"].is_object()
                             ? e["response"].value("status", "")
                             : "";
    if (status.empty() || status[0] != '2')
      return FailedPrecondition("an entry of the response has status '" + status + "'");
  }
  return Status::Ok();
}

// Retry-After as delta-seconds (an HTTP date is not honoured: 0), at most an hour.
int64_t RetryAfterSeconds(const std::string& value) {
  if (value.empty() || value.size() > 6 ||
      value.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::min<int64_t>(std::stoll(value), 3600);
}

class FhirSink : public ExportSink {
 public:
  explicit FhirSink(FhirExportOptions options) : options_(std::move(options)) {}
  std::string Name() const override { return "url " + options_.base_url; }

  Status Deliver(const std::vector<std::string>& records) override {
    Status problem = Status::Ok();
    HttpRequest request;
    request.method = "POST";
    request.url = options_.base_url;
    request.body = TransactionBundle(records, &problem);
    if (!problem.ok()) return problem;
    request.content_type = "application/fhir+json";
    request.headers.push_back({"Accept", "application/fhir+json"});
    if (!options_.bearer_token.empty())
      request.headers.push_back({"Authorization", "Bearer " + options_.bearer_token});
    request.connect_timeout_ms = options_.timeout_ms;
    request.read_timeout_ms = options_.timeout_ms;
    request.cancel = options_.cancel;
    std::string body;
    bool too_large = false;
    request.stream_all_statuses = true;
    request.on_body_chunk = [&](std::string_view chunk) {
      if (body.size() + chunk.size() > kMaxExportResponseBytes) return !(too_large = true);
      body.append(chunk);
      return true;
    };
    auto response = options_.http->Send(request);
    if (too_large)
      return ResourceExhausted(Name() + ": the response is larger than " +
                               std::to_string(kMaxExportResponseBytes) + " bytes");
    retry_after_ms_ = 0;
    if (!response.ok()) return Unavailable(Name() + ": " + response.status().message());
    retry_after_ms_ = RetryAfterSeconds(response->Header("Retry-After")) * 1000;
    return Judge(response->status, body, response->Header("Location"), records.size());
  }
  int64_t RetryAfterMs() const override { return retry_after_ms_; }

 private:
  Status Judge(int status, const std::string& body, const std::string& location,
               size_t sent) const {
    std::string http = Name() + " answered HTTP " + std::to_string(status);
    if (status >= 300 && status < 400)
      return FailedPrecondition(http + " (a redirect" +
                                (location.empty() ? "" : " to " + location.substr(0, 200)) +
                                "); ward does not follow redirects: configure the final URL");
    if (status == 429 || status >= 500) return Unavailable(http + Diagnostics(body));
    if (status < 200 || status > 299) return FailedPrecondition(http + Diagnostics(body));
    Status s = CheckTransactionResponse(body, sent);
    return s.ok() ? s : FailedPrecondition(Name() + ": " + s.message());
  }
  FhirExportOptions options_;
  int64_t retry_after_ms_ = 0;
};

// http://127.0.0.1…, http://localhost…, http://[::1]…
bool IsLoopbackUrl(const std::string& url) {
  size_t host = url.find("://") + 3;
  for (const char* h : {"127.0.0.1", "localhost", "[::1]"}) {
    size_t n = std::strlen(h);
    if (url.compare(host, n, h) == 0 &&
        (host + n == url.size() || std::strchr(":/?#", url[host + n])))
      return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<ExportSink> NewStdoutExportSink() { return std::make_unique<StdoutSink>(); }

std::unique_ptr<ExportSink> NewFileExportSink(std::string path) {
  return std::make_unique<FileSink>(std::move(path));
}

Result<std::unique_ptr<ExportSink>> NewFhirExportSink(FhirExportOptions options) {
  const std::string& url = options.base_url;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return InvalidArgument("audit export URL must be http:// or https://");
  size_t authority = url.find("://") + 3;
  size_t end = url.find_first_of("/?#", authority);
  if (url.substr(authority, end - authority).find('@') != std::string::npos)
    return InvalidArgument(
        "audit export URL must not carry credentials (user:password@); name the token's "
        "environment variable instead");
  if (!options.http) return InvalidArgument("audit export: no HTTP client");
  return std::unique_ptr<ExportSink>(new FhirSink(std::move(options)));
}

Result<OpenedSink> OpenExportSink(const ExportDestination& d, const std::string& requested) {
  OpenedSink out;
  out.format = requested;
  const std::string& to = d.to;
  bool http = to.rfind("http://", 0) == 0 || to.rfind("https://", 0) == 0;
  if (!d.token_env.empty() && !http)
    return InvalidArgument("a bearer token (" + d.token_env + ") is only sent to an http(s) URL");
  if (http && !d.token_env.empty() && to.rfind("http://", 0) == 0 && !IsLoopbackUrl(to))
    return InvalidArgument(
        "a bearer token is sent only over https:// (or http:// to a loopback address)");
  if (http) {
    if (requested != "fhir" && requested != "fhir-bundle")
      return InvalidArgument("a FHIR server takes --format fhir (AuditEvents), not " + requested);
    out.format = "fhir";
    FhirExportOptions o;
    o.base_url = to;
    o.http = d.http;
    o.timeout_ms = d.timeout_ms;
    o.cancel = d.cancel;
    if (!d.token_env.empty()) {
      const char* token = std::getenv(d.token_env.c_str());
      if (!token || !*token)
        return InvalidArgument("the environment variable " + d.token_env +
                               " (the export's bearer token) is not set");
      o.bearer_token = token;
    }
    WARD_ASSIGN_OR_RETURN(out.sink, NewFhirExportSink(std::move(o)));
  } else if (to.rfind("syslog+tcp://", 0) == 0 || to.rfind("syslog+udp://", 0) == 0) {
    if (requested != "syslog")
      return InvalidArgument(to.substr(0, 13) + " takes --format syslog, not " + requested);
    WARD_ASSIGN_OR_RETURN(out.sink, to[7] == 't' ? NewSyslogTcpExportSink(to, d.timeout_ms)
                                                 : NewSyslogUdpExportSink(to));
  } else if (to.find("://") != std::string::npos) {
    return InvalidArgument(
        "audit export: unsupported URL scheme (http, https, syslog+tcp, syslog+udp)");
  } else if (to.empty()) {
    out.sink = NewStdoutExportSink();
  } else {
    out.sink = NewFileExportSink(to);
  }
  return out;
}

}  // namespace ward
