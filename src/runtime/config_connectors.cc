// `[connectors.NAME]` tables of ward.toml: see ReadConnectorTables in config.h.
// toml++ types stay here; errors name the file, the line and the key.
#include "runtime/config_connectors.h"

#include <regex>
#include <set>

#include "connectors/http/http_api_config.h"
#include "connectors/sql/sql_connector_config.h"

namespace ward {
namespace {

const std::set<std::string> kFhirKeys = {"type", "base_url", "auth", "token_env"};

// Python's keywords and ward's own top-level name: no connector may take them.
const std::set<std::string> kReservedNames = {
    "finish", "false", "none",     "true",  "and",    "as",   "assert", "async",  "await",
    "break",  "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",
    "for",    "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal",
    "not",    "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};

Status Bad(const std::string& file, const toml::node& node, const std::string& what) {
  return InvalidArgument(file + ":" + std::to_string(node.source().begin.line) + ": " + what);
}

Result<std::string> StringKey(const std::string& file, const std::string& table,
                              const std::string& key, const toml::node& node) {
  const auto* s = node.as_string();
  if (!s) return Bad(file, node, "[" + table + "] " + key + " must be a string");
  return s->get();
}

Status ReadFhir(const std::string& file, const std::string& where, const toml::table& table,
                ConnectorSettings& c) {
  for (const auto& [k, node] : table) {
    std::string key(k.str());
    if (!kFhirKeys.count(key))
      return Bad(file, node,
                 "unknown key '" + where + "." + key +
                     "' (a fhir connector takes: type, base_url, auth, token_env)");
    std::string* field = key == "base_url"    ? &c.base_url
                         : key == "auth"      ? &c.auth
                         : key == "token_env" ? &c.token_env
                                              : nullptr;
    if (!field) continue;  // type, read by the caller
    WARD_ASSIGN_OR_RETURN(*field, StringKey(file, where, key, node));
  }
  if (c.auth != "none" && c.auth != "bearer")
    return Bad(file, table, "[" + where + "] auth must be \"none\" or \"bearer\"");
  if (c.auth == "bearer" && c.token_env.empty())
    return Bad(file, table,
               "[" + where +
                   "] auth = \"bearer\" needs token_env, the name of the variable that holds "
                   "the token");
  return Status::Ok();
}

Result<ConnectorSettings> ReadConnector(const std::string& file, const std::string& name,
                                        const toml::node& node) {
  std::string where = "connectors." + name;
  static const std::regex kName("[a-z][a-z0-9_]{0,31}");
  if (!std::regex_match(name, kName) || kReservedNames.count(name))
    return Bad(file, node,
               "[" + where +
                   "]: a connector's name is the guest's object for it, so it must be a "
                   "lowercase identifier (letters, digits, _), not a Python keyword or \"finish\"");
  const toml::table* table = node.as_table();
  if (!table) return Bad(file, node, where + " must be a table: [" + where + "]");
  ConnectorSettings c;
  c.name = name;
  if (const auto* type = table->get("type")) {
    WARD_ASSIGN_OR_RETURN(c.type, StringKey(file, where, "type", *type));
  } else if (name == "fhir") {
    c.type = "fhir";
  } else {
    return Bad(file, node, "[" + where + "] needs a type: \"fhir\", \"http\" or \"sql\"");
  }
  std::string at = file + ":" + std::to_string(node.source().begin.line) + ": [" + where + "]";
  if (c.type == "fhir") {
    WARD_RETURN_IF_ERROR(ReadFhir(file, where, *table, c));
  } else if (c.type == "http") {
    WARD_ASSIGN_OR_RETURN(HttpApiConfig http, ParseHttpApiConfig(*table, name, at));
    c.http = std::make_shared<const HttpApiConfig>(std::move(http));
  } else if (c.type == "sql") {
    WARD_ASSIGN_OR_RETURN(sql::SqlConnectorConfig s,
                          sql::ParseSqlConnectorConfig(*table, name, at));
    c.sql = std::make_shared<const sql::SqlConnectorConfig>(std::move(s));
  } else {
    return Bad(
        file, *table->get("type"),
        "[" + where + "] type must be \"fhir\", \"http\" or \"sql\", not \"" + c.type + "\"");
  }
  return c;
}

}  // namespace

Status ReadConnectorTables(const toml::table& document, const std::string& file,
                           std::vector<ConnectorSettings>* out) {
  const toml::node* node = document.get("connectors");
  if (!node) return Status::Ok();
  const toml::table* tables = node->as_table();
  if (!tables) return Bad(file, *node, "connectors must be tables: [connectors.NAME]");
  for (const auto& [k, table] : *tables) {
    WARD_ASSIGN_OR_RETURN(ConnectorSettings c, ReadConnector(file, std::string(k.str()), table));
    out->push_back(std::move(c));
  }
  return Status::Ok();
}

}  // namespace ward
