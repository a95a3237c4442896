#include "server/ward_server.h"

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "audit/audit_log.h"
#include "audit/export_loop.h"
#include "net/http_client.h"
#include "runtime/session_reaper.h"
#include "sandbox/background_cpu.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/notifier.h"
#include "server/tls.h"
#include "store/event_log.h"

namespace ward::server {
namespace {

class Running : public WardServer {
 public:
  explicit Running(const ServeOptions& o) : options_(o) {}
  ~Running() override { Stop(); }

  Status Init() {
    const WardConfig& c = options_.config;
    clock_ = SystemClock::Default();
    std::string db = c.home + "/ward.db";
    // Separate connections (SQLite serialises calls on one): the API's reads do not
    // queue behind the running sessions' writes or the event hub's polls.
    WARD_ASSIGN_OR_RETURN(store_, OpenSqliteStore(db));
    WARD_ASSIGN_OR_RETURN(session_store_, OpenSqliteStore(db));
    WARD_ASSIGN_OR_RETURN(hub_store_, OpenSqliteStore(db));
    WARD_ASSIGN_OR_RETURN(server_store_, OpenSqliteServerStore(db));
    // Sessions left "running" by a process that has ended (a crashed server, a
    // killed `ward run`) are interrupted before anyone sees them.
    WARD_RETURN_IF_ERROR(InterruptDeadSessions(store_.get(), clock_, "ward serve").status());
    WARD_RETURN_IF_ERROR(SetUpTls());
    auth_ = std::make_unique<Authenticator>(server_store_.get(), clock_);
    hub_ = std::make_unique<EventHub>(hub_store_.get());
    events_ = std::make_unique<EventLog>(session_store_.get(), clock_);
    EventHub* hub = hub_.get();
    events_->Subscribe([hub](const Event& e) { hub->Nudge(e.session); });
    // Many sessions' Python processes share one low CPU weight beside the API.
    BackgroundCpu::EnableShared();
    pool_ = std::make_unique<SessionPool>(c, session_store_.get(), events_.get(), clock_,
                                          static_cast<size_t>(c.server.max_sessions));
    ApiContext ctx{c,
                   store_.get(),
                   server_store_.get(),
                   clock_,
                   auth_.get(),
                   hub_.get(),
                   pool_.get(),
                   &metrics_,
                   tls_,
                   options_.heartbeat_ms,
                   session_store_.get()};
    api_ = std::make_unique<Api>(std::move(ctx));
    web_dir_ = options_.web_dir.empty() ? FindWebDir() : options_.web_dir;
    HttpServerOptions ho;
    ho.tls_cert = cert_;
    ho.tls_key = key_;
    ho.web_dir = web_dir_;
    ho.threads = static_cast<size_t>(c.server.threads);
    ho.request_timeout_seconds = static_cast<int>(c.server.read_timeout_seconds);
    http_ = std::make_unique<HttpServer>(api_.get(), &metrics_, ho);
    WARD_ASSIGN_OR_RETURN(int port, http_->Bind(c.server.host, c.server.port));
    std::string host =
        c.server.host.find(':') != std::string::npos ? "[" + c.server.host + "]" : c.server.host;
    url_ = std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port);
    StartNotifier();
    WARD_RETURN_IF_ERROR(StartAuditExport());
    serving_ = std::thread([this] {
      Status s = http_->Serve();
      std::lock_guard<std::mutex> lock(mu_);
      serve_status_ = s;
    });
    return Status::Ok();
  }

  std::string url() const override { return url_; }
  std::string web_dir() const override { return web_dir_; }
  std::string tls_fingerprint() const override { return fingerprint_; }

  Status Wait() override {
    if (serving_.joinable()) serving_.join();
    std::lock_guard<std::mutex> lock(mu_);
    return serve_status_;
  }

  void Stop() override {
    std::call_once(stopped_, [this] {
      if (http_) http_->Stop();
      if (hub_) hub_->Stop();  // ends the streams' waits
      if (serving_.joinable()) serving_.join();
      if (notifier_) notifier_->Stop();
      if (audit_export_) audit_export_->Stop();
      if (pool_) pool_->Shutdown();
    });
  }

 private:
  Status SetUpTls() {
    const ServerConfig& s = options_.config.server;
    if (s.tls_self_signed) {
      WARD_ASSIGN_OR_RETURN(TlsFiles files,
                            EnsureSelfSignedCertificate(options_.config.home, s.host));
      cert_ = files.cert;
      key_ = files.key;
      fingerprint_ = files.sha256_fingerprint;
    } else if (!s.tls_cert.empty() || !s.tls_key.empty()) {
      if (s.tls_cert.empty() || s.tls_key.empty())
        return InvalidArgument("TLS needs both a certificate and a key");
      cert_ = s.tls_cert;
      key_ = s.tls_key;
      WARD_ASSIGN_OR_RETURN(fingerprint_, CertificateFingerprint(cert_));
    }
    tls_ = !cert_.empty();
    return Status::Ok();
  }

  void StartNotifier() {
    const ServerConfig& s = options_.config.server;
    if (s.notify_webhook.empty()) return;
    http_client_ = NewHttpClient();
    NotifierOptions no;
    no.webhook = s.notify_webhook;
    no.topic = s.notify_topic;
    no.include_summary = s.notify_include_summary;
    no.public_url = s.public_url.empty() ? url_ : s.public_url;
    Metrics* m = &metrics_;
    notifier_ = std::make_unique<ApprovalNotifier>(no, store_.get(), http_client_.get(), clock_,
                                                   [m](bool ok) { m->NotificationSent(ok); });
    notifier_->Start();
  }

  // [audit.export]: the log exported continuously (audit/export_loop.h).
  Status StartAuditExport() {
    const AuditExportConfig& e = options_.config.audit.exporting;
    if (e.url.empty()) return Status::Ok();
    export_http_ = NewHttpClient();
    ExportDestination d;
    d.to = e.url;
    d.token_env = e.token_env;
    d.http = export_http_.get();
    d.timeout_ms = options_.config.audit.publish_timeout_seconds * 1000;
    WARD_ASSIGN_OR_RETURN(OpenedSink opened, OpenExportSink(d, e.format));
    WARD_ASSIGN_OR_RETURN(ExportFormat format, ParseExportFormat(opened.format));
    ExportOptions o;
    o.format = format;
    o.cursor_key = ExportCursorKey(format, e.url);
    o.observer = ExportObserverName(e.observer);
    o.clock = clock_;
    export_audit_ = std::make_unique<AuditLog>(store_.get(), clock_, "ward serve");
    audit_export_ =
        std::make_unique<AuditExportLoop>(store_.get(), export_audit_.get(), std::move(opened.sink),
                                          std::move(o), e.interval_seconds * 1000);
    audit_export_->Start();
    return Status::Ok();
  }

  ServeOptions options_;
  Clock* clock_ = nullptr;
  std::unique_ptr<Store> store_, session_store_, hub_store_;
  std::unique_ptr<ServerStore> server_store_;
  std::string cert_, key_, fingerprint_;
  bool tls_ = false;
  Metrics metrics_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<EventHub> hub_;
  std::unique_ptr<EventLog> events_;
  std::unique_ptr<SessionPool> pool_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpClient> http_client_;
  std::unique_ptr<ApprovalNotifier> notifier_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpClient> export_http_;
  std::unique_ptr<AuditLog> export_audit_;
  std::unique_ptr<AuditExportLoop> audit_export_;
  std::string web_dir_, url_;
  std::thread serving_;
  std::once_flag stopped_;
  std::mutex mu_;
  Status serve_status_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<WardServer>> WardServer::Start(const ServeOptions& options) {
  auto server = std::make_unique<Running>(options);
  WARD_RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<WardServer>(std::move(server));
}

std::string FindWebDir() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* env = getenv("WARD_WEB_DIR"); env && *env) candidates.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "web");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "ward" / "web");
  }
  for (const auto& c : candidates)
    if (fs::exists(c / "index.html", ec)) return fs::absolute(c, ec).string();
  return "";
}

}  // namespace ward::server
