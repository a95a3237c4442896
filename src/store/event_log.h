// EventLog: the EventSink that persists every event in the Store (JSON payload,
// per-session seq) and only then hands it to subscribers (CLI printers, the server's
// live streams). Thread-safe: Emit may be called from several threads; subscribers
// are called in emit order and must not call Emit themselves. An event emitted inside
// Store::Atomically reaches subscribers only after that transaction commits.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "protocol/event_sink.h"
#include "store/store.h"
#include "util/clock.h"

namespace ward {

class EventLog : public EventSink {
 public:
  using Subscriber = std::function<void(const Event&)>;

  EventLog(Store* store, Clock* clock) : store_(store), clock_(clock) {}

  void Subscribe(Subscriber subscriber);
  Result<Event> Emit(const std::string& session, EventBody body) override;

 private:
  Store* store_;  // not owned
  Clock* clock_;  // not owned
  // Lock order: the store's lock, then subscribers_mu_.
  std::mutex subscribers_mu_;
  std::vector<Subscriber> subscribers_;  // guarded by subscribers_mu_
};

}  // namespace ward
