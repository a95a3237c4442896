#include "server/event_hub.h"

#include <chrono>

#include "protocol/event_json.h"

namespace ward::server {

Result<WireEvent> RenderEvent(const StoredEvent& s) {
  WARD_ASSIGN_OR_RETURN(Event e,
                        EventFromStored(s.session, s.seq, s.time_ms, s.type, s.payload_json));
  return WireEvent{s.seq, s.type, EventJsonLine(e)};
}

EventHub::EventHub(Store* store, EventHubOptions options) : store_(store), options_(options) {
  poller_ = std::thread([this] { PollLoop(); });
}

EventHub::~EventHub() {
  Stop();
  if (poller_.joinable()) poller_.join();
}

void EventHub::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  changed_.notify_all();
  poll_now_.notify_all();
}

size_t EventHub::watched() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watches_.size();
}

void EventHub::Nudge(const std::string& session) {
  std::lock_guard<std::mutex> lock(mu_);
  if (watches_.count(session) == 0) return;
  nudged_ = true;
  poll_now_.notify_one();
}

Result<std::vector<WireEvent>> EventHub::ReadFromStore(const std::string& session, int64_t after) {
  WARD_ASSIGN_OR_RETURN(auto stored, store_->ListEvents(session, after, options_.batch));
  std::vector<WireEvent> out;
  out.reserve(stored.size());
  for (const auto& s : stored) {
    WARD_ASSIGN_OR_RETURN(WireEvent w, RenderEvent(s));
    out.push_back(std::move(w));
  }
  return out;
}

bool EventHub::CopyFromWindow(const Watch& w, int64_t after, std::vector<WireEvent>* out) const {
  if (w.recent.empty() || w.recent.front().seq > after + 1) return false;
  for (const auto& e : w.recent) {
    if (e.seq <= after) continue;
    out->push_back(e);
    if (static_cast<int>(out->size()) >= options_.batch) break;
  }
  return true;
}

Result<std::vector<WireEvent>> EventHub::Wait(const std::string& session, int64_t after,
                                              int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock<std::mutex> lock(mu_);
  Watch& w = watches_[session];  // std::map: the reference stays valid while we wait
  ++w.waiters;
  struct Leave {
    Watch& w;
    ~Leave() { --w.waiters; }
  } leave{w};
  // The poller keeps a watch current only while someone waits on it: the first
  // waiter cannot trust what it last read, the others can.
  bool first = w.waiters == 1;
  while (!stopping_) {
    std::vector<WireEvent> out;
    if (w.latest > after && CopyFromWindow(w, after, &out)) return out;
    if (first || w.latest < 0 || w.latest > after) {
      // Unknown, possibly stale, or older than the window: read from the store.
      // A caught-up viewer of a watched session just waits for the poller, so
      // many viewers cost one read per poll, not one read each.
      first = false;
      lock.unlock();
      auto read = ReadFromStore(session, after);
      lock.lock();
      if (!read.ok() || !read->empty()) return read;
      if (w.latest < 0) w.latest = after;  // the store has nothing past `after`
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  return std::vector<WireEvent>{};
}

void EventHub::PollLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    poll_now_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                       [this] { return nudged_ || stopping_; });
    if (stopping_) break;
    nudged_ = false;
    lock.unlock();
    PollOnce();
    lock.lock();
  }
}

void EventHub::PollOnce() {
  std::vector<std::pair<std::string, int64_t>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = watches_.begin(); it != watches_.end();) {
      Watch& w = it->second;
      w.idle_polls = w.waiters > 0 ? 0 : w.idle_polls + 1;
      if (w.idle_polls > 100) {
        it = watches_.erase(it);  // nobody watched it for ~10 s
        continue;
      }
      if (w.waiters > 0 && w.latest >= 0) targets.emplace_back(it->first, w.latest);
      ++it;
    }
  }
  for (const auto& [session, from] : targets) {
    auto fresh = ReadFromStore(session, from);
    if (!fresh.ok() || fresh->empty()) continue;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = watches_.find(session);
    if (it == watches_.end() || it->second.latest != from) continue;
    Watch& w = it->second;
    // `fresh` continues the window without a gap: only this thread moves a known
    // `latest`, and waiters only set it while it is unknown.
    for (auto& e : *fresh) {
      w.latest = e.seq;
      w.recent.push_back(std::move(e));
      if (w.recent.size() > options_.window) w.recent.pop_front();
    }
    changed_.notify_all();
  }
}

}  // namespace ward::server
