#include "core/session.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>

#include "core/code_extract.h"
#include "core/context.h"
#include "core/observation.h"
#include "core/prompt.h"
#include "gate/gate.h"
#include "sandbox/workspace.h"
#include "store/session_owner.h"
#include "util/hash.h"

namespace ward {
namespace {

constexpr const char* kSucceeded = "succeeded";
constexpr const char* kFailed = "failed";
constexpr const char* kCancelled = "cancelled";

class TurnLoop {
 public:
  TurnLoop(const StartTaskOp& op, const SessionDeps& deps, std::string id)
      : op_(op), deps_(deps), id_(std::move(id)) {
    GateOptions gate;
    gate.policy = deps_.policy;
    gate.store = deps_.store;
    gate.clock = deps_.clock;
    gate.cancel = deps_.cancel;
    gate.actor = op_.actor;
    gate.approval_ttl_ms = deps_.approval_ttl_ms;
    gate.require_distinct_approver = deps_.require_distinct_approver;
    gate.max_writes = op_.max_writes;
    gate_ = std::make_unique<Gate>(&registry_, deps_.audit, deps_.events, gate);
  }

  Result<SessionOutcome> Run() {
    WARD_RETURN_IF_ERROR(Begin());
    if (!Ended()) Loop();
    WARD_RETURN_IF_ERROR(store_status_);
    return outcome_;
  }

 private:
  Status Begin();
  void Loop();
  void Step(int step);
  bool CheckBudgets(int step);
  double Cost() const {
    return (outcome_.usage.input_tokens * deps_.price_input_per_mtok +
            outcome_.usage.output_tokens * deps_.price_output_per_mtok) /
           1e6;
  }
  void HandleCodeReply(int step, const ChatResponse& reply);
  void HandleToolReply(int step, const ChatResponse& reply);
  // Runs code in the guest; returns the observation text for the model.
  std::string RunAction(int step, const std::string& code, const std::string& source);
  // Emits the observation and returns its text as the model may see it.
  // A cap (bytes, 0: none) applies to the host's and the model's text separately,
  // after pseudonymising.
  std::string AddObservation(int step, const std::string& kind, const std::string& text,
                             bool truncated = false, int64_t elapsed_ms = 0, size_t cap = 0);
  // `text` as the model may see it (pseudonymised); counts toward the next model call.
  std::string ToModel(const std::string& text);
  GuestCallReply DispatchCall(const BindingContext& context, const GuestCall& call);
  void End(const std::string& status, const std::string& reason);
  bool Ended() const { return !outcome_.status.empty(); }
  void Emit(EventBody body);
  void Audit(const std::string& kind, const AuditData& data);
  void FailOnStore(const Status& s);
  Result<std::string> MakeWorkdir();

  const StartTaskOp& op_;
  const SessionDeps& deps_;
  std::string id_;
  BindingRegistry registry_;
  std::unique_ptr<Gate> gate_;
  std::unique_ptr<TempWorkspace> temp_workdir_;  // see MakeWorkdir; outlives guest_
  std::unique_ptr<Guest> guest_;
  std::string finish_answer_;
  std::unique_ptr<Pseudonymizer> privacy_;
  SubstitutionCounts pending_substitutions_;  // made since the last model call
  std::vector<ChatMessage> messages_;
  SessionRecord record_;
  SessionOutcome outcome_;
  int64_t started_us_ = 0;
  Status store_status_;
};

void TurnLoop::FailOnStore(const Status& s) {
  if (!s.ok() && store_status_.ok()) store_status_ = s;
}

void TurnLoop::Emit(EventBody body) {
  if (!store_status_.ok()) return;
  auto e = deps_.events->Emit(id_, std::move(body));
  if (!e.ok()) FailOnStore(e.status().WithContext("storing an event"));
}

void TurnLoop::Audit(const std::string& kind, const AuditData& data) {
  if (!store_status_.ok()) return;
  auto r = deps_.audit->Record(id_, kind, data);
  if (!r.ok()) FailOnStore(r.status());
}

// The given workspace, or the session's own: private to the guest's host user
// (mode 0700) and removed when the session ends, however it ends.
Result<std::string> TurnLoop::MakeWorkdir() {
  if (!op_.workspace.empty()) return op_.workspace;
  std::error_code ec;
  std::string parent = std::filesystem::temp_directory_path(ec).string();
  if (ec) parent = "/tmp";
  WARD_ASSIGN_OR_RETURN(
      temp_workdir_, TempWorkspace::Create(parent, SessionWorkspacePrefix(id_), GuestHostOwner()));
  return temp_workdir_->path();
}

Status TurnLoop::Begin() {
  started_us_ = deps_.clock->MonotonicMicros();
  auto privacy = Pseudonymizer::Create(deps_.privacy);
  if (!privacy.ok()) return privacy.status().WithContext("[privacy]");
  privacy_ = std::move(privacy).value();
  std::string model_task = privacy_->PseudonymiseTask(op_.task, &pending_substitutions_);

  std::string model = deps_.provider->provider() + ":" + deps_.provider->model();
  record_ = {id_,
             op_.task,
             model,
             AgentModeName(op_.mode),
             op_.actor,
             "running",
             deps_.clock->NowMillis(),
             deps_.clock->NowMillis()};
  record_.claimed_actor = op_.claimed_actor;
  SetSessionOwner(CurrentProcessOwner(), &record_);
  WARD_RETURN_IF_ERROR(deps_.store->CreateSession(record_));
  outcome_.session = id_;

  WARD_RETURN_IF_ERROR(registry_.Add(MakeFinishBinding(&finish_answer_)));
  if (deps_.extra_bindings)
    for (const auto& b : *deps_.extra_bindings) WARD_RETURN_IF_ERROR(registry_.Add(b));

  SessionStartedEvent started{op_.task,
                              model,
                              deps_.provider->scripted(),
                              AgentModeName(op_.mode),
                              op_.actor,
                              deps_.launcher->name(),
                              deps_.launcher->isolation_layers(),
                              op_.workspace};
  started.privacy = PrivacyModeName(privacy_->mode());
  if (model_task != op_.task) started.model_task = model_task;
  Emit(started);
  AuditData data;
  data.Set("task", op_.task).Set("model", model).Set("scripted", deps_.provider->scripted());
  data.Set("mode", AgentModeName(op_.mode)).Set("launcher", deps_.launcher->name());
  data.SetStrings("isolation", deps_.launcher->isolation_layers());
  data.Set("privacy", PrivacyModeName(privacy_->mode()));
  if (!op_.purpose_of_use.empty()) data.Set("purpose_of_use", op_.purpose_of_use);
  if (!op_.claimed_actor.empty()) data.Set("claimed_actor", op_.claimed_actor);
  Audit("session_start", data);
  WARD_RETURN_IF_ERROR(store_status_);

  auto workdir = MakeWorkdir();
  if (!workdir.ok()) {
    End(kFailed, "could not make the session's workspace: " + workdir.status().message());
    return Status::Ok();
  }
  GuestSpec spec{deps_.guest_dir, deps_.python, *workdir, registry_.Infos(),
                 registry_.ErrorTypes()};
  auto guest = deps_.launcher->Launch(spec);
  if (!guest.ok()) {
    End(kFailed, "could not start the Python guest: " + guest.status().message());
    return Status::Ok();
  }
  guest_ = std::move(guest).value();

  std::string now = op_.now.empty() ? FormatIso8601(deps_.clock->NowMillis()) : op_.now;
  std::string system = BuildSystemPrompt(op_.mode, registry_.Infos(), now);
  if (privacy_->active()) system += PseudonymTokensNote();
  messages_.push_back({ChatRole::kSystem, system});
  messages_.push_back({ChatRole::kUser, BuildTaskMessage(model_task)});
  return Status::Ok();
}

void TurnLoop::Loop() {
  for (int step = 1; !Ended(); ++step) {
    if (!CheckBudgets(step)) return;
    outcome_.steps = step;
    Step(step);
    if (!store_status_.ok()) return;
  }
}

bool TurnLoop::CheckBudgets(int step) {
  if (deps_.cancel && deps_.cancel->cancelled()) {
    End(kCancelled, "interrupted by the user");
  } else if (step > op_.max_steps) {
    End(kFailed,
        "step budget exhausted: " + std::to_string(op_.max_steps) + " steps without finish()");
  } else if (op_.max_total_tokens > 0 && outcome_.usage.total() >= op_.max_total_tokens) {
    End(kFailed, "token budget exhausted: used " + std::to_string(outcome_.usage.total()) + " of " +
                     std::to_string(op_.max_total_tokens) + " tokens");
  } else if (op_.max_cost > 0 && Cost() >= op_.max_cost) {
    End(kFailed, "cost budget exhausted: spent " + std::to_string(Cost()) + " of " +
                     std::to_string(op_.max_cost));
  } else if (op_.max_wall_ms > 0 &&
             (deps_.clock->MonotonicMicros() - started_us_) / 1000 >= op_.max_wall_ms) {
    End(kFailed, "time budget exhausted: " + std::to_string(op_.max_wall_ms / 1000) + " s");
  }
  return !Ended();
}

void TurnLoop::Step(int step) {
  ElisionResult fit = FitContext(messages_, op_.context_budget_tokens);
  if (fit.elided > 0) Emit(ContextElidedEvent{fit.elided, fit.tokens_before, fit.tokens_after});

  ChatRequest request{messages_};
  if (op_.mode == AgentMode::kTools) {
    request.tools = {
        {"run_python", "Run Python code in the session's persistent environment.",
         R"({"type":"object","properties":{"code":{"type":"string"}},"required":["code"]})"},
        {"finish", "End the task and report the answer to the user.",
         R"({"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]})"}};
  }
  int64_t t0 = deps_.clock->MonotonicMicros();
  auto reply = deps_.provider->Complete(request, deps_.cancel);
  int64_t latency_ms = (deps_.clock->MonotonicMicros() - t0) / 1000;
  AuditData call;
  call.Set("step", step).Set("provider", deps_.provider->provider());
  call.Set("model", deps_.provider->model()).Set("ok", reply.ok());
  call.Set("privacy", PrivacyModeName(privacy_->mode()));
  if (privacy_->active()) call.SetJson("substitutions", pending_substitutions_.ToJson());
  pending_substitutions_ = {};
  if (!reply.ok()) {
    call.Set("error", reply.status().message());
    Audit("model_call", call);
    bool cancelled = reply.status().code() == StatusCode::kCancelled;
    End(cancelled ? kCancelled : kFailed,
        cancelled ? "interrupted by the user" : "model call failed: " + reply.status().message());
    return;
  }
  call.Set("input_tokens", reply->usage.input_tokens);
  call.Set("output_tokens", reply->usage.output_tokens);
  call.Set("attempts", reply->attempts).Set("request_sha256", reply->request_sha256);
  call.Set("response_sha256", reply->response_sha256);
  Audit("model_call", call);
  outcome_.usage.input_tokens += reply->usage.input_tokens;
  outcome_.usage.output_tokens += reply->usage.output_tokens;

  ModelTurnEvent turn{step,
                      privacy_->ReIdentify(reply->content),
                      {},
                      reply->usage.input_tokens,
                      reply->usage.output_tokens,
                      reply->attempts,
                      latency_ms};
  if (turn.content != reply->content) turn.model_content = reply->content;
  for (const auto& c : reply->tool_calls) {
    ToolCallSummary summary{c.id, c.name, privacy_->ReIdentify(c.arguments_json)};
    if (summary.arguments_json != c.arguments_json) summary.model_arguments_json = c.arguments_json;
    turn.tool_calls.push_back(std::move(summary));
  }
  Emit(turn);
  messages_.push_back({ChatRole::kAssistant, reply->content, reply->tool_calls});
  if (op_.mode == AgentMode::kCode) {
    HandleCodeReply(step, *reply);
  } else {
    HandleToolReply(step, *reply);
  }
}

void TurnLoop::HandleCodeReply(int step, const ChatResponse& reply) {
  auto code = ExtractPythonCode(reply.content);
  if (!code) {
    std::string text = AddObservation(step, "correction", NoActionCorrection(AgentMode::kCode));
    messages_.push_back({ChatRole::kUser, text});
    return;
  }
  std::string observation = RunAction(step, *code, "code_block");
  if (!Ended()) messages_.push_back({ChatRole::kUser, "Observation:\n" + observation});
}

void TurnLoop::HandleToolReply(int step, const ChatResponse& reply) {
  if (reply.tool_calls.empty()) {
    std::string text = AddObservation(step, "correction", NoActionCorrection(AgentMode::kTools));
    messages_.push_back({ChatRole::kUser, text});
    return;
  }
  for (const auto& call : reply.tool_calls) {
    std::string result;
    if (call.name == "finish") {
      auto answer = ToolCallArgumentText(call, "answer");
      if (answer.ok()) {
        finish_answer_ = *answer;
        End(kSucceeded, "");
        return;
      }
      result = AddObservation(step, "error", "finish: " + answer.status().message());
    } else if (call.name == "run_python") {
      auto code = ToolCallStringArgument(call, "code");
      if (code.ok()) {
        result = RunAction(step, *code, "tool_call");
      } else {
        result = AddObservation(step, "error", "run_python: " + code.status().message());
      }
    } else {
      result = AddObservation(
          step, "error", "There is no tool named '" + call.name + "'. Use run_python or finish.");
    }
    if (Ended()) return;
    ChatMessage tool{ChatRole::kTool, result};
    tool.tool_call_id = call.id;
    tool.tool_name = call.name;
    messages_.push_back(std::move(tool));
  }
}

std::string TurnLoop::RunAction(int step, const std::string& model_code,
                                const std::string& source) {
  // The model wrote tokens; the code runs on the host's side of the boundary, with
  // the values they stand for.
  const std::string code = privacy_->ReIdentifyCode(model_code);
  Emit(ActionProposedEvent{step, code, source, code != model_code ? model_code : ""});
  AuditData data;
  data.Set("step", step).Set("code", code).Set("code_sha256", Sha256Hex(code));
  Audit("code_action", data);
  if (!store_status_.ok()) return "";

  BindingContext context{id_, step};
  if (deps_.validator) {
    auto valid = deps_.validator->Validate(code);
    std::string problem = !valid.ok() ? "the code could not be checked: " + valid.status().message()
                          : !valid->ok ? valid->message
                                       : "";
    if (!problem.empty()) {
      return AddObservation(step, "refused",
                            "The code was not run: it failed validation: " + problem);
    }
  }
  if (GuestCallReply verdict = gate_->CheckCode(context, code); !verdict.ok) {
    return AddObservation(step, "refused", "The code was not run: " + verdict.error_message);
  }
  GuestCallHandler handler = [&](const GuestCall& call) { return DispatchCall(context, call); };
  auto outcome = guest_->Execute(code, op_.action_timeout_ms, handler, deps_.cancel);
  if (!outcome.ok()) {
    End(kFailed, "the Python guest is not usable: " + outcome.status().message());
    return "";
  }
  // Uncapped here: the text is pseudonymised whole, then capped (AddObservation),
  // so that the cut never leaves half of an identifier for the model.
  Observation obs = FormatObservation(*outcome, op_.action_timeout_ms, SIZE_MAX);
  std::string model_text = AddObservation(step, obs.kind, obs.text, obs.truncated,
                                          outcome->elapsed_us / 1000, op_.observation_cap_bytes);
  if (outcome->failure == GuestFailure::kCancelled) {
    End(kCancelled, "interrupted by the user");
  } else if (outcome->finished) {
    End(kSucceeded, "");
  } else if (outcome->failure != GuestFailure::kNone) {
    Status restarted = guest_->Restart();
    AuditData failure;
    failure.Set("step", step).Set("failure", obs.kind).Set("detail", outcome->failure_detail);
    failure.Set("restarted", restarted.ok());
    Audit("guest_failure", failure);
    if (!restarted.ok())
      End(kFailed, "the Python guest could not be restarted: " + restarted.message());
  }
  // An effect the audit log could not record: the session fails closed.
  if (!Ended() && !gate_->failure().ok()) End(kFailed, gate_->failure().message());
  if (!Ended() && !gate_->exhausted_budget().empty()) End(kFailed, gate_->exhausted_budget());
  return model_text;
}

// A token the code built at run time (not written in its text) is re-identified
// here, before the policy sees the call; what the call returns teaches the
// pseudonymizer the identifiers it holds.
GuestCallReply TurnLoop::DispatchCall(const BindingContext& context, const GuestCall& call) {
  if (!privacy_->active()) return gate_->Dispatch(context, call);
  GuestCall real = call;
  if (auto args = privacy_->ReIdentifyJson(call.args_json); args.ok()) real.args_json = *args;
  GuestCallReply reply = gate_->Dispatch(context, real);
  if (reply.ok) privacy_->Learn(reply.value_json);
  return reply;
}

std::string TurnLoop::ToModel(const std::string& text) {
  return privacy_->Pseudonymise(text, &pending_substitutions_);
}

std::string TurnLoop::AddObservation(int step, const std::string& kind, const std::string& text,
                                     bool truncated, int64_t elapsed_ms, size_t cap) {
  std::string model_text = ToModel(text);
  std::string host_text = text;
  if (cap > 0) {
    bool host_cut = false, model_cut = false;
    host_text = CapText(text, cap, &host_cut);
    model_text = CapText(model_text, cap, &model_cut);
    truncated = truncated || host_cut || model_cut;
  }
  ObservationEvent event{step, kind, host_text, truncated, elapsed_ms};
  if (model_text != host_text) event.model_text = model_text;
  Emit(std::move(event));
  return model_text;
}

void TurnLoop::End(const std::string& status, const std::string& reason) {
  outcome_.status = status;
  outcome_.reason = reason;
  outcome_.answer = status == kSucceeded && privacy_ ? privacy_->ReIdentify(finish_answer_) : "";
  guest_.reset();
  temp_workdir_.reset();
  Emit(FinishedEvent{status, outcome_.answer, reason, outcome_.steps, outcome_.usage.input_tokens,
                     outcome_.usage.output_tokens});
  AuditData data;
  data.Set("status", status).Set("reason", reason).Set("answer_sha256", Sha256Hex(outcome_.answer));
  data.Set("input_tokens", outcome_.usage.input_tokens);
  data.Set("output_tokens", outcome_.usage.output_tokens);
  Audit("session_end", data);
  record_.status = status;
  record_.answer = outcome_.answer;
  record_.reason = reason;
  record_.steps = outcome_.steps;
  record_.input_tokens = outcome_.usage.input_tokens;
  record_.output_tokens = outcome_.usage.output_tokens;
  record_.updated_ms = deps_.clock->NowMillis();
  record_.pid = 0;
  FailOnStore(deps_.store->UpdateSession(record_));
}

}  // namespace

Result<SessionOutcome> RunSession(const StartTaskOp& op, const SessionDeps& deps,
                                  const std::string& session_id) {
  TurnLoop loop(op, deps, session_id.empty() ? NewId("s") : session_id);
  return loop.Run();
}

}  // namespace ward
