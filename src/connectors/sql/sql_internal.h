// The sql connector's parts (internal to src/connectors/sql): what its bindings
// share, how a call is prepared for the policy, run and journaled, and its
// compensator. See sql_connector.h for the contract.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "connectors/sql/sql_connector_config.h"
#include "connectors/sql/sql_database.h"
#include "gate/binding.h"
#include "journal/compensator.h"
#include "journal/journal_writer.h"

namespace ward::sql {

// What a binding call works with. `scope` is null for a compensator.
struct SqlCallContext {
  std::shared_ptr<SqlDatabase> db;
  SqlConnectorConfig config;
  std::string endpoint;  // the journal's base_url for this database
  JournalScope* scope = nullptr;
};

// A journaled row image as JSON: null for "" (no row) or "null".
nlohmann::json Parsed(const std::string& text);
// query → read, insert/update → write, delete → delete, execute → execute.
std::string OperationOf(const std::string& op);
// The primary-key columns of `row` in `table`; null when the row lacks one (the
// database assigns it); FailedPrecondition for a table without a primary key.
Result<nlohmann::json> KeyOf(SqlDatabase& db, const std::string& table, const nlohmann::json& row);
std::vector<GuestErrorType> SqlErrorTypes();

// Checks a call's arguments against the allowlists and the catalog and reads the
// row it changes: what the policy decides on and an approver sees (before/after).
PreparedCall PrepareSqlCall(SqlDatabase& db, const SqlConnectorConfig& config,
                            const std::string& op, const std::string& args_json);
// Runs a call as prepared (prepared here when `prepared` is null), journaling
// every write.
BindingOutcome RunSqlCall(const SqlCallContext& ctx, const std::string& op,
                          const std::string& args_json, const PreparedCall* prepared);
std::vector<Binding> MakeSqlBindings(const SqlCallContext& ctx);
std::unique_ptr<Compensator> NewSqlCompensator(SqlCallContext ctx);

}  // namespace ward::sql
