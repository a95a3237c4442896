// Test-only: the attacker of docs/audit.md — someone who can write ward.db. Works
// on the SQLite file directly (never through Store): drops the append-only
// triggers, then edits entries and recomputes every later hash (of the sealed
// form, as ward does) and prev_hash so that the chain verifies again, or cuts the last entries.
// Returns a message naming the SQLite error, "" on success. Not thread-safe; for tests only.
#pragma once

#include <cstdint>
#include <string>

namespace ward::testing {

// Replaces `from` by `to` (both plain ASCII, no quotes or backslashes, so the
// body stays canonical) in the bodies of entries first_seq..last_seq, and rehashes
// the chain from first_seq to its end.
std::string RewriteAndRehash(const std::string& db_path, int64_t first_seq, int64_t last_seq,
                             const std::string& from, const std::string& to);

// Deletes every entry with seq > keep_seq.
std::string TruncateChain(const std::string& db_path, int64_t keep_seq);

// Deletes the checkpoints kept in the store (the thorough attacker: the rewrite
// then contradicts only checkpoints published elsewhere).
std::string DeleteStoredCheckpoints(const std::string& db_path);

}  // namespace ward::testing
