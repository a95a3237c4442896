// The audit log as FHIR R4 AuditEvent resources (docs/audit.md, "Export").
//
// ParseAuditEntry reads a stored entry's canonical body (bounded, never throws);
// an entry whose data was purged (a "data_sha256" instead of "data") parses too,
// with what remains. ToAuditEvent maps one entry to one AuditEvent: binding calls
// as type `rest` with the FHIR interaction as subtype, model calls, session
// start/end, approvals and rollbacks with ward's own codes, any other kind
// generically. Every AuditEvent carries the entry's seq, hash and prev_hash as
// entity details (and its id is derived from seq and hash), so it can be matched
// back to the chain. CheckpointAuditEvent maps a signed checkpoint.
//
// What goes in is only what the entry holds: references (Type/id), the search
// query, outcome text, scalar data fields (each cut at kMaxDetailChars). Resource
// bodies passed to a binding are never exported. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"
#include "util/status.h"

namespace ward {

// ward's own code systems and identifier systems (URNs: ward has no web domain).
inline constexpr const char* kWardAuditEventTypeSystem = "urn:ward:audit-event-type";
inline constexpr const char* kWardAuditEntrySystem = "urn:ward:audit-entry";
inline constexpr const char* kWardUserSystem = "urn:ward:user";
inline constexpr const char* kWardInstallationSystem = "urn:ward:installation";
inline constexpr const char* kWardBindingSystem = "urn:ward:binding";
inline constexpr const char* kWardPurposeOfUseSystem = "urn:ward:purpose-of-use";
inline constexpr size_t kMaxDetailChars = 1024;

// A stored entry's body, parsed.
struct ParsedAuditEntry {
  int64_t seq = 0;
  std::string hash;  // the stored hash (what the chain links)
  std::string prev_hash;
  std::string kind;
  std::string session;
  std::string actor;
  std::string time;                                // RFC 3339, as recorded
  nlohmann::json data = nlohmann::json::object();  // {} when purged
  std::string data_sha256;                         // set when the data was purged
};

// InvalidArgument naming the seq when the body is not an entry's JSON object.
Result<ParsedAuditEntry> ParseAuditEntry(const StoredAuditEntry& entry);

struct AuditEventContext {
  std::string observer;  // this ward installation's name (source.observer, source.site)
  // The approver of `approval_id` ("" when unknown): who decided the approval a
  // binding call ran under. May be empty.
  std::function<std::string(const std::string& approval_id)> approver_of;
  // The purpose of use the session declared ("" when none). May be empty.
  std::function<std::string(const std::string& session)> purpose_of_use;
};

// The AuditEvent outcome of an entry: "0" success, "4" refused or ended without
// success, "8" failed.
const char* AuditOutcomeCode(const ParsedAuditEntry& entry);

// "ward-<seq>-<first 16 hex of hash>": a FHIR id stable across exports.
std::string AuditEventId(int64_t seq, const std::string& hash);

// One AuditEvent (with its id) for one entry. Never fails: what cannot be
// mapped is left out.
nlohmann::json ToAuditEvent(const ParsedAuditEntry& entry, const AuditEventContext& context);

// One AuditEvent publishing a signed checkpoint: entity details seq, head_hash,
// signature, key_id, time. Its id is "ward-checkpoint-<seq>-<key_id>".
nlohmann::json CheckpointAuditEvent(const StoredCheckpoint& checkpoint,
                                    const AuditEventContext& context);

}  // namespace ward
