#include "audit/audit_log.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <vector>

#include "audit/checkpointer.h"
#include "util/hash.h"
#include "util/json_limits.h"

namespace ward {

using nlohmann::json;

namespace {

std::string Canonical(const json& j) {
  // nlohmann's object is a std::map: keys come out sorted; dump(-1) adds no whitespace.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A JSON string in canonical form. Printable ASCII without '"' or '\\' is written by
// nlohmann as it is, so such text (ids, hashes, times, kinds) is quoted here
// directly; anything else goes through nlohmann.
std::string Quoted(const std::string& s) {
  bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) return Canonical(json(s));
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

std::string CanonicalValue(const AuditData::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return Quoted(*text);
  if (const auto* number = std::get_if<int64_t>(&value)) return std::to_string(*number);
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  const std::string& raw = std::get<AuditData::RawJson>(value).text;
  json parsed = ParseJsonOrDiscarded(raw);
  return parsed.is_discarded() ? Quoted(raw) : Canonical(parsed);  // text that does not parse
}

// The data object in canonical form, as nlohmann would write the object built field
// by field: keys in byte order, the last value of a repeated key, each value canonical.
std::string CanonicalData(const AuditData& data) {
  const auto& fields = data.fields();
  std::vector<size_t> order(fields.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return fields[a].first < fields[b].first; });
  std::string out = "{";
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& [key, value] = fields[order[i]];
    if (i + 1 < order.size() && fields[order[i + 1]].first == key) continue;  // set again later
    if (out.size() > 1) out += ',';
    out += Quoted(key);
    out += ':';
    out += CanonicalValue(value);
  }
  out += '}';
  return out;
}

}  // namespace

AuditData& AuditData::Set(std::string key, std::string value) {
  fields_.emplace_back(std::move(key), std::move(value));
  return *this;
}
AuditData& AuditData::Set(std::string key, int64_t value) {
  fields_.emplace_back(std::move(key), value);
  return *this;
}
AuditData& AuditData::Set(std::string key, bool value) {
  fields_.emplace_back(std::move(key), value);
  return *this;
}
AuditData& AuditData::SetJson(std::string key, std::string json_text) {
  fields_.emplace_back(std::move(key), RawJson{std::move(json_text)});
  return *this;
}
AuditData& AuditData::SetStrings(std::string key, const std::vector<std::string>& values) {
  return SetJson(std::move(key), Canonical(json(values)));
}

Result<int64_t> AuditLog::Record(const std::string& session, const std::string& kind,
                                 const AuditData& data) {
  WARD_ASSIGN_OR_RETURN(StoredAuditEntry entry, Append(session, kind, data));
  return entry.seq;
}

Result<StoredAuditEntry> AuditLog::Append(const std::string& session, const std::string& kind,
                                          const AuditData& data) {
  // The canonical body is {"actor","data","kind","prev_hash","seq","session","time","v"}
  // and its sealed form has "data_sha256" in place of "data" (keys in order, each
  // value in canonical form): everything but prev_hash and seq is written once
  // here, and the store fills those two in (maybe more than once).
  std::string canonical_data = CanonicalData(data);
  std::string actor = "{\"actor\":" + Quoted(actor_);
  std::string after_data = ",\"kind\":" + Quoted(kind) + ",\"prev_hash\":";
  std::string stored_head = actor + ",\"data\":" + canonical_data + after_data;
  std::string hashed_head =
      actor + ",\"data_sha256\":\"" + Sha256Hex(canonical_data) + '"' + after_data;
  std::string after_seq = ",\"session\":" + Quoted(session) +
                          ",\"time\":" + Quoted(FormatIso8601(clock_->NowMillis())) + ",\"v\":2}";
  auto entry = store_->AppendSealedAudit(session, kind, [&](int64_t seq, const std::string& prev) {
    std::string tail = Quoted(prev);
    tail += ",\"seq\":";
    tail += std::to_string(seq);
    tail += after_seq;
    return SealedAuditBody{stored_head + tail, hashed_head + tail};
  });
  if (!entry.ok()) return entry.status().WithContext("audit log");
  if (checkpointer_) ScheduleCheckpoint();
  return entry;
}

namespace {
thread_local bool tl_checkpointing = false;  // an entry the checkpointer itself writes
}  // namespace

void AuditLog::ScheduleCheckpoint() {
  if (tl_checkpointing) return;
  store_->OnCommit([this] {
    tl_checkpointing = true;
    // Ignored here on purpose: the checkpointer audits each of its failures.
    auto due = checkpointer_->CheckpointIfDue(this);
    tl_checkpointing = false;
    static_cast<void>(due);
  });
}

namespace {

constexpr int kSealedVersion = 2;

bool IsLowerHex64(const json& value) {
  if (!value.is_string()) return false;
  const auto& text = value.get_ref<const std::string&>();
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The form of a parsed canonical body and the bytes its hash covers; "" problem
// when it is one of the three forms of audit_log.h.
std::string ClassifyBody(const json& body, AuditHashedForm* out, const std::string& text) {
  if (!body.contains("v")) {
    out->form = AuditEntryForm::kLegacy;
    out->hashed = text;
    return "";
  }
  if (body["v"] != kSealedVersion) return "entry has an unknown version";
  if (body.size() != 8) return "entry has other fields than its version's";
  for (const char* key : {"actor", "kind", "prev_hash", "seq", "session", "time"})
    if (!body.contains(key)) return std::string("entry lacks \"") + key + "\"";
  bool has_data = body.contains("data"), has_digest = body.contains("data_sha256");
  if (has_data == has_digest) return "entry must carry either data or data_sha256";
  if (has_digest) {
    if (!IsLowerHex64(body["data_sha256"])) return "data_sha256 is not a SHA-256 in hex";
    out->form = AuditEntryForm::kTombstone;
    out->hashed = text;
    return "";
  }
  json sealed = body;
  sealed.erase("data");
  sealed["data_sha256"] = Sha256Hex(Canonical(body["data"]));
  out->form = AuditEntryForm::kSealed;
  out->hashed = Canonical(sealed);
  return "";
}

// Checks one entry against its predecessor; returns the problem, or "" when fine.
// `form` gets the entry's form.
std::string CheckEntry(const StoredAuditEntry& e, int64_t expected_seq, const std::string& prev,
                       AuditEntryForm* form) {
  if (e.seq != expected_seq) return "sequence gap: expected " + std::to_string(expected_seq);
  json body = ParseJsonOrDiscarded(e.body);
  if (body.is_discarded() || !body.is_object()) return "entry is not valid JSON";
  if (Canonical(body) != e.body) return "entry is not in canonical form";
  AuditHashedForm hashed;
  std::string problem = ClassifyBody(body, &hashed, e.body);
  if (!problem.empty()) return problem;
  if (Sha256Hex(hashed.hashed) != e.hash) return "hash does not match the entry's content";
  *form = hashed.form;
  if (!body.contains("seq") || body["seq"] != e.seq)
    return "sequence number inside the entry differs";
  if (!body.contains("prev_hash") || body["prev_hash"] != prev)
    return "prev_hash does not match the previous entry's hash";
  if (!body.contains("session") || body["session"] != e.session || !body.contains("kind") ||
      body["kind"] != e.kind)
    return "indexed columns differ from the entry's content";
  return "";
}

// Keeps binding_intent entries until the binding_call naming them (intent_seq) comes.
// A tombstoned intent is not kept: its outcome's entry was purged with it.
void TrackIntent(const StoredAuditEntry& e, AuditEntryForm form,
                 std::map<int64_t, StoredAuditEntry>& intents) {
  if (e.kind == "binding_intent") {
    if (form == AuditEntryForm::kTombstone) return;
    intents.emplace(e.seq, e);
  } else if (e.kind == "binding_call" && !intents.empty() &&
             e.body.find("\"intent_seq\":") != std::string::npos) {
    json body = ParseJsonOrDiscarded(e.body);
    const json& data = body.is_object() ? body.value("data", json()) : json();
    if (data.is_object() && data.contains("intent_seq") && data["intent_seq"].is_number_integer())
      intents.erase(data["intent_seq"].get<int64_t>());
  }
}

}  // namespace

Status ForEachAuditEntry(Store* store,
                         const std::function<Result<bool>(const StoredAuditEntry&)>& visit) {
  int64_t after = 0;
  constexpr int kPage = 2000;
  while (true) {
    WARD_ASSIGN_OR_RETURN(auto page, store->ListAudit(after, kPage));
    for (const auto& e : page) {
      WARD_ASSIGN_OR_RETURN(bool more, visit(e));
      if (!more) return Status::Ok();
      after = e.seq;
    }
    if (static_cast<int>(page.size()) < kPage) return Status::Ok();
  }
}

Result<AuditVerification> VerifyAuditChain(Store* store) {
  AuditVerification v;
  std::map<int64_t, StoredAuditEntry> intents;  // not yet named by an outcome
  std::string prev;
  WARD_RETURN_IF_ERROR(ForEachAuditEntry(store, [&](const StoredAuditEntry& e) -> Result<bool> {
    AuditEntryForm form = AuditEntryForm::kLegacy;
    std::string problem = CheckEntry(e, v.entries + 1, prev, &form);
    if (!problem.empty()) {
      v.ok = false;
      v.first_bad_seq = v.entries + 1;
      v.problem = problem;
      return false;
    }
    prev = e.hash;
    ++v.entries;
    if (form == AuditEntryForm::kTombstone) ++v.tombstones;
    if (form == AuditEntryForm::kLegacy) ++v.legacy_entries;
    TrackIntent(e, form, intents);
    return true;
  }));
  if (!v.ok) return v;
  v.head_hash = prev;
  for (auto& [seq, entry] : intents) v.unfinished_intents.push_back(std::move(entry));
  return v;
}

Result<std::vector<StoredAuditEntry>> UnfinishedIntents(Store* store, const std::string& session) {
  std::map<int64_t, StoredAuditEntry> intents;
  WARD_RETURN_IF_ERROR(ForEachAuditEntry(store, [&](const StoredAuditEntry& e) -> Result<bool> {
    if (e.session != session) return true;
    AuditEntryForm form = AuditEntryForm::kLegacy;  // only an intent's form matters
    if (e.kind == "binding_intent") {
      auto hashed = HashedFormOf(e.body);
      if (hashed.ok()) form = hashed->form;
    }
    TrackIntent(e, form, intents);
    return true;
  }));
  std::vector<StoredAuditEntry> out;
  for (auto& [seq, entry] : intents) out.push_back(std::move(entry));
  return out;
}

std::string IntentBinding(const StoredAuditEntry& intent) {
  json body = ParseJsonOrDiscarded(intent.body);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_object()) return "";
  const json& binding = body["data"].value("binding", json());
  return binding.is_string() ? binding.get<std::string>() : "";
}

}  // namespace ward

namespace ward {

Result<AuditHashedForm> HashedFormOf(const std::string& body) {
  json parsed = ParseJsonOrDiscarded(body);
  if (parsed.is_discarded() || !parsed.is_object())
    return InvalidArgument("audit entry is not valid JSON");
  if (Canonical(parsed) != body) return InvalidArgument("audit entry is not in canonical form");
  AuditHashedForm out;
  std::string problem = ClassifyBody(parsed, &out, body);
  if (!problem.empty()) return InvalidArgument("audit " + problem);
  return out;
}

Result<std::string> TombstoneOf(const std::string& body) {
  WARD_ASSIGN_OR_RETURN(AuditHashedForm hashed, HashedFormOf(body));
  if (hashed.form == AuditEntryForm::kLegacy)
    return FailedPrecondition(
        "a legacy audit entry's hash covers its data: it cannot be tombstoned");
  if (hashed.form == AuditEntryForm::kTombstone)
    return FailedPrecondition("the audit entry is a tombstone already");
  return std::move(hashed.hashed);
}

}  // namespace ward
