// ApprovalNotifier: makes the phone buzz when an action waits for a person.
//
// It watches the store for approvals that became pending (whoever created them:
// this server's sessions or a `ward run` elsewhere) and POSTs a small JSON to the
// configured webhook for each one, once:
//   {"text", "title", "message", "click", "topic"?, "session", "approval",
//    "binding", "rule", "link", "summary"?}
// — `text` is what Slack-style incoming webhooks show; `title`/`message`/`click`
// (and `topic`, when configured, for ntfy's JSON publishing at the server root)
// are ntfy's fields. A webhook leaves ward's control, so by default it carries no
// patient data and nothing the model wrote: only ids ward made, the binding's name
// and the policy rule's; what the action does stays behind the login at `link`.
// With `include_summary` the approval's one-line summary is added (to `summary`,
// `message` and `text`). Failures are retried with backoff on the notifier's own
// thread; nothing here ever blocks a session or a request.
//
// Thread-safe; Stop() (or the destructor) ends both threads promptly.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "net/http_client.h"
#include "store/store.h"
#include "util/clock.h"

namespace ward::server {

struct NotifierOptions {
  std::string webhook;           // URL; empty disables the notifier
  std::string topic;             // optional ntfy topic
  std::string public_url;        // base of the links, e.g. "https://ward.lan:7070"
  bool include_summary = false;  // [server.notify] include_summary
  int64_t poll_ms = 1000;
  int max_attempts = 5;
  int64_t first_backoff_ms = 1000;  // doubles per attempt
};

class ApprovalNotifier {
 public:
  // `on_result(ok)` is told the outcome of each notification (for metrics); may be empty.
  ApprovalNotifier(NotifierOptions options, Store* store, HttpClient* http, Clock* clock,
                   std::function<void(bool)> on_result = {});
  ~ApprovalNotifier();
  void Start();
  void Stop();

 private:
  void WatchLoop();
  void SendLoop();
  bool SendOnce(const ApprovalRecord& a);
  // The webhook's JSON body for `a` (see the file comment).
  std::string Body(const ApprovalRecord& a) const;
  bool WaitFor(int64_t ms);  // false when stopping

  NotifierOptions options_;
  Store* store_;
  HttpClient* http_;
  Clock* clock_;
  std::function<void(bool)> on_result_;
  int64_t started_ms_ = 0;
  CancelToken cancel_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;              // guarded by mu_
  std::set<std::string> seen_;         // guarded by mu_
  std::deque<ApprovalRecord> outbox_;  // guarded by mu_
  std::thread watcher_, sender_;
};

}  // namespace ward::server
