#include "audit/audit_event_fhir.h"

#include <set>

#include "audit/audit_event_binding.h"
#include "audit/audit_event_codes.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using json = nlohmann::json;

std::string StringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Cut(std::string text) {
  if (text.size() <= kMaxDetailChars) return text;
  size_t end = kMaxDetailChars;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // UTF-8
  text.resize(end);
  return text + "…(cut)";
}

// An entity detail; FHIR strings may not be empty, so empty values are left out.
void AddDetail(json& details, const std::string& type, const std::string& value) {
  if (value.empty()) return;
  details.push_back({{"type", type}, {"valueString", Cut(value)}});
}

// The entity every AuditEvent has: the audit entry itself, with its place in the chain
// and its scalar data fields.
json EntryEntity(const ParsedAuditEntry& e) {
  json details = json::array();
  AddDetail(details, "seq", std::to_string(e.seq));
  AddDetail(details, "hash", e.hash);
  AddDetail(details, "prev_hash", e.prev_hash);
  AddDetail(details, "kind", e.kind);
  AddDetail(details, "session", e.session);
  AddDetail(details, "data_sha256", e.data_sha256);
  for (const auto& [key, value] : e.data.items()) {
    if (value.is_string())
      AddDetail(details, "data." + key, value.get<std::string>());
    else if (value.is_number() || value.is_boolean())
      AddDetail(details, "data." + key, value.dump());
  }
  json entity = {
      {"what",
       {{"identifier", {{"system", kWardAuditEntrySystem}, {"value", std::to_string(e.seq)}}},
        {"display", "ward audit entry #" + std::to_string(e.seq)}}},
      {"type", codes::EntityType("2", "System Object")},
      {"name", "ward audit entry"},
      {"detail", details}};
  if (details.empty()) entity.erase("detail");
  return entity;
}

json UserAgent(const std::string& user, json type, bool requestor) {
  json agent = {{"type", {{"coding", json::array({std::move(type)})}}},
                {"who", {{"identifier", {{"system", kWardUserSystem}, {"value", user}}}}},
                {"requestor", requestor}};
  agent["who"]["display"] = user;
  return agent;
}

json WardAgent(const ParsedAuditEntry& e, const std::string& observer) {
  json agent = {{"type", {{"coding", json::array({codes::Dicom("110150", "Application")})}}},
                {"who",
                 {{"identifier", {{"system", kWardInstallationSystem}, {"value", observer}}},
                  {"display", "ward"}}},
                {"requestor", false}};
  if (!e.session.empty()) agent["altId"] = e.session;
  return agent;
}

// The requestor (the entry's actor, with the session's purpose), the approver when
// an approval decided the call, and ward itself.
json Agents(const ParsedAuditEntry& e, const AuditEventContext& context,
            const std::string& purpose) {
  json agents = json::array();
  if (!e.actor.empty()) {
    json actor = UserAgent(e.actor, codes::SecurityRole("humanuser", "human user"), true);
    if (!purpose.empty()) actor["purposeOfUse"] = json::array({codes::PurposeOfUse(purpose)});
    agents.push_back(std::move(actor));
  }
  std::string approval = StringField(e.data, "approval");
  std::string approver = e.kind == "approval_decided" ? StringField(e.data, "by") : "";
  if (approver.empty() && !approval.empty() && context.approver_of)
    approver = context.approver_of(approval);
  if (!approver.empty())
    agents.push_back(UserAgent(approver, codes::ParticipationType("VRF", "verifier"), false));
  if (e.kind == "model_call") {  // the model, a software agent ward called
    std::string model = StringField(e.data, "provider") + "/" + StringField(e.data, "model");
    agents.push_back({{"type", {{"coding", json::array({codes::Dicom("110150", "Application")})}}},
                      {"who", {{"display", Cut(model)}}},
                      {"requestor", false}});
  }
  agents.push_back(WardAgent(e, context.observer));
  return agents;
}

json Source(const std::string& observer) {
  return {{"site", observer},
          {"observer",
           {{"identifier", {{"system", kWardInstallationSystem}, {"value", observer}}},
            {"display", "ward at " + observer}}},
          {"type", json::array({codes::SourceType("4", "Application Server")})}};
}

}  // namespace

const char* AuditOutcomeCode(const ParsedAuditEntry& e) {
  const json& d = e.data;
  auto flag = [&](const char* key) { return d.contains(key) && d[key].is_boolean() && d[key]; };
  const std::string& k = e.kind;
  if (k == "binding_call") {
    if (flag("ok")) return "0";
    std::string decision = StringField(d, "decision");
    return decision == "deny" || d.contains("approval") ? "4" : "8";
  }
  if (k == "model_call") return flag("ok") || !d.contains("ok") ? "0" : "8";
  if (k == "session_end") {
    std::string status = StringField(d, "status");
    return status == "succeeded" || status.empty() ? "0" : status == "cancelled" ? "4" : "8";
  }
  if (k == "approval_decided") return StringField(d, "decision") == "approved" ? "0" : "4";
  if (k == "approval_stale" || k == "sandbox_refused" || k == "session_interrupted") return "4";
  if (k == "rollback_step") {
    std::string outcome = StringField(d, "outcome");
    if (outcome == "undone" || outcome == "already undone" || outcome.empty()) return "0";
    return outcome == "failed" || outcome == "unknown" ? "8" : "4";
  }
  if (k == "guest_failure" || k.find("_failed") != std::string::npos ||
      k.find("unpublished") != std::string::npos)
    return "8";
  return "0";
}

namespace {

std::string OutcomeText(const ParsedAuditEntry& e) {
  for (const char* key : {"outcome", "error", "reason", "problem", "detail"}) {
    std::string text = StringField(e.data, key);
    if (!text.empty()) return Cut(text);
  }
  return "";
}

// type, subtype and action for kinds that are not binding calls.
void Classify(const ParsedAuditEntry& e, json& event) {
  const std::string& k = e.kind;
  event["action"] = "E";
  if (k == "session_start" || k == "session_end") {
    event["type"] = codes::Dicom("110100", "Application Activity");
    event["subtype"] =
        json::array({k == "session_start" ? codes::Dicom("110120", "Application Start")
                                          : codes::Dicom("110121", "Application Stop")});
    return;
  }
  event["type"] = codes::Ward(k);
  if (k == "model_call") event["subtype"] = json::array({codes::Ward("model-completion")});
}

}  // namespace

Result<ParsedAuditEntry> ParseAuditEntry(const StoredAuditEntry& entry) {
  std::string where = "audit entry #" + std::to_string(entry.seq);
  WARD_ASSIGN_OR_RETURN(json body, ParseJson(entry.body));
  if (!body.is_object()) return InvalidArgument(where + ": its body is not a JSON object");
  ParsedAuditEntry e;
  e.seq = entry.seq;
  e.hash = entry.hash;
  e.kind = entry.kind;
  e.session = entry.session;
  e.prev_hash = StringField(body, "prev_hash");
  e.actor = StringField(body, "actor");
  e.time = StringField(body, "time");
  if (body.contains("data") && body["data"].is_object()) e.data = body["data"];
  e.data_sha256 = StringField(body, "data_sha256");
  return e;
}

std::string AuditEventId(int64_t seq, const std::string& hash) {
  return "ward-" + std::to_string(seq) + "-" + hash.substr(0, 16);
}

json ToAuditEvent(const ParsedAuditEntry& e, const AuditEventContext& context) {
  json event = {{"resourceType", "AuditEvent"}, {"id", AuditEventId(e.seq, e.hash)}};
  json entities = json::array({EntryEntity(e)});
  if (e.kind == "binding_call" && !e.data.empty()) {
    BindingMapping b = MapBindingCall(e.data);
    event["type"] = b.connector ? codes::Rest() : codes::Ward(e.kind);
    event["subtype"] = b.subtype;
    event["action"] = b.action;
    for (auto& entity : b.entities) entities.push_back(std::move(entity));
  } else {
    Classify(e, event);
  }
  event["recorded"] = e.time;
  event["outcome"] = AuditOutcomeCode(e);
  std::string outcome_text = OutcomeText(e);
  if (!outcome_text.empty()) event["outcomeDesc"] = outcome_text;
  std::string purpose = context.purpose_of_use ? context.purpose_of_use(e.session) : "";
  if (e.kind == "session_start") {
    std::string declared = StringField(e.data, "purpose_of_use");
    if (!declared.empty()) purpose = declared;
  }
  if (!purpose.empty()) event["purposeOfEvent"] = json::array({codes::PurposeOfUse(purpose)});
  event["agent"] = Agents(e, context, purpose);
  event["source"] = Source(context.observer);
  event["entity"] = std::move(entities);
  return event;
}

json CheckpointAuditEvent(const StoredCheckpoint& c, const AuditEventContext& context) {
  json details = json::array();
  AddDetail(details, "seq", std::to_string(c.seq));
  AddDetail(details, "head_hash", c.head_hash);
  AddDetail(details, "signature", c.signature);
  AddDetail(details, "key_id", c.key_id);
  AddDetail(details, "time", c.time);
  json entity = {
      {"what",
       {{"identifier", {{"system", kWardAuditEntrySystem}, {"value", std::to_string(c.seq)}}},
        {"display", "ward audit checkpoint at entry #" + std::to_string(c.seq)}}},
      {"type", codes::EntityType("2", "System Object")},
      {"name", "ward audit checkpoint"},
      {"detail", details}};
  ParsedAuditEntry none;
  return {{"resourceType", "AuditEvent"},
          {"id", "ward-checkpoint-" + std::to_string(c.seq) + "-" + c.key_id},
          {"type", codes::Ward("checkpoint")},
          {"action", "E"},
          {"recorded", c.time},
          {"outcome", "0"},
          {"agent", json::array({WardAgent(none, context.observer)})},
          {"source", Source(context.observer)},
          {"entity", json::array({entity})}};
}

}  // namespace ward
