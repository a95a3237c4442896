#include <nlohmann/json.hpp>
#include <regex>

#include "connectors/sql/sql_internal.h"
#include "util/json_limits.h"

namespace ward::sql {
namespace {

using nlohmann::json;

// The guest's arguments, or a refusal of their shape.
std::optional<json> Args(const std::string& args_json, PreparedCall* refusal) {
  json args = ParseJsonOrDiscarded(args_json);
  if (!args.is_object()) {
    *refusal = RefusedCall("ValueError", "arguments must be an object");
    return std::nullopt;
  }
  return args;
}

// "NAME.insert hba1c_report {"patient":"p1"}" — the key quoted as model text.
std::string Shown(const std::string& binding, const std::string& table, const json& key) {
  std::string out = binding + " " + table;
  if (key.is_object() && !key.empty()) out += " " + QuoteModelText(DumpJson(key), 60);
  return out;
}

PreparedAction Action(const SqlConnectorConfig& c, const std::string& op, const std::string& table,
                      const json& key) {
  PreparedAction a;
  a.descriptor.kind = "binding";
  a.descriptor.binding = c.name + "." + op;
  a.descriptor.connector = c.name;
  a.descriptor.operation = OperationOf(op);
  a.descriptor.resource_type = table;
  a.descriptor.reversible = op != "execute";
  a.descriptor.patient_unknown = true;  // a row or a statement may name any patient
  a.resource = table.empty() ? "" : table + (key.is_object() ? " " + DumpJson(key) : "");
  a.summary = Shown(a.descriptor.binding, table, key);
  return a;
}

PreparedCall Single(PreparedAction a) {
  PreparedCall p;
  p.summary = a.summary;
  p.actions.push_back(std::move(a));
  return p;
}

}  // namespace

json Parsed(const std::string& text) {
  return text.empty() || text == "null" ? json() : ParseJsonOrDiscarded(text);
}

std::string OperationOf(const std::string& op) {
  if (op == "query") return "read";
  if (op == "delete") return "delete";
  if (op == "execute") return "execute";
  return "write";
}

Result<json> KeyOf(SqlDatabase& db, const std::string& table, const json& row) {
  WARD_ASSIGN_OR_RETURN(TableInfo info, db.DescribeTable(table));
  if (info.primary_key.empty())
    return FailedPrecondition("table " + table + " has no primary key: rows cannot be addressed");
  json key = json::object();
  for (const auto& column : info.primary_key) {
    if (!row.is_object() || !row.contains(column)) return json();  // assigned by the database
    key[column] = row[column];
  }
  return key;
}

PreparedCall PrepareSqlCall(SqlDatabase& db, const SqlConnectorConfig& c, const std::string& op,
                            const std::string& args_json) {
  PreparedCall refusal;
  auto args = Args(args_json, &refusal);
  if (!args) return refusal;
  const std::string binding = c.name + "." + op;
  auto bad = [&](const std::string& why) {
    return RefusedCall("ValueError", binding + "(): " + why);
  };
  if (op == "query" || op == "execute") {
    if (!args->contains("sql") || !(*args)["sql"].is_string() ||
        (*args)["sql"].get<std::string>().empty())
      return bad("sql must be a non-empty string");
    const json& params = args->value("params", json());
    if (!params.is_null() && !params.is_array())
      return bad("params must be a list (bound to $1, $2, …)");
    PreparedAction a = Action(c, op, "", json());
    a.summary = binding + " " + QuoteModelText((*args)["sql"].get<std::string>(), 80);
    a.after =
        DumpJson({{"sql", (*args)["sql"]}, {"params", params.is_null() ? json::array() : params}});
    return Single(std::move(a));
  }
  if (!args->contains("table") || !(*args)["table"].is_string())
    return bad("table must be a string");
  std::string table = (*args)["table"];
  // One spelling per table: the database would also take "REPORT", "public.report"
  // or "\"report\"" for the same table, past the allowlists and the policy's target.
  static const std::regex kPlainName("[a-z_][a-z0-9_]{0,62}");
  if (!std::regex_match(table, kPlainName))
    return RefusedCall("ValueError", binding +
                                         "(): table must be named as the allowlist names it "
                                         "(a lowercase identifier), not " +
                                         QuoteModelText(table));
  if (!c.TableAllowed(table))
    return RefusedCall("PermissionDenied", binding + "(): table " + QuoteModelText(table) +
                                               " is not among the tables [connectors." + c.name +
                                               "] allows");
  auto describe = db.DescribeTable(table);
  if (!describe.ok())
    return RefusedCall("SqlError", binding + "(): " + describe.status().message());
  auto check_columns = [&](const json& row, const char* what) -> std::string {
    if (!row.is_object() || row.empty()) return std::string(what) + " must be a non-empty dict";
    for (const auto& [column, value] : row.items()) {
      bool known = false;
      for (const auto& col : describe->columns) known = known || col.name == column;
      if (!known) return "table " + table + " has no column " + QuoteModelText(column);
      if (!c.ColumnAllowed(table, column))
        return "column " + column + " of " + table + " is not among the columns [connectors." +
               c.name + "] allows";
      if (value.is_object() || value.is_array())
        return "column " + column + ": values must be strings, numbers, booleans or None";
    }
    return "";
  };
  if (op == "insert") {
    const json& row = args->value("row", json());
    if (std::string e = check_columns(row, "row"); !e.empty()) return bad(e);
    auto key = KeyOf(db, table, row);
    if (!key.ok()) return RefusedCall("SqlError", binding + "(): " + key.status().message());
    PreparedAction a = Action(c, op, table, *key);
    a.after = DumpJson(row);
    return Single(std::move(a));
  }
  const json& key = args->value("key", json());
  if (!key.is_object() || key.size() != describe->primary_key.size())
    return bad("key must be a dict of the primary key's columns (" + table + ": " + [&] {
      std::string cols;
      for (const auto& k : describe->primary_key) cols += (cols.empty() ? "" : ", ") + k;
      return cols;
    }() + ")");
  for (const auto& column : describe->primary_key)
    if (!key.contains(column)) return bad("key has no " + column);
  auto before = db.ReadRow(table, key);
  if (!before.ok()) return RefusedCall("SqlError", binding + "(): " + before.status().message());
  if (before->is_null())
    return RefusedCall("SqlError", binding + "(): no row of " + table + " has that key");
  PreparedAction a = Action(c, op, table, key);
  a.before = DumpJson(*before);
  if (op == "update") {
    const json& changes = args->value("changes", json());
    if (std::string e = check_columns(changes, "changes"); !e.empty()) return bad(e);
    for (const auto& column : describe->primary_key)
      if (changes.contains(column)) return bad("changes may not set the key column " + column);
    json after = *before;
    for (const auto& [column, value] : changes.items()) after[column] = value;
    a.after = DumpJson(after);
  } else if (op != "delete") {
    return RefusedCall("BindingError", "there is no sql binding " + QuoteModelText(binding));
  }
  return Single(std::move(a));
}

}  // namespace ward::sql
