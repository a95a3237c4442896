// `ward audit verify`: recomputes the audit log's hash chain.
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "commands.h"
#include "runtime/config.h"

namespace ward {
namespace {

int Verify(const std::string& home, bool as_json) {
  auto store = OpenHomeStore(home);
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  auto v = VerifyAuditChain(store->get());
  if (!v.ok()) return PrintError(v.status().message()), kExitFailed;
  if (as_json) {
    nlohmann::json out = {{"ok", v->ok}, {"entries", v->entries}, {"head_hash", v->head_hash}};
    if (!v->ok) {
      out["first_bad_seq"] = v->first_bad_seq;
      out["problem"] = v->problem;
    }
    out["unfinished_intents"] = nlohmann::json::array();
    for (const auto& e : v->unfinished_intents)
      out["unfinished_intents"].push_back({{"seq", e.seq}, {"session", e.session}});
    printf("%s\n", out.dump().c_str());
  } else if (v->ok) {
    printf("audit log verified: %lld entries, head %s\n", static_cast<long long>(v->entries),
           v->head_hash.empty() ? "(empty)" : v->head_hash.c_str());
    for (const auto& e : v->unfinished_intents)
      printf(
          "unfinished effect: entry #%lld of session %s was audited before it ran, but no "
          "outcome was recorded (the session stopped in between, or is still running); "
          "`ward rollback %s` settles it\n",
          static_cast<long long>(e.seq), e.session.c_str(), e.session.c_str());
  } else {
    printf("audit log FAILED verification at entry #%lld: %s (%lld entries before it verify)\n",
           static_cast<long long>(v->first_bad_seq), v->problem.c_str(),
           static_cast<long long>(v->entries));
  }
  return v->ok ? kExitOk : kExitFailed;
}

}  // namespace

void AddAuditCommand(CLI::App& app, int* exit_code) {
  auto* audit = app.add_subcommand("audit", "The tamper-evident audit log");
  audit->require_subcommand(1);
  auto home = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto* verify = audit->add_subcommand(
      "verify", "Recompute the hash chain; exit 1 naming the first entry that does not verify");
  verify->add_option("--home", *home, "ward's home directory");
  verify->add_flag("--json", *as_json, "Print JSON");
  verify->callback([=] { *exit_code = Verify(*home, *as_json); });
}

}  // namespace ward
