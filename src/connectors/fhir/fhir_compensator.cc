#include "connectors/fhir/fhir_compensator.h"

#include <nlohmann/json.hpp>

#include "connectors/fhir/fhir_bindings.h"
#include "connectors/fhir/fhir_settle.h"
#include "connectors/fhir/fhir_writes.h"
#include "journal/replay_ids.h"
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
  return DumpJson(j);
}

std::string Ref(const JournalEntry& e) { return e.target_type + "/" + e.target_id; }

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

}  // namespace

FhirCompensator::FhirCompensator(FhirConnectorConfig config, HttpClient* http)
    : client_(std::move(config), http) {}

Settlement FhirCompensator::Settle(const JournalEntry& entry) {
  return SettleIntent(client_, entry);
}

RollbackStep FhirCompensator::PlanUndo(const JournalEntry& e) {
  RollbackStep step{e, "", "", ""};
  auto now = fhir_internal::ReadCurrent(&client_, e.target_type, e.target_id);
  if (!now.ok()) {
    step.outcome = "failed";
    step.detail = now.status().message();
    return step;
  }
  Plan(e, *now, step);
  return step;
}

void FhirCompensator::Undo(const JournalEntry& e, RollbackStep& step) {
  Result<FhirResponse> r = step.action == "delete"
                               ? client_.Delete(e.target_type, e.target_id, e.post_version)
                               : client_.Update(e.target_type, e.target_id, Restorable(e.pre_image),
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

Result<std::string> FhirCompensator::Drift(const JournalEntry& e) {
  if (e.operation == "create") return std::string();
  WARD_ASSIGN_OR_RETURN(auto now, fhir_internal::ReadCurrent(&client_, e.target_type, e.target_id));
  if (now.version == e.pre_version) return std::string();
  return Ref(e) + ": the dry run saw version " +
         (e.pre_version.empty() ? "(none)" : e.pre_version) + ", the server now has " +
         (now.version.empty() ? "(none)" : now.version);
}

std::vector<Binding> FhirCompensator::ReplayBindings(JournalScope* scope) {
  return NameFhirBindings(client_.config().name, MakeFhirBindings(&client_, scope));
}

GuestCall FhirCompensator::Replay(const JournalEntry& e, const ReplayIds& ids) {
  const std::string& name = client_.config().name;
  if (e.operation == "delete")
    return {name + ".delete", DumpJson({{"resource_type", e.target_type}, {"id", e.target_id}})};
  json res = ParseJsonOrDiscarded(e.post_image);
  if (res.is_object()) {
    res.erase("meta");
    if (e.operation == "create") res.erase("id");
    RewriteReplayIds(res, ids);
  }
  return {name + (e.operation == "create" ? ".create" : ".update"), DumpJson({{"resource", res}})};
}

std::string FhirCompensator::Replayed(const JournalEntry& e, const GuestCall& call,
                                      const std::string& reply_json, ReplayIds& ids) {
  json stored = ParseJsonOrDiscarded(reply_json);
  std::string real_id = stored.is_object() ? stored.value("id", e.target_id) : e.target_id;
  if (e.operation == "create")
    ids[e.target_type + "/" + e.target_id] = e.target_type + "/" + real_id;
  std::string version =
      stored.is_object() && stored.contains("meta") ? stored["meta"].value("versionId", "") : "";
  return call.name + " " + e.target_type + "/" + real_id +
         (version.empty() ? "" : " → version " + version);
}

}  // namespace ward
