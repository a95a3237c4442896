// Session: one agent task from start to finish — the turn loop.
//
// RunSession() persists a session record, emits events (each stored before it is
// shown), asks the model for the next step, runs the code in the session's guest
// with every binding call passing the Gate, feeds the observation back, and stops
// when the code calls finish(), a budget is hit, the user cancels, or something
// fails. It returns the final status; only a broken store yields an error Status
// (then nothing more can be recorded). Everything with a side effect is injected
// through SessionDeps. One session per call; runs on the caller's thread.
#pragma once

#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "gate/binding.h"
#include "gate/gate.h"
#include "gate/validate.h"
#include "llm/provider.h"
#include "privacy/pseudonymizer.h"
#include "protocol/event_sink.h"
#include "protocol/op.h"
#include "sandbox/guest.h"
#include "store/store.h"
#include "util/cancel.h"
#include "util/clock.h"

namespace ward {

struct SessionDeps {
  LlmProvider* provider = nullptr;
  GuestLauncher* launcher = nullptr;
  std::string guest_dir;  // the ward_guest package folder
  std::string python = "/usr/bin/python3";
  Store* store = nullptr;
  EventSink* events = nullptr;
  AuditLog* audit = nullptr;
  Clock* clock = nullptr;
  const CancelToken* cancel = nullptr;
  // Bindings beyond finish() (connectors); may be null. Must not define "finish".
  const std::vector<Binding>* extra_bindings = nullptr;
  const Policy* policy = nullptr;      // null: the default policy
  CodeValidator* validator = nullptr;  // null: no static checks before code runs
  int64_t approval_ttl_ms = 15 * 60 * 1000;
  bool require_distinct_approver = false;
  double price_input_per_mtok = 0;  // model prices, for the cost budget
  double price_output_per_mtok = 0;
  // What the model may see (privacy/pseudonymizer.h): with a mode other than off,
  // every text bound for the model is pseudonymised, and tokens are re-identified
  // in the code before it runs, in binding arguments and in the final answer.
  // Events keep the host's view (real values) and, where it differs, the exact
  // text exchanged with the model (model_task, model_content, model_text).
  PrivacyOptions privacy;
};

struct SessionOutcome {
  std::string session;
  std::string status;  // "succeeded", "failed", "cancelled"
  std::string answer;
  std::string reason;
  int steps = 0;
  Usage usage;
  // Problems after the session ended that did not change its outcome (an audit
  // checkpoint that could not be published — also audited). For the operator.
  std::vector<std::string> warnings;
};

// `session_id` may be empty (a new id is made).
Result<SessionOutcome> RunSession(const StartTaskOp& op, const SessionDeps& deps,
                                  const std::string& session_id = "");

}  // namespace ward
