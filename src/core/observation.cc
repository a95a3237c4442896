#include "core/observation.h"

namespace ward {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string GuestFailureText(const ActionOutcome& o, int64_t timeout_ms) {
  const std::string restarted =
      " The Python environment was restarted: variables and imports from earlier steps are "
      "gone.";
  switch (o.failure) {
    case GuestFailure::kTimeout:
      return "The action ran past its " + std::to_string(timeout_ms / 1000.0).substr(0, 4) +
             " s time limit and was stopped." + restarted;
    case GuestFailure::kDied:
      return "The Python process died (" + o.failure_detail + ")." + restarted;
    case GuestFailure::kProtocol:
      return "The Python process broke the host protocol (" + o.failure_detail +
             ") and was stopped." + restarted;
    case GuestFailure::kCancelled:
      return "The action was interrupted by the user.";
    case GuestFailure::kNone:
      break;
  }
  return "";
}

// Where a "[[...]]" pseudonym token around `at` begins, when `at` falls inside
// one (tokens are short: at most 64 bytes); npos otherwise.
size_t TokenAround(const std::string& text, size_t at) {
  constexpr size_t kMaxToken = 64;
  if (at == 0) return std::string::npos;
  size_t open = text.rfind("[[", at - 1);
  if (open == std::string::npos || at - open >= kMaxToken) return std::string::npos;
  size_t close = text.find("]]", open + 2);
  if (close == std::string::npos || close + 2 <= at || close - open >= kMaxToken)
    return std::string::npos;
  return open;
}

}  // namespace

std::string CapText(const std::string& text, size_t cap, bool* truncated) {
  *truncated = false;
  if (text.size() <= cap) return text;
  *truncated = true;
  size_t head = cap / 2, tail = cap - head;
  while (head > 0 && IsContinuationByte(text[head])) --head;
  size_t tail_start = text.size() - tail;
  while (tail_start < text.size() && IsContinuationByte(text[tail_start])) ++tail_start;
  // Never half a pseudonym token: the head stops before it, the tail starts after.
  if (size_t open = TokenAround(text, head); open != std::string::npos) head = open;
  if (size_t open = TokenAround(text, tail_start); open != std::string::npos)
    tail_start = text.find("]]", open + 2) + 2;
  size_t cut = tail_start - head;
  return text.substr(0, head) + "\n[... " + std::to_string(cut) + " bytes cut ...]\n" +
         text.substr(tail_start);
}

Observation FormatObservation(const ActionOutcome& o, int64_t timeout_ms, size_t cap) {
  Observation obs;
  if (o.failure != GuestFailure::kNone) {
    obs.kind = o.failure == GuestFailure::kTimeout     ? "timeout"
               : o.failure == GuestFailure::kCancelled ? "cancelled"
                                                       : "guest_failed";
    obs.text = GuestFailureText(o, timeout_ms);
    return obs;
  }
  std::string text = o.stdout_text;
  auto section = [&](const std::string& label, const std::string& body) {
    if (body.empty()) return;
    if (!text.empty() && text.back() != '\n') text += "\n";
    text += label + body;
  };
  section("[stderr]\n", o.stderr_text);
  if (o.has_value) section("[value] ", o.value_repr);
  section("[error]\n", o.error);
  if (text.empty())
    text = o.finished ? "(finish() was called: the task is complete)"
                      : "(the code ran and printed nothing)";
  obs.kind = !o.error.empty() ? "error" : o.finished ? "finished" : "result";
  obs.text = CapText(text, cap, &obs.truncated);
  return obs;
}

}  // namespace ward
