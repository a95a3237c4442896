// Checks and SQL text for row writes by primary key (internal to connectors/sql).
// Every identifier in the SQL comes from the catalog (ResolvedTable) and is
// quoted; every value is a $N parameter. Stateless.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "connectors/sql/internal/sql_connection.h"
#include "util/status.h"

namespace ward::sql::internal {

// A statement and its parameters.
struct BoundSql {
  std::string sql;
  nlohmann::json params = nlohmann::json::array();
};

// OK when `table` has a primary key; FailedPrecondition otherwise.
Status CheckHasPrimaryKey(const ResolvedTable& table);
// `key` must be an object holding exactly the primary-key columns, each a scalar.
Status CheckKey(const ResolvedTable& table, const nlohmann::json& key);
// `row` must be an object whose names are all columns of `table` (values that are
// objects or arrays are bound as their JSON text).
Status CheckColumns(const ResolvedTable& table, const nlohmann::json& row, const char* what);
// The primary-key columns of `row`; InvalidArgument when one is missing or null.
Result<nlohmann::json> KeyOf(const ResolvedTable& table, const nlohmann::json& row);

BoundSql SelectRowSql(const ResolvedTable& table, const nlohmann::json& key,
                      const char* lock_suffix);
BoundSql InsertSql(const ResolvedTable& table, const nlohmann::json& row);
// UPDATE … SET every column of `values` except key columns; empty sql when none.
BoundSql UpdateSql(const ResolvedTable& table, const nlohmann::json& key,
                   const nlohmann::json& values);
BoundSql DeleteSql(const ResolvedTable& table, const nlohmann::json& key);

}  // namespace ward::sql::internal
