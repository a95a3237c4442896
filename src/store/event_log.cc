#include "store/event_log.h"

#include "protocol/event_json.h"

namespace ward {

void EventLog::Subscribe(Subscriber subscriber) {
  std::lock_guard<std::mutex> lock(subscribers_mu_);
  subscribers_.push_back(std::move(subscriber));
}

Result<Event> EventLog::Emit(const std::string& session, EventBody body) {
  Event event{session, 0, clock_->NowMillis(), std::move(body)};
  WARD_ASSIGN_OR_RETURN(event.seq,
                        store_->AppendEvent(session, event.time_ms, EventTypeName(event.body),
                                            PayloadJson(event.body)));
  // Subscribers run under the store's lock, so they see events in seq order; inside
  // Store::Atomically only once its transaction commits.
  store_->OnCommit([this, event] {
    std::lock_guard<std::mutex> subscribers_lock(subscribers_mu_);
    for (const auto& s : subscribers_) s(event);
  });
  return event;
}

}  // namespace ward
