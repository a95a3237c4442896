// SseParser: an incremental parser for text/event-stream bodies (Server-Sent Events).
//
// Follows the WHATWG event-stream interpretation: lines end with CRLF, LF or CR;
// a line starting with ':' is a comment; "field: value" lines with one leading
// space of the value stripped; `data` lines of one event are joined with "\n";
// a blank line dispatches the event (an event with no data is dropped); `id` sets
// the last event id (kept across events, ignored when it contains NUL); `retry`
// (digits only) sets the reconnection time; a UTF-8 BOM at the very start is
// skipped. Unknown fields are ignored.
//
// Bytes may be fed in chunks split anywhere (inside a line, a CRLF pair or a
// multi-byte UTF-8 character); only complete events are returned. Bytes after the
// last blank line stay buffered; at end of stream they are an incomplete event and
// are discarded, as the standard says (pending() tells whether there are any).
// Thread-compatible: one parser per stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ward {

struct SseEvent {
  std::string event = "message";  // the `event` field, "message" when absent
  std::string data;               // `data` lines joined with "\n"
  std::string id;                 // last event id in effect when dispatched
  int64_t retry_ms = -1;          // a `retry` field seen in this event, else -1
};

class SseParser {
 public:
  // Parses `chunk` and returns the events it completed, in order.
  std::vector<SseEvent> Feed(std::string_view chunk);

  // True when bytes of an unfinished line or event are buffered.
  bool pending() const { return !line_.empty() || has_fields_; }

  // Reconnection time from the last valid `retry` field, -1 if none.
  int64_t reconnect_ms() const { return reconnect_ms_; }

 private:
  void ProcessLine(std::vector<SseEvent>* out);
  void ProcessField(std::string_view field, std::string_view value);
  void Dispatch(std::vector<SseEvent>* out);

  std::string line_;        // current line, without terminator
  std::string data_;        // data buffer of the event being built
  std::string event_type_;  // event type buffer
  std::string last_id_;     // last event id buffer
  int64_t event_retry_ms_ = -1;
  int64_t reconnect_ms_ = -1;
  bool has_fields_ = false;  // any field line seen since the last dispatch
  bool after_cr_ = false;    // previous byte was CR: a following LF is swallowed
  size_t bom_seen_ = 0;      // bytes of the UTF-8 BOM matched so far at stream start
  bool at_start_ = true;     // still inside the first 3 bytes of the stream
};

}  // namespace ward
