#include "connectors/sql/row_sql.h"

#include <algorithm>

namespace ward::sql::internal {

namespace {

bool IsKeyColumn(const ResolvedTable& t, const std::string& column) {
  const auto& key = t.info.primary_key;
  return std::find(key.begin(), key.end(), column) != key.end();
}

bool HasColumn(const ResolvedTable& t, const std::string& column) {
  for (const auto& c : t.info.columns) {
    if (c.name == column) return true;
  }
  return false;
}

std::string Placeholder(const BoundSql& b) {
  std::string placeholder = "$";
  placeholder += std::to_string(b.params.size() + 1);
  return placeholder;
}

// Appends `"k1" = $n AND "k2" = $m` for the key columns.
void AppendWhereKey(const ResolvedTable& t, const nlohmann::json& key, BoundSql* b) {
  b->sql += " WHERE ";
  for (size_t i = 0; i < t.info.primary_key.size(); ++i) {
    const std::string& column = t.info.primary_key[i];
    if (i > 0) b->sql += " AND ";
    b->sql += QuoteIdentifier(column) + " = " + Placeholder(*b);
    b->params.push_back(key.at(column));
  }
}

}  // namespace

Status CheckHasPrimaryKey(const ResolvedTable& t) {
  if (!t.info.primary_key.empty()) return Status::Ok();
  return FailedPrecondition("table " + t.info.name +
                            " has no primary key; row writes need one to name a row");
}

Status CheckKey(const ResolvedTable& t, const nlohmann::json& key) {
  if (!key.is_object()) return InvalidArgument("the key must be an object of primary-key columns");
  for (const auto& column : t.info.primary_key) {
    auto it = key.find(column);
    if (it == key.end() || it->is_null() || it->is_structured()) {
      return InvalidArgument("the key of " + t.info.name + " needs a value for column " + column);
    }
  }
  if (key.size() != t.info.primary_key.size()) {
    return InvalidArgument("the key of " + t.info.name + " holds only its primary-key columns");
  }
  return Status::Ok();
}

Status CheckColumns(const ResolvedTable& t, const nlohmann::json& row, const char* what) {
  if (!row.is_object()) return InvalidArgument(std::string(what) + " must be an object");
  for (const auto& [column, value] : row.items()) {
    if (!HasColumn(t, column)) return NotFound("no column " + column + " in table " + t.info.name);
  }
  return Status::Ok();
}

Result<nlohmann::json> KeyOf(const ResolvedTable& t, const nlohmann::json& row) {
  nlohmann::json key = nlohmann::json::object();
  for (const auto& column : t.info.primary_key) {
    auto it = row.find(column);
    if (it == row.end() || it->is_null()) {
      return InvalidArgument("the row needs a value for primary-key column " + column);
    }
    key[column] = *it;
  }
  return key;
}

BoundSql SelectRowSql(const ResolvedTable& t, const nlohmann::json& key, const char* lock_suffix) {
  BoundSql b;
  b.sql = "SELECT * FROM " + t.sql_name;
  AppendWhereKey(t, key, &b);
  b.sql += lock_suffix;
  return b;
}

BoundSql InsertSql(const ResolvedTable& t, const nlohmann::json& row) {
  BoundSql b;
  std::string columns, values;
  for (const auto& [column, value] : row.items()) {
    if (!columns.empty()) {
      columns += ", ";
      values += ", ";
    }
    columns += QuoteIdentifier(column);
    values += Placeholder(b);
    b.params.push_back(value);
  }
  b.sql = "INSERT INTO " + t.sql_name + " (" + columns + ") VALUES (" + values + ")";
  return b;
}

BoundSql UpdateSql(const ResolvedTable& t, const nlohmann::json& key,
                   const nlohmann::json& values) {
  BoundSql b;
  std::string sets;
  for (const auto& [column, value] : values.items()) {
    if (IsKeyColumn(t, column)) continue;
    if (!sets.empty()) sets += ", ";
    sets += QuoteIdentifier(column) + " = " + Placeholder(b);
    b.params.push_back(value);
  }
  if (sets.empty()) return {};
  b.sql = "UPDATE " + t.sql_name + " SET " + sets;
  AppendWhereKey(t, key, &b);
  return b;
}

BoundSql DeleteSql(const ResolvedTable& t, const nlohmann::json& key) {
  BoundSql b;
  b.sql = "DELETE FROM " + t.sql_name;
  AppendWhereKey(t, key, &b);
  return b;
}

}  // namespace ward::sql::internal
