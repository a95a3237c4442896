#include "connectors/sql/sql_connector_config.h"

#include <algorithm>
#include <regex>
#include <set>

namespace ward::sql {
namespace {

const std::set<std::string> kKeys = {"type",
                                     "dsn",
                                     "dsn_env",
                                     "tables",
                                     "columns",
                                     "statement_timeout_seconds",
                                     "row_limit",
                                     "max_result_bytes",
                                     "allow_privileged_role"};

constexpr int64_t kMinResultBytes = 1 << 10, kMaxResultBytes = 1 << 30;

Status Bad(std::string_view where, const std::string& what) {
  return InvalidArgument(std::string(where) + " " + what);
}

Result<std::vector<std::string>> Strings(std::string_view where, const std::string& key,
                                         const toml::node& node) {
  const auto* array = node.as_array();
  if (!array || array->empty()) return Bad(where, key + " must be a non-empty list of strings");
  std::vector<std::string> out;
  for (const auto& item : *array) {
    const auto* s = item.as_string();
    if (!s || s->get().empty()) return Bad(where, key + " must be a non-empty list of strings");
    out.push_back(s->get());
  }
  return out;
}

Result<int64_t> Between(std::string_view where, const std::string& key, const toml::node& node,
                        int64_t min, int64_t max) {
  const auto* i = node.as_integer();
  if (!i || i->get() < min || i->get() > max)
    return Bad(where, key + " must be a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max));
  return i->get();
}

Result<int64_t> Positive(std::string_view where, const std::string& key, const toml::node& node,
                         int64_t max) {
  return Between(where, key, node, 1, max);
}

}  // namespace

bool SqlConnectorConfig::TableAllowed(const std::string& table) const {
  return std::find(tables.begin(), tables.end(), "*") != tables.end() ||
         std::find(tables.begin(), tables.end(), table) != tables.end();
}

bool SqlConnectorConfig::ColumnAllowed(const std::string& table, const std::string& column) const {
  auto it = columns.find(table);
  if (it == columns.end()) return true;
  return std::find(it->second.begin(), it->second.end(), column) != it->second.end();
}

Result<SqlConnectorConfig> ParseSqlConnectorConfig(const toml::table& table, std::string_view name,
                                                   std::string_view where) {
  SqlConnectorConfig c;
  c.name = std::string(name);
  for (const auto& [k, node] : table) {
    std::string key(k.str());
    if (!kKeys.count(key))
      return Bad(where, "unknown key '" + key +
                            "' (an sql connector takes: dsn, dsn_env, tables, columns, "
                            "statement_timeout_seconds, row_limit, max_result_bytes, "
                            "allow_privileged_role)");
    if (key == "dsn" || key == "dsn_env") {
      const auto* s = node.as_string();
      if (!s || s->get().empty()) return Bad(where, key + " must be a non-empty string");
      (key == "dsn" ? c.dsn : c.dsn_env) = s->get();
    } else if (key == "tables") {
      WARD_ASSIGN_OR_RETURN(c.tables, Strings(where, key, node));
    } else if (key == "columns") {
      const auto* t = node.as_table();
      if (!t) return Bad(where, "columns must be a table: columns.TABLE = [\"col\", …]");
      for (const auto& [tk, cols] : *t) {
        WARD_ASSIGN_OR_RETURN(c.columns[std::string(tk.str())],
                              Strings(where, "columns." + std::string(tk.str()), cols));
      }
    } else if (key == "statement_timeout_seconds") {
      WARD_ASSIGN_OR_RETURN(int64_t s, Positive(where, key, node, 3600));
      c.statement_timeout_ms = s * 1000;
    } else if (key == "row_limit") {
      WARD_ASSIGN_OR_RETURN(c.row_limit, Positive(where, key, node, 1'000'000));
    } else if (key == "max_result_bytes") {
      WARD_ASSIGN_OR_RETURN(c.max_result_bytes,
                            Between(where, key, node, kMinResultBytes, kMaxResultBytes));
    } else if (key == "allow_privileged_role") {
      const auto* b = node.as_boolean();
      if (!b) return Bad(where, key + " must be true or false");
      c.allow_privileged_role = b->get();
    }
  }
  if (c.dsn.empty() == c.dsn_env.empty())
    return Bad(where,
               "needs exactly one of dsn (the database) and dsn_env (the variable holding it)");
  if (c.tables.empty())
    return Bad(where,
               "needs tables, the tables this connector may touch (tables = [\"*\"] for every "
               "table)");
  static const std::regex kPlainName("[a-z_][a-z0-9_]{0,62}");
  for (const auto& t : c.tables)
    if (t != "*" && !std::regex_match(t, kPlainName))
      return Bad(where,
                 "tables: '" + t +
                     "' is not a lowercase identifier (the one spelling guest code may use)");
  for (const auto& [t, cols] : c.columns)
    if (!c.TableAllowed(t)) return Bad(where, "columns." + t + " names a table not in tables");
  return c;
}

}  // namespace ward::sql
