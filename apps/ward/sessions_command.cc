// `ward sessions list|show`: what sessions did, read back from the store.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "commands.h"
#include "printer.h"
#include "protocol/event_json.h"
#include "runtime/config.h"
#include "runtime/session_reaper.h"
#include "server/api_json.h"
#include "util/clock.h"

namespace ward {
namespace {

using nlohmann::json;

std::string Shorten(std::string text, size_t max) {
  for (char& c : text)
    if (c == '\n' || c == '\t') c = ' ';
  if (text.size() <= max) return text;
  size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

int List(const std::string& home, bool as_json, int limit) {
  auto store = OpenHomeStore(home);
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  Clock* clock = SystemClock::Default();
  auto reaped = InterruptDeadSessions(store->get(), clock, CurrentUserName());
  if (!reaped.ok()) return PrintError(reaped.status().message()), kExitFailed;
  auto sessions = (*store)->ListSessions(limit);
  if (!sessions.ok()) return PrintError(sessions.status().message()), kExitFailed;
  if (as_json) {
    json out = json::array();
    for (const auto& r : *sessions) out.push_back(server::SessionJson(r));
    printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (sessions->empty()) {
    printf("no sessions yet — start one with: ward run --model PROVIDER:MODEL \"TASK\"\n");
    return kExitOk;
  }
  printf("%-18s  %-9s  %5s  %8s  %-24s  %s\n", "ID", "STATUS", "STEPS", "TOKENS", "STARTED",
         "TASK");
  for (const auto& r : *sessions) {
    printf("%-18s  %-9s  %5d  %8lld  %-24s  %s\n", r.id.c_str(), r.status.c_str(), r.steps,
           static_cast<long long>(r.input_tokens + r.output_tokens),
           FormatIso8601(r.created_ms).c_str(), Shorten(r.task, 60).c_str());
  }
  return kExitOk;
}

int Show(const std::string& home, const std::string& id, bool as_json, bool raw) {
  auto store = OpenHomeStore(home);
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  auto session = GetLiveSession(store->get(), SystemClock::Default(), CurrentUserName(), id);
  if (!session.ok()) return PrintError(session.status().message()), kExitFailed;
  auto purged = (*store)->SessionPurgedAt(id);
  if (!purged.ok()) return PrintError(purged.status().message()), kExitFailed;
  if (*purged && !as_json)
    printf(
        "(the content of session %s was purged on %s: `ward purge`; its audit entries keep "
        "their hashes)\n",
        id.c_str(), FormatIso8601(**purged).c_str());
  auto events = (*store)->ListEvents(id, 0, 0);
  if (!events.ok()) return PrintError(events.status().message()), kExitFailed;
  EventPrinter printer(stdout, isatty(STDOUT_FILENO));
  for (const auto& stored : *events) {
    auto event = EventFromStored(stored.session, stored.seq, stored.time_ms, stored.type,
                                 stored.payload_json);
    if (!event.ok()) return PrintError(event.status().message()), kExitFailed;
    if (raw) event->body = AsExchangedWithModel(std::move(event->body));
    if (as_json) {
      printf("%s\n", EventJsonLine(*event).c_str());
    } else {
      printer.Print(*event);
      if (const auto* started = std::get_if<SessionStartedEvent>(&event->body); started && raw)
        printf("  task as the model got it (privacy %s):\n    %s\n",
               started->privacy.empty() ? "off" : started->privacy.c_str(), started->task.c_str());
    }
  }
  if (!as_json && session->status == "succeeded" && !*purged)
    printf("answer: %s\n", session->answer.c_str());
  if (!as_json && session->status == "interrupted") printf("%s\n", session->reason.c_str());
  if (!as_json && session->status == "running")
    printf("(still running in process %lld)\n", static_cast<long long>(session->pid));
  if (!as_json && session->status != "running") {
    auto unfinished = UnfinishedIntents(store->get(), id);
    if (!unfinished.ok()) return PrintError(unfinished.status().message()), kExitFailed;
    for (const auto& e : *unfinished)
      printf(
          "UNFINISHED EFFECT: %s (audit entry #%lld) was audited before it ran, but its "
          "outcome was never recorded — it may or may not have happened (`ward rollback %s` "
          "asks the server and undoes journaled writes)\n",
          IntentBinding(e).c_str(), static_cast<long long>(e.seq), id.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddSessionsCommand(CLI::App& app, int* exit_code) {
  auto* sessions = app.add_subcommand("sessions", "List and inspect agent sessions");
  sessions->require_subcommand(1);
  auto home = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto limit = std::make_shared<int>(50);
  auto* list = sessions->add_subcommand("list", "Sessions, newest first");
  list->add_option("--home", *home, "ward's home directory");
  list->add_flag("--json", *as_json, "Print JSON");
  list->add_option("--limit", *limit, "How many to show (default 50)")->check(CLI::PositiveNumber);
  list->callback([=] { *exit_code = List(*home, *as_json, *limit); });

  auto id = std::make_shared<std::string>();
  auto raw = std::make_shared<bool>(false);
  auto* show = sessions->add_subcommand("show", "Every event of a session, in order");
  show->add_option("id", *id, "Session id")->required();
  show->add_option("--home", *home, "ward's home directory");
  show->add_flag("--json", *as_json, "Print JSON Lines, one event per line");
  show->add_flag("--raw", *raw,
                 "Show the text exchanged with the model exactly (the task, observations and "
                 "replies as pseudonymised under [privacy]) instead of the host's view");
  show->callback([=] { *exit_code = Show(*home, *id, *as_json, *raw); });
}

}  // namespace ward
