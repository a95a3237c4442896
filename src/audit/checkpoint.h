// Audit checkpoints: signed statements "the audit chain's entry `seq` had hash
// `head_hash` at `time`", published where the store's writer cannot rewrite them,
// so that a chain edited and rehashed, cut short, or forked contradicts one.
//
// Wire form — one JSON object per line (NDJSON), keys in this order:
//   {"head_hash":"<hex>","key_id":"<16 hex>","seq":N,"sig":"<128 hex>",
//    "time":"<RFC 3339>","type":"ward.audit.checkpoint"}
// The signature is Ed25519 over CheckpointMessage(): "ward.audit.checkpoint/1\n"
// followed by the canonical JSON of {head_hash, key_id, seq, time}. A parsed
// line is checked field by field (types, formats, no unknown keys), and the
// message is rebuilt from the parsed fields, never taken from the line's text.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/signing_key.h"
#include "store/store.h"
#include "util/status.h"

namespace ward {

// Limits on a published checkpoint file or response.
constexpr size_t kMaxCheckpointLineBytes = 4096;
constexpr size_t kMaxCheckpointFileBytes = 64u << 20;

// The bytes a checkpoint's signature covers.
std::string CheckpointMessage(const StoredCheckpoint& checkpoint);
// Signs {seq, head_hash, time} with `key`; the result carries the key's id.
Result<StoredCheckpoint> SignCheckpoint(const SigningKey& key, int64_t seq,
                                        const std::string& head_hash, const std::string& time);
// Ok when `checkpoint` is signed by `key`; PermissionDenied naming what is wrong
// (another key's id, or a signature that does not verify: forged or edited).
Status CheckCheckpointSignature(const StoredCheckpoint& checkpoint, const AuditPublicKey& key);

// The wire form (no newline).
std::string CheckpointLine(const StoredCheckpoint& checkpoint);
// One line of the wire form; InvalidArgument naming the problem.
Result<StoredCheckpoint> ParseCheckpointLine(std::string_view line);

struct PublishedCheckpoint {
  StoredCheckpoint checkpoint;
  int line = 0;  // 1-based line in its source
};
// Every non-blank line of `text` (from `source`, for messages). InvalidArgument
// "<source>:<line>: ..." for the first malformed one, or when `text` or a line is
// over the limits above.
Result<std::vector<PublishedCheckpoint>> ParseCheckpointLines(std::string_view text,
                                                              const std::string& source);

// The outcome of checking a chain against published checkpoints.
struct CheckpointVerification {
  bool ok = true;
  int checked = 0;               // checkpoints that held
  int64_t last_checked_seq = 0;  // the highest seq a holding checkpoint vouches for
  // When !ok: the first checkpoint the chain contradicts (lowest seq; a bad
  // signature is reported first, in line order), and why.
  PublishedCheckpoint contradicted;
  std::string problem;
};

// Checks each checkpoint's signature with `key`, then that the store's entry at
// its seq exists and has its head_hash. Does not verify the chain itself (run
// VerifyAuditChain first). Errors only when the store cannot be read.
Result<CheckpointVerification> VerifyCheckpoints(Store* store,
                                                 std::vector<PublishedCheckpoint> checkpoints,
                                                 const AuditPublicKey& key);

}  // namespace ward
