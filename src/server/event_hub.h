// EventHub: live fan-out of a session's stored events to many viewers, whichever
// process writes them (`ward run` in a terminal, or this server).
//
// One poller thread reads new events of every session someone is waiting on
// (one cheap indexed query per watched session per poll interval, or at once
// after Nudge()), renders each event's wire JSON once, keeps a bounded window of
// recent events per session, and wakes the waiters. A waiter whose position is
// older than the window reads the gap straight from the store, so nothing is ever
// missed or repeated: Wait() returns exactly the events with seq > after, in order.
//
// Thread-safe. Waits use the real (steady) clock: they block a serving thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace ward::server {

struct WireEvent {
  int64_t seq = 0;
  std::string type;
  std::string json;  // one line: the event's wire form (protocol/event_json.h)
};

// Renders a stored event; InvalidArgument for an unreadable one.
Result<WireEvent> RenderEvent(const StoredEvent& stored);

struct EventHubOptions {
  int64_t poll_ms = 100;
  size_t window = 1024;  // recent events kept per watched session
  int batch = 500;       // most events one Wait() returns
};

class EventHub {
 public:
  explicit EventHub(Store* store, EventHubOptions options = {});
  ~EventHub();  // stops the poller

  // Events of `session` with seq > `after`, blocking up to `timeout_ms` for at
  // least one. Empty on timeout or after Stop(). Errors only when the store fails.
  Result<std::vector<WireEvent>> Wait(const std::string& session, int64_t after,
                                      int64_t timeout_ms);
  // New events may exist for `session`: poll now rather than at the next tick.
  void Nudge(const std::string& session);
  void Stop();
  size_t watched() const;

 private:
  struct Watch {
    int64_t latest = -1;  // highest seq read; -1 before the first read
    std::deque<WireEvent> recent;
    int waiters = 0;
    int idle_polls = 0;
  };
  void PollLoop();
  void PollOnce();
  Result<std::vector<WireEvent>> ReadFromStore(const std::string& session, int64_t after);
  bool CopyFromWindow(const Watch& w, int64_t after, std::vector<WireEvent>* out) const;

  Store* store_;
  EventHubOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;       // waiters: new events or stop
  std::condition_variable poll_now_;      // poller: nudged or stop
  std::map<std::string, Watch> watches_;  // guarded by mu_
  bool nudged_ = false;                   // guarded by mu_
  bool stopping_ = false;                 // guarded by mu_
  std::thread poller_;
};

}  // namespace ward::server
