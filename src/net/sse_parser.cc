#include "net/sse_parser.h"

#include <cctype>

namespace ward {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::vector<SseEvent> SseParser::Feed(std::string_view chunk) {
  std::vector<SseEvent> out;
  for (char c : chunk) {
    if (at_start_) {
      // Hold back bytes that may be a BOM until it is matched or ruled out.
      if (c == kBom[bom_seen_]) {
        if (++bom_seen_ == kBom.size()) at_start_ = false;
        continue;
      }
      at_start_ = false;
      std::string held(kBom.substr(0, bom_seen_));
      bom_seen_ = 0;
      // Re-feed the held bytes (they are not a BOM) followed by this one.
      for (char h : held) {
        auto more = Feed(std::string_view(&h, 1));
        out.insert(out.end(), more.begin(), more.end());
      }
    }
    if (c == '\n' && after_cr_) {
      after_cr_ = false;
      continue;
    }
    after_cr_ = (c == '\r');
    if (c == '\r' || c == '\n') {
      ProcessLine(&out);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
  return out;
}

void SseParser::ProcessLine(std::vector<SseEvent>* out) {
  std::string_view line = line_;
  if (line.empty()) {
    Dispatch(out);
    return;
  }
  if (line.front() == ':') return;  // comment
  has_fields_ = true;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    ProcessField(line, {});
    return;
  }
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  ProcessField(line.substr(0, colon), value);
}

void SseParser::ProcessField(std::string_view field, std::string_view value) {
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    event_type_ = value;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = value;
  } else if (field == "retry") {
    if (AllDigits(value) && value.size() < 18) {
      event_retry_ms_ = std::stoll(std::string(value));
      reconnect_ms_ = event_retry_ms_;
    }
  }
}

void SseParser::Dispatch(std::vector<SseEvent>* out) {
  has_fields_ = false;
  int64_t retry = event_retry_ms_;
  event_retry_ms_ = -1;
  if (data_.empty()) {
    event_type_.clear();
    return;
  }
  SseEvent ev;
  ev.data = std::move(data_);
  ev.data.pop_back();  // the trailing "\n" of the last data line
  if (!event_type_.empty()) ev.event = std::move(event_type_);
  ev.id = last_id_;
  ev.retry_ms = retry;
  data_.clear();
  event_type_.clear();
  out->push_back(std::move(ev));
}

}  // namespace ward
