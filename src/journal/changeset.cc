#include "journal/changeset.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "audit/purge.h"
#include "journal/journal_writer.h"
#include "journal/json_diff.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

// The compensators of every connector the planned entries went through, by
// connector name; NotFound naming the first one not configured here.
Result<std::map<std::string, std::unique_ptr<Compensator>>> CompensatorsOf(
    const std::vector<JournalEntry>& planned, const CompensatorLookup& lookup) {
  std::map<std::string, std::unique_ptr<Compensator>> out;
  for (const auto& e : planned) {
    if (out.count(e.connector)) continue;
    WARD_ASSIGN_OR_RETURN(out[e.connector], lookup(e));
  }
  return out;
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
                   {"connector", i.entry.connector},
                   {"target_type", i.entry.target_type},
                   {"id", i.entry.target_id},
                   {"state", JournalStateName(i.entry.state)},
                   {"base_version", i.entry.pre_version},
                   {"before", parsed_or_null(i.entry.pre_image)},
                   {"after", parsed_or_null(i.entry.post_image)},
                   {"diff", i.diff}});
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<ChangesetItem>> LoadChangeset(Store* store, const std::string& session,
                                                 JournalMode mode) {
  WARD_RETURN_IF_ERROR(store->GetSession(session).status());
  WARD_ASSIGN_OR_RETURN(auto entries, store->ListJournal(session, mode));
  std::vector<ChangesetItem> out;
  for (auto& e : entries) out.push_back({e, JsonDiff(e.pre_image, e.post_image)});
  return out;
}

Result<ApplyReport> ApplyChangeset(Store* store, AuditLog* audit, EventSink* events,
                                   const CompensatorLookup& lookup, const std::string& session,
                                   const GateOptions& gate_options) {
  WARD_ASSIGN_OR_RETURN(std::optional<int64_t> purged, store->SessionPurgedAt(session));
  if (purged) return FailedPrecondition(PurgedSessionMessage(session, *purged));
  WARD_ASSIGN_OR_RETURN(auto items, LoadChangeset(store, session));
  ApplyReport report;
  std::vector<JournalEntry> planned;
  for (const auto& item : items)
    if (item.entry.state == JournalState::kPlanned) planned.push_back(item.entry);
  if (planned.empty()) {
    report.stopped = "nothing to apply: the session has no planned writes";
    return report;
  }
  WARD_ASSIGN_OR_RETURN(auto compensators, CompensatorsOf(planned, lookup));
  for (const auto& e : planned) {  // drift: did anything move on since the dry run?
    WARD_ASSIGN_OR_RETURN(std::string drift, compensators.at(e.connector)->Drift(e));
    if (!drift.empty()) report.drift.push_back(drift);
  }
  AuditData start;
  start.Set("planned", static_cast<int64_t>(planned.size()));
  start.SetStrings("drift", report.drift);
  WARD_RETURN_IF_ERROR(audit->Record(session, "changeset_apply", start).status());
  if (!report.drift.empty()) return report;

  JournalScope scope{store, session, false, gate_options.clock};
  BindingRegistry registry;
  for (auto& [name, c] : compensators)
    for (auto& b : c->ReplayBindings(&scope)) WARD_RETURN_IF_ERROR(registry.Add(b));
  Gate gate(&registry, audit, events, gate_options);
  ReplayIds ids;  // e.g. "Patient/dryrun-1" -> "Patient/<real id>"
  for (auto& e : planned) {
    Compensator& c = *compensators.at(e.connector);
    GuestCall call = c.Replay(e, ids);
    GuestCallReply reply = gate.Dispatch(BindingContext{session, 0}, call);
    if (!reply.ok) {
      report.stopped =
          call.name + " " + e.target_type + "/" + e.target_id + ": " + reply.error_message;
      break;
    }
    std::string line = c.Replayed(e, call, reply.value_json, ids);
    report.applied.push_back(line);
    e.state = JournalState::kApplied;
    e.detail = "applied as " + line;
    WARD_RETURN_IF_ERROR(store->UpdateJournal(e));
  }
  return report;
}

}  // namespace ward
