// `ward run` / `ward exec --json`: one agent task, start to finish.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "commands.h"
#include "journal/rollback.h"
#include "net/http_client.h"
#include "printer.h"
#include "protocol/event_json.h"
#include "runtime/config.h"
#include "runtime/connectors.h"
#include "runtime/session_runner.h"
#include "store/event_log.h"
#include "util/clock.h"
#include "util/hash.h"

namespace ward {
namespace {

struct RunFlags {
  std::string task, model, mode, now, home, workspace, actor, fhir_url, policy, sandbox = "on";
  std::string privacy, purpose;
  bool dry_run = false, rollback_on_failure = false;
  int64_t max_writes = -1;
  double max_cost = -1;
  int max_steps = 0;
  int64_t max_tokens = -1, max_seconds = -1, action_timeout = -1, context_tokens = -1;
  bool json = false;
};

void AddRunOptions(CLI::App* cmd, RunFlags& f) {
  cmd->add_option("task", f.task, "What the agent should do")->required();
  cmd->add_option("--model", f.model,
                  "provider:model, e.g. openai:gpt-4o, "
                  "anthropic:claude-sonnet-4-5, scripted:FILE.jsonl");
  cmd->add_option("--mode", f.mode,
                  "code (the model writes ```python blocks; default) or tools "
                  "(native tool calls run_python/finish)")
      ->check(CLI::IsMember({"code", "tools"}));
  cmd->add_option("--max-steps", f.max_steps, "Most model turns before giving up (default 20)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-tokens", f.max_tokens, "Token budget for the session (0 = unlimited)");
  cmd->add_option("--max-seconds", f.max_seconds, "Wall-time budget in seconds (0 = unlimited)");
  cmd->add_option("--action-timeout", f.action_timeout,
                  "Seconds one code action may run before the guest is restarted (default 30)");
  cmd->add_option("--context-tokens", f.context_tokens,
                  "Context budget; older observations are elided past it (default 100000)");
  cmd->add_option("--now", f.now, "ISO 8601 date-time the model is told is now (default: clock)");
  cmd->add_option("--home", f.home, "ward's home directory (default $WARD_HOME or ~/.ward)");
  cmd->add_option("--workspace", f.workspace,
                  "Directory the code works in (default: a private "
                  "temporary directory)");
  cmd->add_option("--actor", f.actor,
                  "Who says they are acting: recorded as a claim beside the OS user, who is "
                  "the session's actor for the audit log and the two-person rule");
  cmd->add_option("--policy", f.policy,
                  "Policy file with [[policy.rule]] tables (default: "
                  "ward.toml's; without rules reads run, writes ask)");
  cmd->add_flag("--dry-run", f.dry_run,
                "Reads go to the servers, writes are only recorded in "
                "a changeset (see `ward changeset`)");
  cmd->add_flag("--rollback-on-failure", f.rollback_on_failure,
                "Undo the session's writes if it fails");
  cmd->add_option("--max-writes", f.max_writes, "Write budget (0 = unlimited)");
  cmd->add_option("--max-cost", f.max_cost,
                  "Model cost budget, priced from [prices.\"MODEL\"] in ward.toml");
  cmd->add_option("--fhir-url", f.fhir_url,
                  "FHIR R4 server base URL for the fhir.* bindings (default: WARD_FHIR_URL or "
                  "[connectors.fhir] base_url)");
  cmd->add_option("--sandbox", f.sandbox,
                  "on (default): isolate the guest, refusing to start when a layer required by "
                  "[sandbox] require is missing; none: a plain process (operator override, "
                  "written to the audit log)")
      ->check(CLI::IsMember({"on", "none"}));
  cmd->add_option("--privacy", f.privacy,
                  "What the model may see: pseudonymise (identifiers become tokens such as "
                  "[[PATIENT_1.family]]), strict, or off (default: [privacy] mode in ward.toml, "
                  "else pseudonymise when a FHIR connector is configured)")
      ->check(CLI::IsMember({"off", "pseudonymise", "pseudonymize", "strict"}));
  cmd->add_option("--purpose", f.purpose,
                  "Why the data is accessed, an HL7 v3 PurposeOfUse code (TREAT, HPAYMT, "
                  "HOPERAT, ...): audited and exported as the AuditEvents' purposeOfUse");
}

// Merges flags over configuration into the op. Returns a usage error message or "".
std::string BuildOp(const RunFlags& f, const WardConfig& c, StartTaskOp* op) {
  *op = c.run_defaults;
  op->task = f.task;
  op->model = !f.model.empty() ? f.model : c.default_model;
  if (op->model.empty())
    return "no model given: pass --model provider:model, set WARD_MODEL, or set [model] default "
           "in " +
           c.home + "/ward.toml";
  if (!f.mode.empty()) op->mode = f.mode == "tools" ? AgentMode::kTools : AgentMode::kCode;
  if (f.max_steps > 0) op->max_steps = f.max_steps;
  if (f.max_tokens >= 0) op->max_total_tokens = f.max_tokens;
  if (f.max_writes >= 0) op->max_writes = f.max_writes;
  if (f.max_cost >= 0) op->max_cost = f.max_cost;
  op->dry_run = f.dry_run;
  if (f.max_seconds >= 0) op->max_wall_ms = f.max_seconds * 1000;
  if (f.action_timeout > 0) op->action_timeout_ms = f.action_timeout * 1000;
  if (f.context_tokens > 0) op->context_budget_tokens = f.context_tokens;
  if (!f.now.empty()) {
    int64_t ms = 0;
    if (!ParseIso8601(f.now, &ms)) return "--now '" + f.now + "' is not an ISO 8601 date-time";
    op->now = f.now;
  }
  if (!f.workspace.empty()) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(f.workspace, ec);
    if (ec || !std::filesystem::is_directory(abs, ec))
      return "--workspace " + f.workspace + " is not a directory";
    op->workspace = abs.string();
  }
  op->actor = CurrentUserName();
  op->claimed_actor = f.actor;
  if (!f.purpose.empty()) {
    if (Status ok = CheckPurposeOfUse(f.purpose); !ok.ok()) return "--purpose: " + ok.message();
    op->purpose_of_use = f.purpose;
  }
  return "";
}

// --rollback-on-failure: undoes what a failed session wrote, reporting each step.
void RollBackFailedSession(const WardConfig& config, Store* store, const std::string& session) {
  AuditLog audit(store, SystemClock::Default(), CurrentUserName());
  auto http = NewHttpClient();
  auto report = RollbackSession(store, &audit,
                                MakeCompensatorLookup(config, {http.get(), SystemClock::Default()}),
                                session, {false});
  if (!report.ok()) return PrintError("rollback failed: " + report.status().message());
  for (const auto& s : report->steps)
    fprintf(stderr, "ward ▸ rollback: %s %s — %s\n", s.outcome.c_str(),
            DescribeTarget(s.entry).c_str(), s.detail.c_str());
  if (report->stopped)
    PrintError("rollback stopped; run `ward rollback " + session + "` to resume");
  else if (!report->complete)
    PrintError("rollback left effects that cannot be undone (irreversible, listed above)");
}

int ExitCodeFor(const std::string& status) {
  if (status == "succeeded") return kExitOk;
  if (status == "cancelled") return kExitInterrupted;
  return kExitFailed;
}

void EmitJsonError(const std::string& message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    escaped += c;
  }
  printf("{\"type\":\"error\",\"message\":\"%s\"}\n", escaped.c_str());
  fflush(stdout);
}

int Run(const RunFlags& flags, CancelToken* cancel) {
  auto usage_error = [&](const std::string& m) {
    PrintError(m);
    if (flags.json) EmitJsonError(m);
    return kExitUsage;
  };
  auto config = LoadConfig(flags.home);
  if (!config.ok()) return usage_error(config.status().message());
  StartTaskOp op;
  if (std::string err = BuildOp(flags, *config, &op); !err.empty()) return usage_error(err);
  std::string db = config->home + "/ward.db";
  auto store = OpenSqliteStore(db);
  if (!store.ok()) return usage_error(store.status().message());
  EventLog events(store->get(), SystemClock::Default());
  SessionRequest request{op, flags.fhir_url, flags.policy, flags.sandbox};
  request.privacy = flags.privacy;
  auto prepared = PrepareSession(*config, request, store->get(), &events, SystemClock::Default());
  if (!prepared.ok()) return usage_error(prepared.status().message());

  EventPrinter printer(stderr, isatty(STDERR_FILENO));
  if (flags.json) {
    events.Subscribe([](const Event& e) {
      printf("%s\n", EventJsonLine(e).c_str());
      fflush(stdout);
    });
  } else {
    events.Subscribe([&printer](const Event& e) { printer.Print(e); });
  }
  auto outcome = (*prepared)->Run(cancel);
  if (!outcome.ok()) {
    PrintError("the store failed: " + outcome.status().message());
    return kExitFailed;
  }
  for (const auto& warning : outcome->warnings) PrintError("warning: " + warning);
  if (!flags.json && outcome->status == "succeeded") printf("%s\n", outcome->answer.c_str());
  if (outcome->status != "succeeded" && flags.rollback_on_failure && !op.dry_run)
    RollBackFailedSession(*config, store->get(), outcome->session);
  return ExitCodeFor(outcome->status);
}

}  // namespace

void PrintError(const std::string& message) { fprintf(stderr, "ward: %s\n", message.c_str()); }

void AddRunCommands(CLI::App& app, int* exit_code, CancelToken* cancel) {
  auto flags = std::make_shared<RunFlags>();
  auto* run = app.add_subcommand("run", "Run an agent task; progress on stderr, answer on stdout");
  AddRunOptions(run, *flags);
  run->callback([=] { *exit_code = Run(*flags, cancel); });

  auto xflags = std::make_shared<RunFlags>();
  auto* exec = app.add_subcommand(
      "exec", "Run an agent task for scripts: stdout is JSON Lines, one event per line");
  AddRunOptions(exec, *xflags);
  exec->add_flag("--json", xflags->json, "Emit JSON Lines (the default and only format)");
  exec->callback([=] {
    xflags->json = true;
    *exit_code = Run(*xflags, cancel);
  });
}

}  // namespace ward
