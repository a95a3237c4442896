// SessionPool: runs the sessions started through the API, each on its own thread
// in the server process, built exactly like `ward run` builds them (runtime/
// session_runner.h). Cancellation goes through the store (Store::RequestCancel),
// so it is the same for these sessions and for ones run by another process.
// Session threads (and their guests) run at nice 10, below the request threads.
//
// Thread-safe. Shutdown() cancels every running session and joins its thread;
// the destructor calls it.
#pragma once

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
  SessionPool(WardConfig config, Store* store, EventSink* events, Clock* clock, size_t max_running)
      : config_(std::move(config)),
        store_(store),
        events_(events),
        clock_(clock),
        max_running_(max_running) {}
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
  void ReapLocked();
  Result<std::string> Launch(std::unique_ptr<PreparedSession> prepared);
  Status WaitUntilRecorded(const std::string& id);

  const WardConfig config_;
  Store* store_;
  EventSink* events_;
  Clock* clock_;
  size_t max_running_;
  mutable std::mutex mu_;
  std::map<std::string, Running> running_;  // guarded by mu_
  bool shut_down_ = false;                  // guarded by mu_
};

}  // namespace ward::server
