// The per-engine driver under SqlDatabase (internal to connectors/sql): one
// connection that runs one statement at a time with $N parameters and turns its
// rows into JSON. The row-write logic above it is written once for both engines.
//
// Not thread-safe: SqlDatabase serialises all use. Every statement passed to Run
// may come from the guest: Run runs exactly one statement, refuses transaction
// control (ward owns the transactions; Control runs ward's own), and on a reading
// connection lets the database refuse anything that writes.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "connectors/sql/sql_database.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward::sql::internal {

struct StatementResult {
  std::vector<std::string> columns;
  std::vector<nlohmann::json> rows;  // at most limits.row_limit
  bool truncated = false;
  int64_t rows_affected = 0;  // rows a data-changing statement changed; 0 otherwise
};

// A table as the catalog knows it, with the SQL name to use in statements.
struct ResolvedTable {
  TableInfo info;
  std::string sql_name;  // quoted (and on PostgreSQL schema-qualified) identifier
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  // Runs exactly one statement; `params` is null or an array bound to $1, $2, ….
  virtual Result<StatementResult> Run(const std::string& sql, const nlohmann::json& params,
                                      const SqlLimits& limits) = 0;
  // Runs a statement ward itself wrote (BEGIN, SAVEPOINT, ROLLBACK, …).
  virtual Status Control(const std::string& sql) = 0;

  // Starts the transaction a read (Query) runs in, and ends it (always rolled back).
  virtual Status BeginRead(const SqlLimits& limits) = 0;
  virtual Status EndRead() = 0;
  // Starts a writing transaction that waits for (rather than fails on) other writers.
  virtual Status BeginWrite(const SqlLimits& limits) = 0;

  // The table `name` from the catalog; NotFound when there is none.
  virtual Result<ResolvedTable> Describe(const std::string& name) = 0;
  // Clears what a statement may have left on the session (settings, temporary
  // objects, locks) once its transaction is over. When that fails the next
  // transaction starts on a fresh session instead. Nothing to do on SQLite.
  virtual void ResetSession() {}
  // Appended to the SELECT that reads a pre-image inside a write (" FOR UPDATE").
  virtual const char* LockRowSuffix() const = 0;
};

// What one returned value adds to a result's size (SqlLimits::max_result_bytes):
// its column name plus its text (a number, boolean or null: 8 bytes).
inline size_t ResultBytes(size_t column_name_bytes, size_t text_bytes) {
  return column_name_bytes + (text_bytes < 8 ? 8 : text_bytes);
}

// The ResourceExhausted of a result over `limits.max_result_bytes`.
Status ResultTooLarge(const SqlLimits& limits);

// `name` as a double-quoted SQL identifier ("a""b" for a"b).
std::string QuoteIdentifier(const std::string& name);

// Opens the SQLite file `path`, which must exist. `read_only`: SQLITE_OPEN_READONLY,
// PRAGMA query_only=1 and an authorizer that allows only reads. `clock` (not owned)
// measures statement timeouts.
Result<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path, bool read_only,
                                                            Clock* clock);

// Connects to PostgreSQL with the libpq connection string or URL `conninfo`.
Result<std::unique_ptr<SqlConnection>> OpenPgConnection(const std::string& conninfo);

// FailedPrecondition naming allow_privileged_role when the PostgreSQL session's
// user or current role can act despite a read-only transaction: a superuser or a
// member of one; a member of pg_signal_backend, pg_execute_server_program,
// pg_write_server_files or pg_read_server_files; or a role that may execute,
// itself or through a role it is a member of, lo_export, lo_import,
// pg_read_file, pg_read_binary_file, pg_ls_dir, a superuser-only server function
// (pg_reload_conf, pg_promote, …), an adminpack file function or a dblink
// function. Ok otherwise. Runs one read on `conn` (PostgreSQL).
Status RefusePrivilegedPgRole(SqlConnection& conn, const SqlLimits& limits);

}  // namespace ward::sql::internal
