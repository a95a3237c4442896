#include "store/event_log.h"

#include "protocol/event_json.h"

namespace ward {

void EventLog::Subscribe(Subscriber subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.push_back(std::move(subscriber));
}

Result<Event> EventLog::Emit(const std::string& session, EventBody body) {
  std::lock_guard<std::mutex> lock(mu_);
  Event event{session, 0, clock_->NowMillis(), std::move(body)};
  WARD_ASSIGN_OR_RETURN(event.seq,
                        store_->AppendEvent(session, event.time_ms, EventTypeName(event.body),
                                            PayloadJson(event.body)));
  for (const auto& s : subscribers_) s(event);
  return event;
}

}  // namespace ward
