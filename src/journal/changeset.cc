#include "journal/changeset.h"

#include <map>
#include <nlohmann/json.hpp>

#include "connectors/fhir/fhir_bindings.h"
#include "connectors/fhir/fhir_writes.h"
#include "journal/json_diff.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Replaces references to simulated ids ("Patient/dryrun-1") with the real ones.
void RewriteReferences(json& j, const std::map<std::string, std::string>& ids) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (k == "reference" && v.is_string() && ids.count(v.get<std::string>())) {
        v = ids.at(v.get<std::string>());
      } else {
        RewriteReferences(v, ids);
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) RewriteReferences(v, ids);
  }
}

// The binding call that replays a planned write.
GuestCall Replay(const JournalEntry& e, const std::map<std::string, std::string>& ids) {
  if (e.operation == "delete")
    return {"fhir.delete", Dump({{"resource_type", e.resource_type}, {"id", e.resource_id}})};
  json res = ParseJsonOrDiscarded(e.post_image);
  if (res.is_object()) {
    res.erase("meta");
    if (e.operation == "create") res.erase("id");
    RewriteReferences(res, ids);
  }
  return {e.operation == "create" ? "fhir.create" : "fhir.update", Dump({{"resource", res}})};
}

}  // namespace

std::string ChangesetJson(const std::vector<ChangesetItem>& items) {
  auto parsed_or_null = [](const std::string& text) {
    if (text.empty()) return json();
    json j = ParseJsonOrDiscarded(text);
    return j.is_discarded() ? json(text) : j;
  };
  json out = json::array();
  for (const auto& i : items)
    out.push_back({{"seq", i.entry.seq},
                   {"operation", i.entry.operation},
                   {"resource_type", i.entry.resource_type},
                   {"id", i.entry.resource_id},
                   {"state", i.entry.state},
                   {"base_version", i.entry.pre_version},
                   {"before", parsed_or_null(i.entry.pre_image)},
                   {"after", parsed_or_null(i.entry.post_image)},
                   {"diff", i.diff}});
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<ChangesetItem>> LoadChangeset(Store* store, const std::string& session,
                                                 const std::string& mode) {
  WARD_RETURN_IF_ERROR(store->GetSession(session).status());
  WARD_ASSIGN_OR_RETURN(auto entries, store->ListJournal(session, mode));
  std::vector<ChangesetItem> out;
  for (auto& e : entries) out.push_back({e, JsonDiff(e.pre_image, e.post_image)});
  return out;
}

Result<ApplyReport> ApplyChangeset(Store* store, AuditLog* audit, EventSink* events,
                                   HttpClient* http, const std::string& session,
                                   const GateOptions& gate_options,
                                   const std::string& bearer_token) {
  WARD_ASSIGN_OR_RETURN(auto items, LoadChangeset(store, session));
  ApplyReport report;
  std::vector<JournalEntry> planned;
  for (const auto& item : items)
    if (item.entry.state == "planned") planned.push_back(item.entry);
  if (planned.empty()) {
    report.stopped = "nothing to apply: the session has no planned writes";
    return report;
  }
  FhirConnectorConfig config;
  config.base_url = planned.front().base_url;
  config.bearer_token = bearer_token;
  FhirClient client(config, http);
  for (const auto& e : planned) {  // drift: did anything move on since the dry run?
    if (e.operation == "create") continue;
    auto now = fhir_internal::ReadCurrent(&client, e.resource_type, e.resource_id);
    if (!now.ok()) return now.status();
    if (now->version != e.pre_version)
      report.drift.push_back(e.resource_type + "/" + e.resource_id + ": the dry run saw version " +
                             (e.pre_version.empty() ? "(none)" : e.pre_version) +
                             ", the server now has " +
                             (now->version.empty() ? "(none)" : now->version));
  }
  AuditData start;
  start.Set("planned", static_cast<int64_t>(planned.size()));
  start.SetStrings("drift", report.drift);
  WARD_RETURN_IF_ERROR(audit->Record(session, "changeset_apply", start).status());
  if (!report.drift.empty()) return report;

  FhirWriteContext writes{store, session, false, gate_options.clock};
  std::vector<Binding> bindings = MakeFhirBindings(&client, &writes);
  BindingRegistry registry;
  for (auto& b : bindings) WARD_RETURN_IF_ERROR(registry.Add(b));
  Gate gate(&registry, audit, events, gate_options);
  std::map<std::string, std::string> ids;  // "Patient/dryrun-1" -> "Patient/<real id>"
  for (auto& e : planned) {
    GuestCall call = Replay(e, ids);
    GuestCallReply reply = gate.Dispatch(BindingContext{session, 0}, call);
    if (!reply.ok) {
      report.stopped =
          call.name + " " + e.resource_type + "/" + e.resource_id + ": " + reply.error_message;
      break;
    }
    json stored = ParseJsonOrDiscarded(reply.value_json);
    std::string real_id = stored.is_object() ? stored.value("id", e.resource_id) : e.resource_id;
    if (e.operation == "create")
      ids[e.resource_type + "/" + e.resource_id] = e.resource_type + "/" + real_id;
    std::string version =
        stored.is_object() && stored.contains("meta") ? stored["meta"].value("versionId", "") : "";
    report.applied.push_back(call.name + " " + e.resource_type + "/" + real_id +
                             (version.empty() ? "" : " → version " + version));
    e.state = "applied";
    e.detail = "applied as " + e.resource_type + "/" + real_id;
    WARD_RETURN_IF_ERROR(store->UpdateJournal(e));
  }
  return report;
}

}  // namespace ward
