// Turns what an action did into the observation the model reads, capped to a
// size with head and tail kept and the cut marked. Pure functions.
#pragma once

#include <string>

#include "sandbox/guest.h"

namespace ward {

struct Observation {
  std::string kind;  // "result", "finished", "error", "timeout", "guest_failed", "cancelled"
  std::string text;
  bool truncated = false;
};

Observation FormatObservation(const ActionOutcome& outcome, int64_t action_timeout_ms,
                              size_t cap_bytes);

// Keeps the first and last parts of `text` within `cap_bytes` (cut on UTF-8
// character boundaries, never inside a "[[...]]" pseudonym token), with a marker
// saying how much was left out. Pseudonymise before capping: a cut must never
// leave half of an identifier.
std::string CapText(const std::string& text, size_t cap_bytes, bool* truncated);

}  // namespace ward
