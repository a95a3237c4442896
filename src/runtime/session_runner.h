// The composition root for one agent session: from configuration and a request,
// builds the model provider, the guest launcher and the connector bindings, then
// runs the session (core's RunSession). Used by `ward run`/`ward exec` and by the
// server, so both start sessions the same way.
//
// The launcher is created on the calling thread, which must outlive the session.
// PrepareSession fails with InvalidArgument on configuration errors, or when the
// sandbox cannot provide a required layer (audited as sandbox_refused), (unknown
// provider, missing API key, bad connector URL, guest package not found) before
// anything is stored; also (PermissionDenied) when the audit signing key is
// refused (runtime/audit_checkpoints.h). A session signs and publishes an audit
// checkpoint every [audit] checkpoint_every entries and when it ends; what could
// not be published is audited and listed in SessionOutcome::warnings. Run() also honours
// cancellation requested through the store (Store::RequestCancel from another process), polled
// while the session runs. A PreparedSession is used by one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/session.h"
#include "gate/validate.h"
#include "protocol/event_sink.h"
#include "runtime/config.h"
#include "sandbox/guest.h"
#include "sandbox/layers.h"
#include "store/store.h"

namespace ward {

struct SessionRequest {
  StartTaskOp op;              // op.model must be set
  std::string fhir_url;        // overrides the configured [connectors.fhir] base_url when set
  std::string policy_file;     // overrides the policy in ward.toml when set
  std::string sandbox = "on";  // "on": isolate (refuse when a required layer is missing);
                               // "none": plain process, an operator override (audited)
  // What the host's sandbox provides (ProbeSessionSandbox), from a caller that
  // starts many sessions and probes once; null: this session probes for itself.
  std::shared_ptr<const SandboxReport> sandbox_probe;
  // Processes shared by many sessions (SharedSessionProcesses), not owned; they
  // must outlive the session. Null: the session starts its own.
  GuestLauncher* shared_launcher = nullptr;  // used when sandbox is "on"
  CodeValidator* shared_validator = nullptr;
  // "off", "pseudonymise" or "strict": overrides [privacy] mode; "" = configured.
  std::string privacy;
};

// What the sessions of one process (a server) can share instead of each starting
// its own: one sandboxing guest launcher (so one zygote) and a few code checkers.
// Each session still gets its own guest. Destroy it only after every session using
// it has ended.
struct SharedSessionProcesses {
  std::unique_ptr<GuestLauncher> launcher;   // null when the sandbox refused
  std::unique_ptr<CodeValidator> validator;  // null when no checker could start
};

// Starts them as PrepareSession would for a session with sandbox "on". What fails
// to start stays null, and each session then starts (or reports) its own.
SharedSessionProcesses StartSharedSessionProcesses(const WardConfig& config,
                                                   const SandboxReport& probe, size_t max_checkers);

// ProbeSandbox for the sandbox options sessions get from `config`; an error when
// the guest package is not found.
Result<SandboxReport> ProbeSessionSandbox(const WardConfig& config);

// The policy a session runs under: `policy_file` if given, else the
// [[policy.rule]] tables of ward.toml, else the built-in default.
Result<Policy> LoadPolicy(const WardConfig& config, const std::string& policy_file);

class PreparedSession {
 public:
  virtual ~PreparedSession() = default;
  virtual const std::string& id() const = 0;
  // Runs to the end. `cancel` may be null.
  virtual Result<SessionOutcome> Run(const CancelToken* cancel) = 0;
};

Result<std::unique_ptr<PreparedSession>> PrepareSession(const WardConfig& config,
                                                        const SessionRequest& request, Store* store,
                                                        EventSink* events, Clock* clock);

}  // namespace ward
