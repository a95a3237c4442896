#include "server/event_stream.h"

#include "runtime/session_reaper.h"

namespace ward::server {

Result<std::string> EventStream::Next(bool* done) {
  *done = false;
  std::string out;
  if (!started_) {
    started_ = true;
    out = "retry: 2000\n\n";  // browsers reconnect after 2 s, sending Last-Event-ID
  }
  WARD_ASSIGN_OR_RETURN(std::vector<WireEvent> events,
                        hub_->Wait(session_, after_, started_ && out.empty() ? heartbeat_ms_ : 0));
  for (const WireEvent& e : events) {
    out += "id: " + std::to_string(e.seq) + "\ndata: " + e.json + "\n\n";
    after_ = e.seq;
    if (e.type == "finished") *done = true;
  }
  if (!events.empty() || !out.empty()) return out;
  // Nothing new for a whole heartbeat: is there anything left to wait for?
  WARD_ASSIGN_OR_RETURN(SessionRecord s, clock_ ? GetLiveSession(store_, clock_, actor_, session_)
                                                : store_->GetSession(session_));
  if (s.status != "running") {
    WARD_ASSIGN_OR_RETURN(auto rest, store_->ListEvents(session_, after_, 1));
    if (rest.empty()) {
      *done = true;
      return std::string(": the session has ended\n\n");
    }
  }
  return std::string(": heartbeat\n\n");
}

}  // namespace ward::server
