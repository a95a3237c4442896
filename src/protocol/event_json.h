// JSON codecs for Events: the wire and storage form. One JSON object per event:
// {"type": ..., "session": ..., "seq": ..., "time": ISO8601, ...body fields}.
// `PayloadJson` is the body alone (what the store keeps). Thread-safe (pure).
#pragma once

#include <string>
#include <string_view>

#include "protocol/event.h"
#include "util/status.h"

namespace ward {

// The body's fields as a compact JSON object (no type/session/seq/time).
std::string PayloadJson(const EventBody& body);

// Rebuilds an event from its stored parts. InvalidArgument on an unknown type or
// malformed payload.
Result<Event> EventFromStored(const std::string& session, int64_t seq, int64_t time_ms,
                              std::string_view type, std::string_view payload_json);

// The full event as one line of compact JSON (no trailing newline).
std::string EventJsonLine(const Event& event);

}  // namespace ward
