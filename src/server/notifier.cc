#include "server/notifier.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "util/json_limits.h"

namespace ward::server {

ApprovalNotifier::ApprovalNotifier(NotifierOptions options, Store* store, HttpClient* http,
                                   Clock* clock, std::function<void(bool)> on_result)
    : options_(std::move(options)),
      store_(store),
      http_(http),
      clock_(clock),
      on_result_(std::move(on_result)) {}

ApprovalNotifier::~ApprovalNotifier() { Stop(); }

void ApprovalNotifier::Start() {
  if (options_.webhook.empty() || watcher_.joinable()) return;
  // Approvals already pending a minute before start are still news; older ones
  // were announced by whoever ran before.
  started_ms_ = clock_->NowMillis() - 60'000;
  watcher_ = std::thread([this] { WatchLoop(); });
  sender_ = std::thread([this] { SendLoop(); });
}

void ApprovalNotifier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cancel_.Cancel();
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (sender_.joinable()) sender_.join();
}

bool ApprovalNotifier::WaitFor(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
  return !stopping_;
}

void ApprovalNotifier::WatchLoop() {
  do {
    auto pending = store_->ListApprovals("pending", 200, clock_->NowMillis());
    if (!pending.ok()) continue;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& a : *pending) {
      if (a.created_ms < started_ms_ || !seen_.insert(a.id).second) continue;
      outbox_.push_back(a);
      wake_.notify_all();
    }
  } while (WaitFor(options_.poll_ms));
}

void ApprovalNotifier::SendLoop() {
  while (true) {
    ApprovalRecord next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !outbox_.empty(); });
      if (stopping_) return;
      next = std::move(outbox_.front());
      outbox_.pop_front();
    }
    bool ok = false;
    int64_t backoff = options_.first_backoff_ms;
    for (int attempt = 1; attempt <= options_.max_attempts && !ok; ++attempt) {
      ok = SendOnce(next);
      if (!ok && attempt < options_.max_attempts && !WaitFor(backoff)) return;
      backoff *= 2;
    }
    if (on_result_) on_result_(ok);
  }
}

namespace {

// `text` when it is a plain name (letters, digits, '.', '_', '-', at most 64),
// else `fallback`: what reaches a webhook must be something ward vouches for.
std::string PlainName(const std::string& text, const std::string& fallback) {
  if (text.empty() || text.size() > 64) return fallback;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return fallback;
  return text;
}

// The binding named by the approval's action ("fhir.create"), or "action".
std::string BindingOf(const ApprovalRecord& a) {
  auto action = ParseJsonOrDiscarded(a.action_json);
  if (!action.is_object() || !action.contains("binding") || !action["binding"].is_string())
    return "action";
  return PlainName(action["binding"].get<std::string>(), "action");
}

}  // namespace

std::string ApprovalNotifier::Body(const ApprovalRecord& a) const {
  std::string link = options_.public_url + "/#/sessions/" + PlainName(a.session, "");
  std::string binding = BindingOf(a);
  std::string rule = PlainName(a.rule, "");
  std::string title = "ward: approval needed";
  std::string message =
      binding + " waits for a decision" + (rule.empty() ? "" : " (rule " + rule + ")");
  nlohmann::json body = {{"session", PlainName(a.session, "")},
                         {"approval", PlainName(a.id, "")},
                         {"binding", binding},
                         {"rule", rule},
                         {"link", link}};
  if (options_.include_summary && !a.summary.empty()) {
    message = a.summary;
    body["summary"] = a.summary;
  }
  body["text"] = title + " — " + message + " " + link;
  body["title"] = title;
  body["message"] = message;
  body["click"] = link;
  if (!options_.topic.empty()) body["topic"] = options_.topic;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool ApprovalNotifier::SendOnce(const ApprovalRecord& a) {
  HttpRequest req;
  req.method = "POST";
  req.url = options_.webhook;
  req.body = Body(a);
  req.connect_timeout_ms = 5000;
  req.read_timeout_ms = 10000;
  req.cancel = &cancel_;
  auto res = http_->Send(req);
  return res.ok() && res->status >= 200 && res->status < 300;
}

}  // namespace ward::server
