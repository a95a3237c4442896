#include "runtime/session_runner.h"

#include <atomic>
#include <cstdlib>
#include <thread>

#include "audit/audit_log.h"
#include "net/http_client.h"
#include "runtime/audit_checkpoints.h"
#include "runtime/connectors.h"
#include "sandbox/sandbox.h"
#include "util/hash.h"

namespace ward {
namespace {

constexpr const char* kCheckerPython = "/usr/bin/python3";

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

// The configured connectors, with `fhir_url` (when given) as the base URL of the
// one named fhir.
std::vector<ConnectorSettings> SessionConnectors(const WardConfig& config,
                                                 const std::string& fhir_url) {
  std::vector<ConnectorSettings> out = config.connectors;
  if (fhir_url.empty()) return out;
  if (!FindConnector(config, "fhir")) out.push_back({"fhir", "fhir"});
  for (auto& c : out)
    if (c.name == "fhir") c.base_url = fhir_url;
  return out;
}

}  // namespace

Result<SandboxReport> ProbeSessionSandbox(const WardConfig& config) {
  SandboxOptions options = config.sandbox;
  WARD_ASSIGN_OR_RETURN(options.guest_dir, FindGuestDir());
  return ProbeSandbox(options);
}

SharedSessionProcesses StartSharedSessionProcesses(const WardConfig& config,
                                                   const SandboxReport& probe,
                                                   size_t max_checkers) {
  SharedSessionProcesses shared;
  auto guest_dir = FindGuestDir();
  if (!guest_dir.ok()) return shared;
  SandboxOptions options = config.sandbox;
  options.guest_dir = *guest_dir;
  if (auto launcher = NewSandboxLauncher(options, probe); launcher.ok())
    shared.launcher = std::move(launcher).value();
  auto validator = NewSharedCodeValidator(kCheckerPython, *guest_dir, config.validation,
                                          max_checkers, CodeValidatorOptions());
  if (validator.ok()) shared.validator = std::move(validator).value();
  return shared;
}

Result<Policy> LoadPolicy(const WardConfig& config, const std::string& policy_file) {
  if (!policy_file.empty()) return Policy::FromFile(policy_file);
  if (!config.config_file.empty()) return Policy::FromFile(config.config_file);
  return Policy();
}

namespace {

class Prepared : public PreparedSession {
 public:
  Prepared(StartTaskOp op, Store* store, EventSink* events, Clock* clock)
      : op_(std::move(op)), id_(NewId("s")), store_(store), events_(events), clock_(clock) {}

  Status Build(const WardConfig& config, const SessionRequest& request) {
    const std::string& fhir_url = request.fhir_url;
    WARD_ASSIGN_OR_RETURN(guest_dir_, FindGuestDir());
    WARD_ASSIGN_OR_RETURN(policy_, LoadPolicy(config, request.policy_file));
    if (request.shared_validator) {
      validator_ = request.shared_validator;
    } else {
      WARD_ASSIGN_OR_RETURN(own_validator_,
                            NewCodeValidator(kCheckerPython, guest_dir_, config.validation));
      validator_ = own_validator_.get();
    }
    approval_ttl_ms_ = config.approval_ttl_ms;
    distinct_approver_ = config.require_distinct_approver;
    if (auto p = config.prices.find(op_.model); p != config.prices.end()) prices_ = p->second;
    if (op_.max_cost > 0 && prices_.first == 0 && prices_.second == 0)
      return InvalidArgument("--max-cost needs the model's prices: set [prices.\"" + op_.model +
                             "\"] input and output (per million tokens) in ward.toml");
    http_ = NewHttpClient();
    ProviderOptions popts;
    popts.http = http_.get();
    popts.clock = clock_;
    popts.retry = config.retry;
    popts.getenv = GetEnv;
    WARD_ASSIGN_OR_RETURN(provider_, MakeProvider(op_.model, popts));
    bool has_fhir = false;
    for (const ConnectorSettings& settings : SessionConnectors(config, fhir_url)) {
      if (settings.type == "fhir" && settings.base_url.empty()) continue;
      has_fhir = has_fhir || settings.type == "fhir";
      WARD_ASSIGN_OR_RETURN(auto connector,
                            MakeConnector(settings, ConnectorDeps{http_.get(), clock_}));
      connectors_.push_back(std::move(connector));
    }
    WARD_ASSIGN_OR_RETURN(privacy_, SessionPrivacy(config, request.privacy, has_fhir));
    writes_ = JournalScope{store_, id_, op_.dry_run, clock_};
    for (auto& connector : connectors_)
      for (auto& b : connector->Bindings(&writes_)) bindings_.push_back(std::move(b));
    audit_ = std::make_unique<AuditLog>(store_, clock_, op_.actor);
    WARD_ASSIGN_OR_RETURN(checkpointing_, MakeAuditCheckpointing(config, store_, clock_));
    audit_->SetCheckpointer(checkpointing_.checkpointer.get());
    if (request.shared_launcher && request.sandbox != "none") {
      launcher_ = request.shared_launcher;
    } else {
      WARD_ASSIGN_OR_RETURN(own_launcher_,
                            MakeLauncher(config, request.sandbox, request.sandbox_probe.get()));
      launcher_ = own_launcher_.get();
    }
    return Status::Ok();
  }

  const std::string& id() const override { return id_; }

  // The sandboxing launcher, or with sandbox "none" the plain process launcher
  // (audited). A refusal is audited and returned as InvalidArgument.
  Result<std::unique_ptr<GuestLauncher>> MakeLauncher(const WardConfig& c,
                                                      const std::string& sandbox,
                                                      const SandboxReport* probe) {
    AuditData data;
    data.Set("flag", "--sandbox=" + sandbox);
    if (sandbox == "none") {
      data.Set("launcher", "process").Set("isolation", "none");
      WARD_RETURN_IF_ERROR(audit_->Record(id_, "sandbox_disabled", data).status());
      return NewProcessLauncher();
    }
    SandboxOptions options = c.sandbox;
    options.guest_dir = guest_dir_;
    auto launcher = probe ? NewSandboxLauncher(options, *probe) : NewSandboxLauncher(options);
    if (launcher.ok()) return std::move(launcher).value();
    data.Set("reason", launcher.status().message());
    auto audited = audit_->Record(id_, "sandbox_refused", data);
    std::string unaudited =
        audited.ok() ? ""
                     : "; the refusal could not be audited either: " + audited.status().message();
    return InvalidArgument("refusing to start the session: " + launcher.status().message() +
                           " (run `ward doctor` for every layer; change [sandbox] require in " +
                           c.home + "/ward.toml, or pass --sandbox=none to run unisolated)" +
                           unaudited);
  }

  Result<SessionOutcome> Run(const CancelToken* external) override {
    CancelToken merged;
    std::atomic<bool> done{false};
    // Folds Ctrl-C (external) and cancel requests from other processes into one token.
    std::thread watcher([&] {
      for (int tick = 0; !done.load(); ++tick) {
        if ((external && external->cancelled()) ||
            (tick % 5 == 0 && store_->CancelRequested(id_).value_or(false))) {
          merged.Cancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    SessionDeps deps;
    deps.provider = provider_.get();
    deps.launcher = launcher_;
    deps.guest_dir = guest_dir_;
    deps.store = store_;
    deps.events = events_;
    deps.audit = audit_.get();
    deps.clock = clock_;
    deps.cancel = &merged;
    deps.extra_bindings = &bindings_;
    deps.policy = &policy_;
    deps.validator = validator_;
    deps.approval_ttl_ms = approval_ttl_ms_;
    deps.require_distinct_approver = distinct_approver_;
    deps.price_input_per_mtok = prices_.first;
    deps.price_output_per_mtok = prices_.second;
    deps.privacy = privacy_;
    auto outcome = RunSession(op_, deps, id_);
    done = true;
    watcher.join();
    if (outcome.ok()) CheckpointAtEnd(*outcome);
    return outcome;
  }

  // Signs and publishes the chain's head once the session has ended. Failures are
  // audited by the checkpointer and handed to the operator as warnings.
  void CheckpointAtEnd(SessionOutcome& outcome) {
    auto result = checkpointing_.checkpointer->CheckpointIfMoved(audit_.get());
    if (!result.ok()) {
      outcome.warnings.push_back(result.status().message());
      return;
    }
    if (!result->has_value()) return;
    for (const auto& failure : (*result)->publish_failures)
      outcome.warnings.push_back("audit checkpoint not published: " + failure);
  }

 private:
  StartTaskOp op_;
  std::string id_;
  Store* store_;
  EventSink* events_;
  Clock* clock_;
  std::string guest_dir_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<LlmProvider> provider_;
  std::vector<std::unique_ptr<Connector>> connectors_;
  JournalScope writes_;
  Policy policy_;
  std::unique_ptr<CodeValidator> own_validator_;  // when not shared
  CodeValidator* validator_ = nullptr;
  int64_t approval_ttl_ms_ = 0;
  bool distinct_approver_ = false;
  std::pair<double, double> prices_{0, 0};
  PrivacyOptions privacy_;
  std::vector<Binding> bindings_;
  std::unique_ptr<GuestLauncher> own_launcher_;  // when not shared
  GuestLauncher* launcher_ = nullptr;
  std::unique_ptr<AuditLog> audit_;
  AuditCheckpointing checkpointing_;  // audit_ calls it while the session runs only
};

}  // namespace

Result<std::unique_ptr<PreparedSession>> PrepareSession(const WardConfig& config,
                                                        const SessionRequest& request, Store* store,
                                                        EventSink* events, Clock* clock) {
  auto prepared = std::make_unique<Prepared>(request.op, store, events, clock);
  WARD_RETURN_IF_ERROR(prepared->Build(config, request));
  return std::unique_ptr<PreparedSession>(std::move(prepared));
}

}  // namespace ward
