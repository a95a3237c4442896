// `ward audit verify [--checkpoints FILE|URL] [--key PUBKEY]`: recomputes the
// audit log's hash chain and checks it against published signed checkpoints.
// `ward audit checkpoint`: signs, stores and publishes the chain's head now.
// `ward audit key`: prints the checkpoint signing key's public key.
// `ward audit export`: the log as NDJSON, FHIR AuditEvents or syslog, to stdout,
// a file, a FHIR server or a syslog collector (audit/audit_export.h).
#include <nlohmann/json.hpp>
#include <optional>

#include "audit/audit_export.h"
#include "audit/audit_log.h"
#include "audit/checkpoint_sink.h"
#include "commands.h"
#include "runtime/audit_checkpoints.h"
#include "runtime/config.h"
#include "util/json_limits.h"

namespace ward {
namespace {

struct VerifyFlags {
  std::string home;
  bool as_json = false;
  std::string checkpoints;  // FILE or URL; "" = the chain only
  std::string key;          // public key text or file; "" = the local key's
};

// `checkpoints_next`: the verdict waits for the checkpoints; say only what held.
void PrintChain(const AuditVerification& v, bool checkpoints_next) {
  if (v.ok) {
    printf(checkpoints_next ? "audit hash chain recomputes: %lld entries, head %s\n"
                            : "audit log verified: %lld entries, head %s\n",
           static_cast<long long>(v.entries),
           v.head_hash.empty() ? "(empty)" : v.head_hash.c_str());
    if (v.tombstones > 0)
      printf("%lld of them are tombstones (their data removed by a purge; their hashes hold)\n",
             static_cast<long long>(v.tombstones));
    for (const auto& e : v.unfinished_intents)
      printf(
          "unfinished effect: entry #%lld of session %s was audited before it ran, but no "
          "outcome was recorded (the session stopped in between, or is still running); "
          "`ward rollback %s` settles it\n",
          static_cast<long long>(e.seq), e.session.c_str(), e.session.c_str());
  } else {
    printf("audit log FAILED verification at entry #%lld: %s (%lld entries before it verify)\n",
           static_cast<long long>(v.first_bad_seq), v.problem.c_str(),
           static_cast<long long>(v.entries));
  }
}

void PrintCheckpoints(const CheckpointVerification& c, const AuditVerification& chain,
                      const std::string& source, const AuditPublicKey& key) {
  if (!c.ok) {
    const auto& bad = c.contradicted;
    printf(
        "audit log FAILED checkpoint verification: the checkpoint for entry #%lld (%s:%d, "
        "signed %s) is contradicted: %s\n",
        static_cast<long long>(bad.checkpoint.seq), source.c_str(), bad.line,
        bad.checkpoint.time.c_str(), c.problem.c_str());
    return;
  }
  if (c.checked == 0) {
    printf("no checkpoints published at %s: nothing outside the store vouches for the chain\n",
           source.c_str());
    return;
  }
  printf("audit log verified: %d checkpoints from %s hold (key %s); they vouch for entries 1-%lld",
         c.checked, source.c_str(), key.Id().c_str(), static_cast<long long>(c.last_checked_seq));
  long long after = static_cast<long long>(chain.entries - c.last_checked_seq);
  if (after > 0) printf("; the %lld entries after that are vouched for by none yet", after);
  printf("\n");
}

nlohmann::json ChainJson(const AuditVerification& v) {
  nlohmann::json out = {{"ok", v.ok},
                        {"entries", v.entries},
                        {"head_hash", v.head_hash},
                        {"tombstones", v.tombstones},
                        {"legacy_entries", v.legacy_entries}};
  if (!v.ok) {
    out["first_bad_seq"] = v.first_bad_seq;
    out["problem"] = v.problem;
  }
  out["unfinished_intents"] = nlohmann::json::array();
  for (const auto& e : v.unfinished_intents)
    out["unfinished_intents"].push_back({{"seq", e.seq}, {"session", e.session}});
  return out;
}

nlohmann::json CheckpointsJson(const CheckpointVerification& c, const std::string& source,
                               const std::optional<AuditPublicKey>& key) {
  nlohmann::json out = {{"ok", c.ok},
                        {"source", source},
                        {"checked", c.checked},
                        {"last_checked_seq", c.last_checked_seq}};
  if (key) out["key_id"] = key->Id();
  if (!c.ok) {
    out["problem"] = c.problem;
    out["contradicted"] = {{"seq", c.contradicted.checkpoint.seq},
                           {"line", c.contradicted.line},
                           {"time", c.contradicted.checkpoint.time}};
  }
  return out;
}

// The public key checkpoints are checked with: --key, else the local key's.
Result<AuditPublicKey> VerifyingKey(const WardConfig& config, const std::string& flag) {
  if (!flag.empty()) return AuditPublicKey::FromTextOrFile(flag);
  auto local = LoadSigningKey(config.audit.key_file);
  if (!local.ok() && local.status().code() == StatusCode::kNotFound)
    return InvalidArgument("no audit signing key at " + config.audit.key_file +
                           "; pass --key with the public key (`ward audit key` prints it)");
  if (!local.ok()) return local.status();
  return local->public_key();
}

// Checks the published checkpoints; prints; the exit code.
int VerifyCheckpointsAt(const WardConfig& config, Store* store, const VerifyFlags& flags,
                        nlohmann::json& out, const AuditVerification& chain) {
  auto key = VerifyingKey(config, flags.key);
  if (!key.ok()) return PrintError(key.status().message()), kExitUsage;
  auto http = NewHttpClient();
  auto published = ReadPublishedCheckpoints(flags.checkpoints, http.get(),
                                            config.audit.publish_timeout_seconds * 1000);
  if (!published.ok()) return PrintError(published.status().message()), kExitFailed;
  auto c = VerifyCheckpoints(store, std::move(published).value(), *key);
  if (!c.ok()) return PrintError(c.status().message()), kExitFailed;
  if (flags.as_json)
    out["checkpoints"] = CheckpointsJson(*c, flags.checkpoints, *key);
  else
    PrintCheckpoints(*c, chain, flags.checkpoints, *key);
  return c->ok ? kExitOk : kExitFailed;
}

// The store's own checkpoints signed by the local key, checked against the chain
// (an attacker who rewrote the chain but not this table is caught without a
// published file). nullopt when there is no usable local key (said on stderr
// when it exists but is refused).
Result<std::optional<CheckpointVerification>> CheckStoredCheckpoints(const WardConfig& config,
                                                                     Store* store) {
  auto key = LoadSigningKey(config.audit.key_file);
  if (!key.ok()) {
    if (key.status().code() != StatusCode::kNotFound)
      PrintError("checkpoints kept in the store not checked: " + key.status().message());
    return std::optional<CheckpointVerification>();
  }
  WARD_ASSIGN_OR_RETURN(auto stored, store->ListCheckpoints());
  std::vector<PublishedCheckpoint> mine;
  for (auto& c : stored)
    if (c.key_id == key->public_key().Id()) mine.push_back({std::move(c), 0});
  WARD_ASSIGN_OR_RETURN(CheckpointVerification v,
                        VerifyCheckpoints(store, std::move(mine), key->public_key()));
  return std::optional<CheckpointVerification>(std::move(v));
}

void PrintStored(const CheckpointVerification& c) {
  if (!c.ok) {
    printf(
        "audit log FAILED checkpoint verification: the checkpoint kept in the store for entry "
        "#%lld (signed %s) is contradicted: %s\n",
        static_cast<long long>(c.contradicted.checkpoint.seq),
        c.contradicted.checkpoint.time.c_str(), c.problem.c_str());
  } else if (c.checked > 0) {
    printf("%d checkpoints kept in the store hold (up to entry #%lld)\n", c.checked,
           static_cast<long long>(c.last_checked_seq));
  }
}

int Verify(const VerifyFlags& flags) {
  auto config = LoadConfig(flags.home);
  if (!config.ok()) return PrintError(config.status().message()), kExitUsage;
  auto store = OpenSqliteStore(config->home + "/ward.db");
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  auto v = VerifyAuditChain(store->get());
  if (!v.ok()) return PrintError(v.status().message()), kExitFailed;
  nlohmann::json out = ChainJson(*v);
  std::optional<CheckpointVerification> stored;
  if (v->ok) {
    auto checked = CheckStoredCheckpoints(*config, store->get());
    if (!checked.ok()) return PrintError(checked.status().message()), kExitFailed;
    stored = std::move(checked).value();
  }
  bool stored_failed = stored && !stored->ok;
  if (stored) out["stored_checkpoints"] = CheckpointsJson(*stored, "store", std::nullopt);
  if (!flags.as_json) {
    PrintChain(*v, !flags.checkpoints.empty() || stored_failed);
    if (stored) PrintStored(*stored);
  }
  int code = v->ok && !stored_failed ? kExitOk : kExitFailed;
  if (code == kExitOk && !flags.checkpoints.empty())
    code = VerifyCheckpointsAt(*config, store->get(), flags, out, *v);
  if (flags.as_json) printf("%s\n", out.dump().c_str());
  return code;
}

int PrintKey(const std::string& home, bool as_json) {
  auto config = LoadConfig(home);
  if (!config.ok()) return PrintError(config.status().message()), kExitUsage;
  auto key = LoadOrCreateSigningKey(config->audit.key_file);
  if (!key.ok()) return PrintError(key.status().message()), kExitUsage;
  const AuditPublicKey& pub = key->public_key();
  if (as_json)
    printf("%s\n",
           nlohmann::json({{"public_key", pub.Text()}, {"key_id", pub.Id()}}).dump().c_str());
  else
    printf("%s\n", pub.Text().c_str());
  return kExitOk;
}

int Checkpoint(const std::string& home, bool as_json) {
  auto config = LoadConfig(home);
  if (!config.ok()) return PrintError(config.status().message()), kExitUsage;
  auto store = OpenSqliteStore(config->home + "/ward.db");
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  Clock* clock = SystemClock::Default();
  auto checkpointing = MakeAuditCheckpointing(*config, store->get(), clock);
  if (!checkpointing.ok()) return PrintError(checkpointing.status().message()), kExitUsage;
  AuditLog audit(store->get(), clock, CurrentUserName());
  auto result = checkpointing->checkpointer->Checkpoint(&audit);
  if (!result.ok()) return PrintError(result.status().message()), kExitFailed;
  const StoredCheckpoint& c = result->checkpoint;
  for (const auto& failure : result->publish_failures)
    PrintError("checkpoint not published (audited): " + failure);
  if (as_json) {
    nlohmann::json out = ParseJsonOrDiscarded(CheckpointLine(c));
    out["published"] = checkpointing->published && result->publish_failures.empty();
    out["publish_failures"] = result->publish_failures;
    printf("%s\n", out.dump().c_str());
  } else {
    printf("checkpoint: entry #%lld, head %s, signed by key %s at %s\n",
           static_cast<long long>(c.seq), c.head_hash.c_str(), c.key_id.c_str(), c.time.c_str());
    if (!checkpointing->published)
      printf(
          "kept in the store only: set [audit] checkpoint_file or checkpoint_url in ward.toml "
          "to publish checkpoints where the store's writer cannot rewrite them\n");
  }
  return result->publish_failures.empty() ? kExitOk : kExitFailed;
}

// ---- `ward audit export` ----

struct ExportFlags {
  std::string home;
  std::string since;
  std::string format = "ndjson";
  std::string to;         // "" = stdout
  std::string token_env;  // "" = [audit.export] token_env when --to is its url
  int batch_size = 500;
};

int Export(const ExportFlags& flags) {
  auto config = LoadConfig(flags.home);
  if (!config.ok()) return PrintError(config.status().message()), kExitUsage;
  if (flags.batch_size < 1 || flags.batch_size > 10000)
    return PrintError("--batch-size must be 1-10000"), kExitUsage;
  ExportOptions o;
  if (!flags.since.empty()) {
    auto since = ParseExportSince(flags.since);
    if (!since.ok()) return PrintError(since.status().message()), kExitUsage;
    o.since = *since;
    o.since_given = true;
  }
  const AuditExportConfig& configured = config->audit.exporting;
  auto http = NewHttpClient();
  ExportDestination d;
  d.to = flags.to;
  d.token_env = !flags.token_env.empty()                          ? flags.token_env
                : !flags.to.empty() && flags.to == configured.url ? configured.token_env
                                                                  : "";
  d.http = http.get();
  d.timeout_ms = config->audit.publish_timeout_seconds * 1000;
  auto opened = OpenExportSink(d, flags.format);
  if (!opened.ok()) return PrintError(opened.status().message()), kExitUsage;
  auto format = ParseExportFormat(opened->format);
  if (!format.ok()) return PrintError(format.status().message()), kExitUsage;
  auto store = OpenSqliteStore(config->home + "/ward.db");
  if (!store.ok()) return PrintError(store.status().message()), kExitUsage;
  o.format = *format;
  if (!flags.to.empty()) o.cursor_key = ExportCursorKey(*format, flags.to);
  o.batch_size = static_cast<size_t>(flags.batch_size);
  o.observer = ExportObserverName(configured.observer);
  o.clock = SystemClock::Default();
  auto result = ExportAudit(store->get(), opened->sink.get(), o);
  if (!result.ok()) return PrintError(result.status().message()), kExitFailed;
  if (!flags.to.empty())
    fprintf(stderr,
            "exported %lld audit entries and %lld checkpoints to %s (cursor: entry #%lld)\n",
            static_cast<long long>(result->entries), static_cast<long long>(result->checkpoints),
            opened->sink->Name().c_str(), static_cast<long long>(result->last_seq));
  return kExitOk;
}

void AddExportCommand(CLI::App* audit, int* exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  auto* cmd = audit->add_subcommand(
      "export",
      "Export the audit log (NDJSON as stored, FHIR R4 AuditEvents, or RFC 5424 syslog) to "
      "stdout, a file, a FHIR server or a syslog collector; a file or URL resumes where the "
      "last export to it stopped");
  cmd->add_option("--home", flags->home, "ward's home directory");
  cmd->add_option("--since", flags->since,
                  "Only entries after this sequence number, or recorded at or after this "
                  "RFC 3339 time (overrides the destination's cursor)");
  cmd->add_option("--format", flags->format, "ndjson (default), fhir, fhir-bundle or syslog");
  cmd->add_option("--to", flags->to,
                  "A file (appended), an http(s):// FHIR base URL (transaction Bundles), or "
                  "syslog+tcp://host:port or syslog+udp://host:port; default stdout");
  cmd->add_option("--token-env", flags->token_env,
                  "The environment variable holding a bearer token for an http(s) URL");
  cmd->add_option("--batch-size", flags->batch_size, "Entries per batch (default 500)");
  cmd->callback([=] { *exit_code = Export(*flags); });
}

}  // namespace

void AddAuditCommand(CLI::App& app, int* exit_code) {
  auto* audit = app.add_subcommand("audit", "The tamper-evident audit log");
  audit->require_subcommand(1);
  auto flags = std::make_shared<VerifyFlags>();
  auto* verify = audit->add_subcommand(
      "verify",
      "Recompute the hash chain (and check it against published checkpoints); exit 1 naming "
      "the first entry or checkpoint that does not verify");
  verify->add_option("--home", flags->home, "ward's home directory");
  verify->add_flag("--json", flags->as_json, "Print JSON");
  verify->add_option("--checkpoints", flags->checkpoints,
                     "A file or http(s) URL of published checkpoints (one JSON line each)");
  verify->add_option("--key", flags->key,
                     "The public key (ed25519:HEX, or a file holding it); default: the local key");
  verify->callback([=] { *exit_code = Verify(*flags); });

  auto home = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto* checkpoint = audit->add_subcommand(
      "checkpoint", "Sign the chain's head now, keep it in the store and publish it");
  checkpoint->add_option("--home", *home, "ward's home directory");
  checkpoint->add_flag("--json", *as_json, "Print JSON");
  checkpoint->callback([=] { *exit_code = Checkpoint(*home, *as_json); });
  auto* key = audit->add_subcommand(
      "key", "Print the checkpoint signing key's public key (created on first use)");
  key->add_option("--home", *home, "ward's home directory");
  key->add_flag("--json", *as_json, "Print JSON");
  key->callback([=] { *exit_code = PrintKey(*home, *as_json); });
  AddExportCommand(audit, exit_code);
}

}  // namespace ward
