// EventStream: one viewer's Server-Sent Events stream of a session.
//
// Each store event becomes one SSE event: "id: <seq>" and "data: <wire JSON>"
// (protocol/event_json.h). Starting after `after` (from ?after= or the
// Last-Event-ID a reconnecting browser sends) it yields exactly the events with
// larger seq, in order, none twice. When nothing happens for `heartbeat_ms` it
// yields an SSE comment so proxies keep the connection. It is done after the
// session's `finished` event (or when the session is no longer running and has no
// more events). With CheckOwnerAs, each quiet heartbeat also checks that the
// session's process is alive, and interrupts the session when it is not
// (runtime/session_reaper.h): its `finished` event then ends the stream. Used by
// one serving thread at a time.
#pragma once

#include <cstdint>
#include <string>

#include "server/event_hub.h"
#include "store/store.h"
#include "util/clock.h"

namespace ward::server {

class EventStream {
 public:
  EventStream(EventHub* hub, Store* store, std::string session, int64_t after, int64_t heartbeat_ms)
      : hub_(hub),
        store_(store),
        session_(std::move(session)),
        after_(after),
        heartbeat_ms_(heartbeat_ms) {}

  // Interrupt the session, in `actor`'s name, when its process is found gone.
  void CheckOwnerAs(Clock* clock, std::string actor) {
    clock_ = clock;
    actor_ = std::move(actor);
  }
  // The next piece of the body; sets *done when the stream should end after it.
  Result<std::string> Next(bool* done);
  int64_t position() const { return after_; }

 private:
  EventHub* hub_;
  Store* store_;
  std::string session_;
  int64_t after_;
  int64_t heartbeat_ms_;
  bool started_ = false;
  Clock* clock_ = nullptr;  // null: no owner check
  std::string actor_;
};

}  // namespace ward::server
