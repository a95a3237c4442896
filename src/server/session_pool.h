// SessionPool: runs the sessions started through the API, each on its own thread
// in the server process, built exactly like `ward run` builds them (runtime/
// session_runner.h). Cancellation goes through the store (Store::RequestCancel),
// so it is the same for these sessions and for ones run by another process.
//
// A session is prepared and run on its own thread at nice 10, below the request
// threads: a burst of new sessions does not compete with the API for the CPU.
// The first Start() probes the host's sandbox (a probe clones the whole server
// process several times) and starts, at the same nice 10, what all the pool's
// sessions share: one guest launcher with its zygote, and up to a checker per
// core (2 to 8) for code validation. A session then starts only its own guest, cloned
// from the zygote.
//
// Thread-safe. Shutdown() cancels every running session and joins its thread;
// the destructor calls it, then stops the shared processes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/config.h"
#include "runtime/session_runner.h"
#include "util/cancel.h"

namespace ward::server {

class SessionPool {
 public:
  SessionPool(WardConfig config, Store* store, EventSink* events, Clock* clock, size_t max_running);
  ~SessionPool();

  // Prepares the session (InvalidArgument on a configuration error, nothing
  // stored), then runs it in the background and returns its id as soon as the
  // session is recorded in the store.
  // ResourceExhausted when max_running sessions already run here.
  Result<std::string> Start(const SessionRequest& request);
  void Shutdown();
  size_t running() const;

 private:
  struct Running {
    std::thread thread;
    std::unique_ptr<CancelToken> cancel;
    bool done = false;
  };
  struct Handoff;
  void ReapLocked();
  void PrepareAndRun(SessionRequest request, std::shared_ptr<Handoff> handoff,
                     const CancelToken* cancel, uint64_t slot);
  // The shared processes (started by the first call); null when the sandbox
  // could not be probed, or when Shutdown() came first. Their launcher or validator may be
  // null: sessions then start (or fail to start) their own, and say why.
  const SharedSessionProcesses* Shared();
  Status WaitUntilRecorded(const std::string& id);

  const WardConfig config_;
  Store* store_;
  EventSink* events_;
  Clock* clock_;
  size_t max_running_;
  mutable std::mutex mu_;
  std::map<uint64_t, Running> running_;  // by slot; guarded by mu_
  uint64_t next_slot_ = 0;               // guarded by mu_
  bool shut_down_ = false;               // guarded by mu_
  std::once_flag shared_once_;
  std::shared_ptr<const SandboxReport> probe_;      // set once under shared_once_
  std::unique_ptr<SharedSessionProcesses> shared_;  // set under shared_once_
};

}  // namespace ward::server
