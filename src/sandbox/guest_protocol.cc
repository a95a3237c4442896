#include "sandbox/guest_protocol.h"

#include <string.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "util/clock.h"
#include "util/json_limits.h"

namespace ward {

using nlohmann::json;

namespace {

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

GuestFailure FailureOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kDeadlineExceeded:
      return GuestFailure::kTimeout;
    case StatusCode::kCancelled:
      return GuestFailure::kCancelled;
    case StatusCode::kResourceExhausted:
      return GuestFailure::kProtocol;
    default:
      return GuestFailure::kDied;
  }
}

// Answers one binding call from the guest. Returns false when the reply could not be sent.
// Sets *finish_accepted when the call was a finish() the host accepted.
bool AnswerCall(GuestChannel& channel, const json& msg, const GuestCallHandler& on_call,
                bool* finish_accepted) {
  GuestCall call{StringField(msg, "name"), DumpJson(msg.value("args", json::object()))};
  GuestCallReply reply =
      on_call ? on_call(call) : GuestCallReply{false, "null", "BindingError", "no bindings"};
  if (call.name == "finish" && reply.ok) *finish_accepted = true;
  json out = {{"t", "reply"}, {"id", msg.value("id", json())}, {"ok", reply.ok}};
  if (!reply.warnings.empty()) out["warnings"] = reply.warnings;
  if (reply.ok) {
    json value = ParseJsonOrDiscarded(reply.value_json);
    out["value"] = value.is_discarded() ? json() : value;
  } else {
    out["error"] = {{"type", reply.error_type}, {"message", reply.error_message}};
  }
  return channel.Send(DumpJson(out)).ok();
}

// Why a `done` message breaks the protocol, or "" when it does not: `finished`
// must be a boolean, and true only after the host accepted a finish() call in
// this action (a guest cannot end the session on its own say-so).
std::string DoneViolation(const json& msg, bool finish_accepted) {
  auto finished = msg.find("finished");
  if (finished == msg.end() || finished->is_null()) return "";
  if (!finished->is_boolean()) return "its 'done' message has a non-boolean 'finished'";
  if (finished->get<bool>() && !finish_accepted) return "it reported finish() without calling it";
  return "";
}

void FillDone(const json& msg, ActionOutcome& outcome) {
  outcome.stdout_text = StringField(msg, "stdout");
  outcome.stderr_text = StringField(msg, "stderr");
  outcome.error = StringField(msg, "error");
  auto value = msg.find("value");
  outcome.has_value = value != msg.end() && value->is_string();
  if (outcome.has_value) outcome.value_repr = value->get<std::string>();
  auto finished = msg.find("finished");
  outcome.finished = finished != msg.end() && finished->is_boolean() && finished->get<bool>();
}

}  // namespace

Status SendHello(GuestChannel& channel, const GuestSpec& spec) {
  json bindings = json::array();
  for (const auto& b : spec.bindings)
    bindings.push_back({{"name", b.name}, {"signature", b.signature}, {"doc", b.doc}});
  json errors = json::array();
  for (const auto& e : spec.error_types)
    errors.push_back({{"name", e.name}, {"base", e.base}, {"doc", e.doc}});
  return channel.Send(DumpJson({{"t", "hello"}, {"bindings", bindings}, {"errors", errors}}));
}

Status AwaitReady(GuestChannel& channel, const GuestSpec& spec) {
  int64_t deadline = SystemClock::Default()->MonotonicMicros() + spec.start_timeout_ms * 1000;
  WARD_ASSIGN_OR_RETURN(std::string line, channel.Receive(deadline, nullptr));
  json msg = ParseJsonOrDiscarded(line);
  if (!msg.is_discarded() && msg.is_object() && StringField(msg, "t") == "fatal")
    return Unavailable(StringField(msg, "message"));
  if (msg.is_discarded() || !msg.is_object() || StringField(msg, "t") != "ready")
    return Unavailable("unexpected first message from the guest");
  return Status::Ok();
}

Status Handshake(GuestChannel& channel, const GuestSpec& spec) {
  WARD_RETURN_IF_ERROR(SendHello(channel, spec));
  return AwaitReady(channel, spec);
}

ActionOutcome RunAction(GuestChannel& channel, int64_t action_id, const std::string& code,
                        int64_t timeout_ms, const GuestCallHandler& on_call,
                        const CancelToken* cancel) {
  Clock* clock = SystemClock::Default();
  ActionOutcome outcome;
  int64_t start = clock->MonotonicMicros();
  int64_t deadline = start + timeout_ms * 1000;
  auto fail = [&](GuestFailure f, std::string detail) {
    outcome.failure = f;
    outcome.failure_detail = std::move(detail);
    outcome.elapsed_us = clock->MonotonicMicros() - start;
    return outcome;
  };
  bool finish_accepted = false;
  json exec = {{"t", "exec"}, {"id", action_id}, {"code", code}};
  if (!channel.Send(DumpJson(exec)).ok()) return fail(GuestFailure::kDied, "the guest is gone");
  while (true) {
    auto line = channel.Receive(deadline, cancel);
    if (!line.ok()) return fail(FailureOf(line.status()), line.status().message());
    auto parsed = ParseJson(*line);
    if (!parsed.ok())
      return fail(GuestFailure::kProtocol,
                  "the guest sent a malformed message: " + parsed.status().message());
    json msg = std::move(*parsed);
    if (!msg.is_object())
      return fail(GuestFailure::kProtocol, "the guest sent a malformed message");
    std::string type = StringField(msg, "t");
    if (type == "call") {
      int64_t before = clock->MonotonicMicros();
      if (!AnswerCall(channel, msg, on_call, &finish_accepted))
        return fail(GuestFailure::kDied, "the guest is gone");
      deadline += clock->MonotonicMicros() - before;  // waiting on the host is not guest time
    } else if (type == "done" && msg.value("id", json()) == action_id) {
      if (std::string why = DoneViolation(msg, finish_accepted); !why.empty())
        return fail(GuestFailure::kProtocol, "the guest broke the protocol: " + why);
      FillDone(msg, outcome);
      outcome.elapsed_us = clock->MonotonicMicros() - start;
      return outcome;
    } else {
      return fail(GuestFailure::kProtocol, "the guest sent an unexpected '" + type + "' message");
    }
  }
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
  }
  return "ended";
}

}  // namespace ward
