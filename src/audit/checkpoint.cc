#include "audit/checkpoint.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/clock.h"
#include "util/hash.h"
#include "util/json_limits.h"

namespace ward {

using nlohmann::json;

namespace {

constexpr const char* kType = "ward.audit.checkpoint";
constexpr const char* kMessagePrefix = "ward.audit.checkpoint/1\n";

bool IsLowerHex(const std::string& s, size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The string field `key` of `j`, or an error naming it.
Result<std::string> StringField(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    return InvalidArgument(std::string("\"") + key + "\" is missing or not a string");
  return it->get<std::string>();
}

Status CheckFields(const StoredCheckpoint& c) {
  if (c.seq < 1) return InvalidArgument("\"seq\" must be an integer >= 1");
  if (!IsLowerHex(c.head_hash, 64)) return InvalidArgument("\"head_hash\" is not a SHA-256 hex");
  if (!IsLowerHex(c.key_id, 16)) return InvalidArgument("\"key_id\" is not 16 hex digits");
  if (!IsLowerHex(c.signature, 128)) return InvalidArgument("\"sig\" is not 128 hex digits");
  int64_t ms = 0;
  if (!ParseIso8601(c.time, &ms)) return InvalidArgument("\"time\" is not an RFC 3339 time");
  return Status::Ok();
}

Result<StoredCheckpoint> CheckpointFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key != "head_hash" && key != "key_id" && key != "seq" && key != "sig" && key != "time" &&
        key != "type")
      return InvalidArgument("unknown key \"" + key + "\"");
  }
  WARD_ASSIGN_OR_RETURN(std::string type, StringField(j, "type"));
  if (type != kType) return InvalidArgument("\"type\" is not \"" + std::string(kType) + "\"");
  StoredCheckpoint c;
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_integer())
    return InvalidArgument("\"seq\" is missing or not an integer");
  c.seq = seq->get<int64_t>();
  WARD_ASSIGN_OR_RETURN(c.head_hash, StringField(j, "head_hash"));
  WARD_ASSIGN_OR_RETURN(c.key_id, StringField(j, "key_id"));
  WARD_ASSIGN_OR_RETURN(c.signature, StringField(j, "sig"));
  WARD_ASSIGN_OR_RETURN(c.time, StringField(j, "time"));
  WARD_RETURN_IF_ERROR(CheckFields(c));
  return c;
}

}  // namespace

std::string CheckpointMessage(const StoredCheckpoint& c) {
  json fields = {
      {"head_hash", c.head_hash}, {"key_id", c.key_id}, {"seq", c.seq}, {"time", c.time}};
  return kMessagePrefix + DumpJson(fields);
}

Result<StoredCheckpoint> SignCheckpoint(const SigningKey& key, int64_t seq,
                                        const std::string& head_hash, const std::string& time) {
  StoredCheckpoint c{seq, head_hash, time, key.public_key().Id(), ""};
  WARD_ASSIGN_OR_RETURN(std::string sig, key.Sign(CheckpointMessage(c)));
  c.signature = HexEncode(sig);
  return c;
}

Status CheckCheckpointSignature(const StoredCheckpoint& c, const AuditPublicKey& key) {
  if (c.key_id != key.Id())
    return PermissionDenied("signed by another key (id " + c.key_id + ", expected " + key.Id() +
                            ")");
  std::string sig;
  if (!HexDecode(c.signature, &sig) || !key.Verify(CheckpointMessage(c), sig))
    return PermissionDenied("its signature does not verify: the checkpoint is forged or edited");
  return Status::Ok();
}

std::string CheckpointLine(const StoredCheckpoint& c) {
  json j = {{"head_hash", c.head_hash}, {"key_id", c.key_id}, {"seq", c.seq},
            {"sig", c.signature},       {"time", c.time},     {"type", kType}};
  return DumpJson(j);
}

Result<StoredCheckpoint> ParseCheckpointLine(std::string_view line) {
  JsonLimits limits;
  limits.max_bytes = kMaxCheckpointLineBytes;
  limits.max_depth = 1;
  WARD_ASSIGN_OR_RETURN(json j, ParseJson(line, limits));
  return CheckpointFromJson(j);
}

Result<std::vector<PublishedCheckpoint>> ParseCheckpointLines(std::string_view text,
                                                              const std::string& source) {
  if (text.size() > kMaxCheckpointFileBytes)
    return InvalidArgument(source + ": larger than " + std::to_string(kMaxCheckpointFileBytes) +
                           " bytes");
  std::vector<PublishedCheckpoint> out;
  int number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string where = source + ":" + std::to_string(number) + ": ";
    if (line.size() > kMaxCheckpointLineBytes)
      return InvalidArgument(where + "line longer than " + std::to_string(kMaxCheckpointLineBytes) +
                             " bytes");
    auto parsed = ParseCheckpointLine(line);
    if (!parsed.ok())
      return InvalidArgument(where + "not a checkpoint: " + parsed.status().message());
    out.push_back({std::move(parsed).value(), number});
  }
  return out;
}

namespace {

// "" when the store's entry at c.seq has c.head_hash; otherwise why not.
Result<std::string> ChainContradiction(Store* store, const StoredCheckpoint& c) {
  WARD_ASSIGN_OR_RETURN(auto page, store->ListAudit(c.seq - 1, 1));
  if (page.empty() || page[0].seq != c.seq) {
    auto last = store->LastAudit();
    int64_t end = last.ok() ? last->seq : 0;
    return "the chain ends at entry #" + std::to_string(end) + ", before entry #" +
           std::to_string(c.seq) + " this checkpoint vouches for: entries were cut";
  }
  if (page[0].hash != c.head_hash)
    return "entry #" + std::to_string(c.seq) + " has hash " + page[0].hash.substr(0, 16) +
           "…, the checkpoint says " + c.head_hash.substr(0, 16) +
           "…: the chain was rewritten or forked at or before this entry";
  return std::string();
}

}  // namespace

Result<CheckpointVerification> VerifyCheckpoints(Store* store,
                                                 std::vector<PublishedCheckpoint> checkpoints,
                                                 const AuditPublicKey& key) {
  CheckpointVerification v;
  for (const auto& p : checkpoints) {
    Status signature = CheckCheckpointSignature(p.checkpoint, key);
    if (signature.ok()) continue;
    v.ok = false;
    v.contradicted = p;
    v.problem = signature.message();
    return v;
  }
  std::stable_sort(checkpoints.begin(), checkpoints.end(), [](const auto& a, const auto& b) {
    return a.checkpoint.seq < b.checkpoint.seq;
  });
  for (const auto& p : checkpoints) {
    WARD_ASSIGN_OR_RETURN(std::string problem, ChainContradiction(store, p.checkpoint));
    if (!problem.empty()) {
      v.ok = false;
      v.contradicted = p;
      v.problem = problem;
      return v;
    }
    ++v.checked;
    v.last_checked_seq = std::max(v.last_checked_seq, p.checkpoint.seq);
  }
  return v;
}

}  // namespace ward
