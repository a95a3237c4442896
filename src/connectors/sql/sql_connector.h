// The `sql` connector on the Connector seam: an SQLite or PostgreSQL database
// (SqlDatabase) as the guest's object NAME, with
//
//   NAME.query(sql, params=None)          read only, enforced by the database;
//                                         {columns, rows, truncated}; at most
//                                         row_limit rows and max_result_bytes
//   NAME.insert(table, row)               one row; returns it as stored
//   NAME.update(table, key, changes)      the row whose primary key is `key`
//   NAME.delete(table, key)
//   NAME.execute(sql, params=None)        any other statement: rows changed;
//                                         irreversible (the policy asks by default)
//
// Parameters are a list bound to $1, $2, … — never interpolated. Row writes name
// tables and columns the connector's allowlists grant (refused before the
// policy otherwise); they are prepared with the row as it is (the approver sees
// before and after) and journaled with the one protocol: the intent with the
// pre-image is committed before the write, which then happens only while the
// row is still what was prepared (a compare-and-set: otherwise ConflictError,
// nothing written, the approval stale). In a dry run each row write runs in a
// transaction that is rolled back, so constraint errors still surface, and is
// recorded as planned; an `execute` is not run at all (a statement can act beyond
// a transaction), only recorded. Rollback (SqlCompensator) restores the pre-image only
// while the row still equals what the session left.
//
// Journal entries: base_url names the database without credentials ("sqlite:PATH"
// or "postgresql://host:port/dbname", so rollback refuses to undo them in another
// database), resource_type the table, resource_id the key as JSON, pre/post images
// the rows (null when absent); execute's post_image is {"sql", "params"}. Calls carry an unknown
// patient for the policy (a row may name anyone): scope patient rules by connector.
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/sql/sql_connector_config.h"
#include "connectors/sql/sql_database.h"

namespace ward::sql {

class SqlConnector : public Connector {
 public:
  // Opens the database (the DSN from the config, or its dsn_env variable).
  // InvalidArgument naming the connector when the variable is unset;
  // OpenSqlDatabase's errors otherwise, prefixed "[connectors.NAME]" (among them
  // the refusal of a privileged PostgreSQL role unless allow_privileged_role).
  static Result<std::unique_ptr<SqlConnector>> Open(const SqlConnectorConfig& config, Clock* clock);

  const std::string& name() const override { return config_.name; }
  std::string type() const override { return "sql"; }
  std::vector<Binding> Bindings(JournalScope* scope) override;
  Result<std::unique_ptr<Compensator>> NewCompensator(const JournalEntry& entry) override;

  // For tests: the database and the journal's name for it.
  SqlDatabase* database() { return db_.get(); }
  const std::string& endpoint() const { return endpoint_; }

 private:
  SqlConnector(SqlConnectorConfig config, std::unique_ptr<SqlDatabase> db, std::string endpoint);

  SqlConnectorConfig config_;
  std::shared_ptr<SqlDatabase> db_;
  std::string endpoint_;
};

}  // namespace ward::sql
