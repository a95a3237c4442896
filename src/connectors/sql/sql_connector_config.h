// The settings of an `sql` connector, from its `[connectors.NAME]` table:
//
//   [connectors.reporting]
//   type = "sql"
//   dsn = "/srv/reports/quality.db"    # SQLite file, or postgresql://…, or libpq key=value
//   dsn_env = "REPORTING_DSN"          # instead of dsn: the variable holding it (passwords)
//   tables = ["hba1c_report"]          # the tables it may touch; ["*"] for every table
//   columns.hba1c_report = ["patient", "value", "measured"]   # optional, per table
//   statement_timeout_seconds = 5
//   row_limit = 1000                   # rows a query returns at most
//   max_result_bytes = 4194304         # a query's whole result, at most (1 KiB … 1 GiB)
//   allow_privileged_role = false      # PostgreSQL: see below
//
// `tables` is required (no allowlist, no access). A table listed in `columns`
// may be written in those columns only (its primary key included).
// `allow_privileged_role = true` lets a PostgreSQL connector run as a role that
// can act despite a read-only transaction (a superuser, pg_signal_backend,
// pg_*_server_* members, …); without it such a connector refuses to open. It
// changes nothing for SQLite.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ward::sql {

struct SqlConnectorConfig {
  std::string name;
  std::string dsn;                  // as written (may be empty when dsn_env is given)
  std::string dsn_env;              // the variable holding the DSN, read when the connector opens
  std::vector<std::string> tables;  // "*" = every table
  std::map<std::string, std::vector<std::string>> columns;  // per table; absent = all
  int64_t statement_timeout_ms = 5000;
  int64_t row_limit = 1000;
  int64_t max_result_bytes = 4 << 20;
  bool allow_privileged_role = false;

  bool TableAllowed(const std::string& table) const;
  // True when `column` of `table` may be written (no list for the table = any).
  bool ColumnAllowed(const std::string& table, const std::string& column) const;
};

// Reads the connector's table (its `type` key skipped); `where` names it in
// errors, e.g. "ward.toml:12: [connectors.reporting]". Unknown keys are refused.
Result<SqlConnectorConfig> ParseSqlConnectorConfig(const toml::table& table, std::string_view name,
                                                   std::string_view where);

}  // namespace ward::sql
