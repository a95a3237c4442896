// The guest: one persistent Python worker per session, and the launcher that
// starts it. The guest runs model-written code; its only way out is the RPC
// channel, whose binding calls arrive at the `GuestCallHandler` the host passes to
// Execute() — the gate's dispatch point. Launchers differ in how the process is
// isolated (a plain child process here; namespaces and seccomp in a sandboxing
// launcher) but share this contract.
//
// Thread-safety: a Guest is used by one thread at a time. A launcher is
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/cancel.h"
#include "util/status.h"

namespace ward {

// A binding as the guest sees it: a Python signature ("finish(answer)",
// "fhir.search(resource_type, **params)") and a docstring.
struct BindingInfo {
  std::string name;
  std::string signature;
  std::string doc;
};

// An exception type the guest code may see raised by a binding, declared by the
// host (the connector that raises it), so that the guest hard-codes no connector's
// names. `base` is "BindingError" or an error type declared before it.
struct GuestErrorType {
  std::string name;  // a Python identifier ending in "Error", e.g. "FhirError"
  std::string base;
  std::string doc;
};

struct GuestCall {
  std::string name;
  std::string args_json;  // JSON object of the bound arguments
};

struct GuestCallReply {
  bool ok = true;
  std::string value_json = "null";  // when ok
  std::string error_type;           // when !ok: "PermissionDenied", "ValueError", ...
  std::string error_message;
  std::vector<std::string> warnings;  // printed to the action's stderr in the guest
};

using GuestCallHandler = std::function<GuestCallReply(const GuestCall&)>;

enum class GuestFailure {
  kNone,
  kTimeout,    // the action ran past its wall-clock limit; the guest was killed
  kDied,       // the guest process exited or was killed by a signal
  kProtocol,   // the guest sent garbage or an oversized message; it was killed
  kCancelled,  // the user interrupted; the guest was killed
};

struct ActionOutcome {
  std::string stdout_text;
  std::string stderr_text;
  bool has_value = false;
  std::string value_repr;  // repr() of the final expression, when has_value
  std::string error;       // traceback or syntax error, empty when the code ran cleanly
  bool finished = false;   // the code called finish()
  GuestFailure failure = GuestFailure::kNone;
  std::string failure_detail;  // human-readable, when failure != kNone
  int64_t elapsed_us = 0;
};

struct GuestSpec {
  std::string guest_dir;  // folder holding the ward_guest package
  std::string python = "/usr/bin/python3";
  std::string workdir;  // the guest's working directory
  std::vector<BindingInfo> bindings;
  std::vector<GuestErrorType> error_types;  // bases before the types derived from them
  int64_t start_timeout_ms = 10'000;
  size_t max_message_bytes = 8 * 1024 * 1024;
};

class Guest {
 public:
  // Kills the process; a launcher may reap it in the background (WaitForStopped).
  virtual ~Guest() = default;
  // Runs one action. A failure of the guest itself (timeout, death, garbage) is
  // reported in ActionOutcome::failure, not as an error Status; after such a
  // failure the guest is dead until Restart(). An error Status means the host
  // could not talk to the guest at all.
  virtual Result<ActionOutcome> Execute(const std::string& code, int64_t timeout_ms,
                                        const GuestCallHandler& on_call,
                                        const CancelToken* cancel) = 0;
  // Kills the process (if alive) and starts a fresh one: variables are lost.
  virtual Status Restart() = 0;
  virtual int pid() const = 0;
};

class GuestLauncher {
 public:
  virtual ~GuestLauncher() = default;
  virtual std::string name() const = 0;
  // The isolation layers this launcher's guests run under (empty for a plain process).
  virtual std::vector<std::string> isolation_layers() const = 0;
  virtual Result<std::unique_ptr<Guest>> Launch(const GuestSpec& spec) = 0;
  // Blocks until every guest destroyed so far is gone: reaped, with all of its
  // processes, and its resources released. Guests are killed when destroyed either way.
  virtual void WaitForStopped() {}
};

// Plain child process: minimal environment, no inherited fds, own process group,
// killed as a group on timeout. No namespaces or seccomp.
std::unique_ptr<GuestLauncher> NewProcessLauncher();

// The installed ward_guest folder: $WARD_GUEST_DIR, else <exe dir>/guest, else
// <exe dir>/../share/ward/guest. NotFound naming the places looked at.
Result<std::string> FindGuestDir();

}  // namespace ward
