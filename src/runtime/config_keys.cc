#include "runtime/config_keys.h"

#include <algorithm>
#include <string_view>
#include <vector>

namespace ward {
namespace {

// Every key ward.toml may hold, as a dotted path; "*" matches any one name (a
// model under [prices]). A path ending in ".**" owns everything below it.
constexpr std::string_view kKnownKeys[] = {
    "model.default",
    "run.mode",
    "run.max_steps",
    "run.max_tokens",
    "run.max_seconds",
    "run.action_timeout_seconds",
    "run.observation_cap_bytes",
    "run.context_tokens",
    "llm.max_attempts",
    "llm.timeout_seconds",
    "connectors.**",  // per type: ReadConnectorTables (config_connectors.cc)
    "gate.approval_ttl_minutes",
    "gate.require_distinct_approver",
    "gate.forbid_imports",
    "gate.forbid_calls",
    "prices.*.input",
    "prices.*.output",
    "policy.**",
    "sandbox.require",
    "sandbox.memory_mb",
    "sandbox.tmp_mb",
    "sandbox.max_pids",
    "server.host",
    "server.port",
    "server.public_url",
    "server.tls_cert",
    "server.tls_key",
    "server.tls_self_signed",
    "server.threads",
    "server.max_sessions",
    "server.read_timeout_seconds",
    "server.notify.webhook",
    "server.notify.topic",
    "server.notify.include_summary",
    "audit.key_file",
    "audit.checkpoint_every",
    "audit.checkpoint_file",
    "audit.checkpoint_url",
    "audit.publish_timeout_seconds",
    "privacy.mode",
    "privacy.identifier_patterns",
    "privacy.strict_allow",
    "audit.export.url",
    "audit.export.format",
    "audit.export.interval_seconds",
    "audit.export.token_env",
    "audit.export.observer",
};

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

enum class Match { kNone, kTable, kLeaf, kOwned };

// How `path` (names as written) relates to the known key `known`.
Match MatchKey(const std::vector<std::string>& path, std::string_view known) {
  std::vector<std::string_view> parts = Split(known);
  for (size_t i = 0; i < path.size(); ++i) {
    if (i >= parts.size()) return Match::kNone;
    if (parts[i] == "**") return Match::kOwned;
    if (parts[i] != "*" && parts[i] != path[i]) return Match::kNone;
  }
  if (path.size() < parts.size()) return parts[path.size()] == "**" ? Match::kOwned : Match::kTable;
  return Match::kLeaf;
}

// The best relation of `path` to any known key.
Match Lookup(const std::vector<std::string>& path) {
  Match best = Match::kNone;
  for (std::string_view known : kKnownKeys) {
    Match m = MatchKey(path, known);
    if (m == Match::kOwned || m == Match::kLeaf) return m;
    if (m == Match::kTable) best = m;
  }
  return best;
}

std::string Dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : ".") + p;
  return out;
}

// The names that may follow `parent` ("" for the top level), for the message.
std::string KnownBelow(const std::vector<std::string>& parent) {
  std::vector<std::string_view> names;
  for (std::string_view known : kKnownKeys) {
    std::vector<std::string_view> parts = Split(known);
    if (parts.size() <= parent.size()) continue;
    bool under = true;
    for (size_t i = 0; i < parent.size() && under; ++i)
      under = parts[i] == "*" || parts[i] == parent[i];
    std::string_view name = parts[parent.size()];
    if (!under || name == "*" || name == "**") continue;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::string out;
  for (std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

Status CheckTable(const toml::table& table, std::vector<std::string>& path,
                  const std::string& file) {
  for (const auto& [key, node] : table) {
    path.emplace_back(key.str());
    Match m = Lookup(path);
    bool table_node = node.is_table();
    if (m == Match::kNone || (m == Match::kTable && !table_node) ||
        (m == Match::kLeaf && table_node)) {
      std::string name = Dotted(path);
      path.pop_back();
      std::string known = KnownBelow(path);
      std::string where =
          path.empty() ? std::string("at the top level") : "in [" + Dotted(path) + "]";
      return InvalidArgument(file + ":" + std::to_string(key.source().begin.line) +
                             ": unknown key '" + name + "'" +
                             (known.empty() ? "" : " (known " + where + ": " + known + ")"));
    }
    if (m == Match::kTable) WARD_RETURN_IF_ERROR(CheckTable(*node.as_table(), path, file));
    path.pop_back();
  }
  return Status::Ok();
}

}  // namespace

Status CheckKnownKeys(const toml::table& table, const std::string& file) {
  std::vector<std::string> path;
  return CheckTable(table, path, file);
}

}  // namespace ward
