// EventSink: where core sends the events of a session. The real one (EventLog in
// store/) persists each event before publishing it; tests may collect them.
// Emit() fills in seq and time and returns the stored event, or an error when the
// event could not be persisted (core then stops the session: nothing is shown that
// is not stored). Implementations are thread-safe.
#pragma once

#include "protocol/event.h"
#include "util/status.h"

namespace ward {

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual Result<Event> Emit(const std::string& session, EventBody body) = 0;
};

}  // namespace ward
