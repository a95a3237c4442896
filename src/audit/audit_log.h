// AuditLog: the append-only, hash-chained record of what happened, by whom.
//
// Each entry's body is the canonical JSON (sorted keys, no insignificant
// whitespace, UTF-8) of {actor, data, kind, prev_hash, seq, session, time, v:2}.
// Its `hash` is the SHA-256 of the entry's *sealed form*: the same object with
// `data` replaced by `data_sha256`, the SHA-256 of the canonical data — so a
// retention purge can drop the data (leaving the sealed form itself, a
// tombstone) and every hash stays. prev_hash links an entry to the one before.
// Entries written before sealing (no "v": the legacy form) are hashed whole and
// keep verifying as they always did. docs/audit.md has the three forms.
// The chain is extended inside one store transaction, so several processes on the
// same store never fork it. VerifyAuditChain() recomputes everything and names the
// first entry that does not verify. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "store/store.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward {

class Checkpointer;  // audit/checkpointer.h

// The `data` of an entry: ordered key/value pairs, typed, JSON-free for callers.
class AuditData {
 public:
  struct RawJson {
    std::string text;  // a JSON value as text; stored as a string if it does not parse
  };
  using Value = std::variant<std::string, int64_t, bool, RawJson>;

  AuditData& Set(std::string key, std::string value);
  AuditData& Set(std::string key, const char* value) {
    return Set(std::move(key), std::string(value));
  }
  AuditData& Set(std::string key, int64_t value);
  AuditData& Set(std::string key, int value) { return Set(std::move(key), int64_t{value}); }
  AuditData& Set(std::string key, bool value);
  AuditData& SetJson(std::string key, std::string json_text);
  AuditData& SetStrings(std::string key, const std::vector<std::string>& values);
  AuditData& Append(const std::pair<std::string, Value>& field) {
    fields_.push_back(field);
    return *this;
  }

  const std::vector<std::pair<std::string, Value>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, Value>> fields_;
};

class AuditLog {
 public:
  AuditLog(Store* store, Clock* clock, std::string actor)
      : store_(store), clock_(clock), actor_(std::move(actor)) {}

  // Appends one entry and returns its sequence number.
  Result<int64_t> Record(const std::string& session, const std::string& kind,
                         const AuditData& data);
  // The same, returning the committed entry (its seq and hash), for a later entry
  // that refers to it.
  Result<StoredAuditEntry> Append(const std::string& session, const std::string& kind,
                                  const AuditData& data);
  const std::string& actor() const { return actor_; }

  // From now on, once each appended entry is committed, asks `checkpointer` for a
  // checkpoint if one is due (Checkpointer::CheckpointIfDue; it audits its own
  // failures). Not owned; null turns it off. Set before the log is shared.
  void SetCheckpointer(Checkpointer* checkpointer) { checkpointer_ = checkpointer; }

 private:
  void ScheduleCheckpoint();

  Store* store_;  // not owned
  Clock* clock_;  // not owned
  std::string actor_;
  Checkpointer* checkpointer_ = nullptr;  // not owned
};

struct AuditVerification {
  bool ok = true;
  int64_t entries = 0;
  int64_t tombstones = 0;      // entries whose data a purge removed (they verify)
  int64_t legacy_entries = 0;  // entries in the form before sealing (hashed whole)
  std::string head_hash;       // hash of the last entry ("" when empty)
  int64_t first_bad_seq = 0;   // when !ok
  std::string problem;         // when !ok: what did not verify
  // binding_intent entries that no binding_call names as its intent: effects that
  // were started (maybe done) and whose outcome was never recorded — the session
  // stopped in between, or is still running. They do not make the chain fail.
  std::vector<StoredAuditEntry> unfinished_intents;
};

// Calls `visit` with every audit entry, oldest first, reading the store a page at a
// time. `visit` returns true to go on, false to stop; its error stops the walk and
// is returned, as is an error reading the store.
Status ForEachAuditEntry(Store* store,
                         const std::function<Result<bool>(const StoredAuditEntry&)>& visit);

// Walks the whole chain. Returns an error only when the store cannot be read;
// tampering is reported in the AuditVerification.
Result<AuditVerification> VerifyAuditChain(Store* store);

// The binding_intent entries of `session` that no binding_call names as its
// intent (as AuditVerification::unfinished_intents, for one session), oldest
// first. Does not verify the chain.
Result<std::vector<StoredAuditEntry>> UnfinishedIntents(Store* store, const std::string& session);

// The binding an intent entry names ("" when it names none).
std::string IntentBinding(const StoredAuditEntry& intent);

// ---- Sealed entries and tombstones (retention purge, audit/purge.h) ----

// The three forms of a stored body:
//   kLegacy    {actor,data,kind,prev_hash,seq,session,time}: hash = SHA-256(body)
//   kSealed    {actor,data,kind,prev_hash,seq,session,time,v:2}:
//              hash = SHA-256(its sealed form, below)
//   kTombstone {actor,data_sha256,kind,prev_hash,seq,session,time,v:2} (the sealed
//              form: data_sha256 is 64 lower-case hex): hash = SHA-256(body)
enum class AuditEntryForm { kLegacy, kSealed, kTombstone };

struct AuditHashedForm {
  AuditEntryForm form = AuditEntryForm::kLegacy;
  std::string hashed;  // the bytes the entry's hash covers
};
// Classifies a stored body (canonical JSON, one of the three forms, with exactly
// their keys for the sealed two) and returns the bytes its hash must cover.
// InvalidArgument naming what is wrong otherwise. Does not check the hash.
Result<AuditHashedForm> HashedFormOf(const std::string& body);

// The tombstone of a sealed entry's body: its sealed form. FailedPrecondition for
// a legacy body (its hash covers the data: it cannot lose it) or a tombstone.
Result<std::string> TombstoneOf(const std::string& body);

}  // namespace ward
