#include "journal/rollback.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "connectors/fhir/fhir_client.h"
#include "connectors/fhir/fhir_writes.h"
#include "journal/settle.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

// The pre-image without the server-managed metadata (version and time), ready to
// PUT back. The rest of meta — security labels, tags, profiles — is part of what
// was there before and is restored with it.
std::string Restorable(const std::string& pre_image) {
  json j = ParseJsonOrDiscarded(pre_image);
  if (j.is_object() && j.contains("meta")) {
    json& meta = j["meta"];
    if (meta.is_object()) {
      meta.erase("versionId");
      meta.erase("lastUpdated");
    }
    if (!meta.is_object() || meta.empty()) j.erase("meta");
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Ref(const JournalEntry& e) { return e.resource_type + "/" + e.resource_id; }

// Decides what undoing `e` means given the resource's current state; sets
// step.outcome to "conflict" when someone else changed it.
void Plan(const JournalEntry& e, const fhir_internal::Current& now, RollbackStep& step) {
  bool exists = !now.json.empty();
  if (e.operation == "create" || (e.operation == "update" && e.pre_image.empty())) {
    step.action = "delete";
    if (!exists) {
      step.action = "none";
      step.outcome = "already undone";
      step.detail = Ref(e) + " no longer exists";
    } else if (now.version != e.post_version) {
      step.outcome = "conflict";
    }
  } else if (e.operation == "update") {
    step.action = "restore";
    if (!exists || now.version != e.post_version) step.outcome = "conflict";
  } else {  // delete
    step.action = "restore";
    // Gone, but by a later deletion than the session's: it was re-created in between.
    bool deleted_again = !e.post_version.empty() && !now.deleted_version.empty() &&
                         now.deleted_version != e.post_version;
    if (exists || deleted_again) step.outcome = "conflict";
  }
  if (step.outcome == "conflict") {
    std::string left = e.post_version.empty() ? "(deleted)" : e.post_version;
    if (e.operation == "delete" && !e.post_version.empty()) left += " (deleted)";
    std::string found = exists ? "version " + now.version
                        : !now.deleted_version.empty()
                            ? "version " + now.deleted_version + " (deleted)"
                            : "none";
    step.detail = Ref(e) + ": the session left version " + left + " but the server now has " +
                  found +
                  "; someone else changed it, so rollback stops here and changes nothing more";
  }
}

// Performs the planned undo; sets outcome "undone" or "failed".
void Apply(FhirClient& client, const JournalEntry& e, RollbackStep& step) {
  Result<FhirResponse> r =
      step.action == "delete"
          ? client.Delete(e.resource_type, e.resource_id, e.post_version)
          : client.Update(e.resource_type, e.resource_id, Restorable(e.pre_image),
                          e.operation == "update" ? e.post_version : "");
  if (!r.ok()) {
    step.outcome = "failed";
    step.detail = r.status().message();
  } else if (r->status >= 400) {
    step.outcome = r->status == 409 || r->status == 412 ? "conflict" : "failed";
    step.detail =
        Ref(e) + ": HTTP " + std::to_string(r->status) + ": " + OperationOutcomeText(r->body);
  } else {
    step.outcome = "undone";
    step.detail = Ref(e) + (step.action == "delete" ? " deleted"
                                                    : " restored to its content "
                                                      "before the session");
  }
}

// Settles an entry left at "intent" (see settle.h): stored unless a dry run. Returns
// the step to report when there is nothing more to do for it (it did not happen, or
// cannot be known), or nullopt with `e` now "done" when it happened.
Result<std::optional<RollbackStep>> SettleStep(Store* store, FhirClient& client, JournalEntry& e,
                                               bool dry_run) {
  Settlement s = SettleIntent(client, e);
  if (s.outcome == Settlement::Outcome::kUnknown)
    return std::optional<RollbackStep>(RollbackStep{e, "none", "unknown", s.detail});
  if (!dry_run) WARD_RETURN_IF_ERROR(store->UpdateJournal(s.entry));
  e = s.entry;
  if (s.outcome == Settlement::Outcome::kHappened) return std::optional<RollbackStep>();
  return std::optional<RollbackStep>(RollbackStep{e, "none", "not applied", s.detail});
}

}  // namespace

Result<RollbackReport> RollbackSession(Store* store, AuditLog* audit, HttpClient* http,
                                       const std::string& session, const RollbackOptions& options) {
  WARD_RETURN_IF_ERROR(store->GetSession(session).status());
  WARD_ASSIGN_OR_RETURN(auto entries, store->ListJournal(session, "live"));
  std::reverse(entries.begin(), entries.end());
  RollbackReport report;
  for (auto& e : entries) {
    if (e.state != "done" && e.state != "intent") continue;  // failures, compensated
    FhirConnectorConfig config;
    config.base_url = e.base_url;
    config.bearer_token = options.bearer_token;
    FhirClient client(config, http);
    std::optional<RollbackStep> settled;
    if (e.state == "intent") {
      WARD_ASSIGN_OR_RETURN(settled, SettleStep(store, client, e, options.dry_run));
    }
    RollbackStep step =
        settled ? *settled : RollbackStep{e, "", options.dry_run ? "planned" : "", ""};
    if (!settled) {
      auto now = fhir_internal::ReadCurrent(&client, e.resource_type, e.resource_id);
      if (!now.ok()) {
        step.outcome = "failed";
        step.detail = now.status().message();
      } else {
        Plan(e, *now, step);
        if (step.outcome.empty()) Apply(client, e, step);
      }
    }
    bool stop = step.outcome == "conflict" || step.outcome == "failed" || step.outcome == "unknown";
    if (!options.dry_run && (step.outcome == "undone" || step.outcome == "already undone")) {
      e.state = "compensated";
      e.detail = step.detail;
      WARD_RETURN_IF_ERROR(store->UpdateJournal(e));
    }
    AuditData data;
    data.Set("journal_id", e.id).Set("resource", Ref(e)).Set("action", step.action);
    data.Set("outcome", step.outcome).Set("detail", step.detail).Set("dry_run", options.dry_run);
    WARD_RETURN_IF_ERROR(audit->Record(session, "rollback_step", data).status());
    report.steps.push_back(std::move(step));
    if (stop) {
      report.complete = false;
      break;
    }
  }
  return report;
}

}  // namespace ward
