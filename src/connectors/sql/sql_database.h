// SqlDatabase: the database layer of the SQL connector — one interface over
// SQLite and PostgreSQL, chosen by the DSN.
//
// DSN forms (ParseSqlDsn):
//   - "sqlite:PATH" or a plain file path (no "://", no "=")   → SQLite file PATH
//     (must already exist; ward never creates the database);
//   - "postgresql://…", "postgres://…", or a libpq "key=value …" string → PostgreSQL.
//
// Values cross the interface as nlohmann::json. Parameters are a JSON array whose
// element N-1 is bound to placeholder $N (both databases use $1, $2, …; SQLite's
// `?`, `:name` and `@name` are refused); they are bound, never interpolated.
// Null → NULL, bool → boolean (SQLite: 0/1), integer → integer, float → float,
// string → text, object/array → their JSON text. Rows come back as JSON objects
// column → value: integers, floats, text, null and booleans (PostgreSQL bool);
// PostgreSQL json/jsonb as JSON values, numeric and every other type as its text
// form; non-finite floats as the strings "NaN", "Infinity", "-Infinity". Blobs
// (SQLite BLOB, PostgreSQL bytea) are refused: the call fails naming the column.
//
// Reads are enforced by the database, not by parsing SQL: SQLite queries run on a
// separate connection opened SQLITE_OPEN_READONLY with PRAGMA query_only=1 and an
// authorizer that allows only reads; PostgreSQL queries run in BEGIN READ ONLY
// with SET LOCAL statement_timeout and are always rolled back. Every call runs
// exactly one statement (SQLite: a second statement is refused; PostgreSQL: the
// extended protocol refuses it). ATTACH/DETACH and PRAGMA assignments are refused
// on every SQLite connection, so no statement can open another file on the host.
//
// Row writes address one row by its primary key (tables without one are refused)
// and each runs in one transaction that reads the pre-image, writes, and reads
// the post-image back. Identifiers come from the real catalog and are always
// quoted; unknown tables and columns are NotFound.
//
// Errors: InvalidArgument (bad DSN, params, key or row; SQL the database cannot
// prepare; more than one statement; a blob in a result), NotFound (unknown
// table/column, or no row for Update/Delete), AlreadyExists (Insert of an
// existing key), FailedPrecondition (constraint violations, no primary key),
// PermissionDenied (the database refused the statement: a write in a query,
// transaction control, ATTACH, a PRAGMA assignment, missing privileges),
// DeadlineExceeded (statement timeout), ResourceExhausted (a value over
// max_value_bytes, a result over max_result_bytes), Unavailable (cannot connect, connection lost,
// database busy). Messages carry the database's own error text and never the DSN.
//
// Thread-safety: every method may be called from any thread; calls on one
// SqlDatabase are serialised by an internal mutex. A DryRun scope must be
// destroyed before its SqlDatabase.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/clock.h"
#include "util/status.h"

namespace ward::sql {

enum class SqlEngine { kSqlite, kPostgres };

struct SqlDsn {
  SqlEngine engine = SqlEngine::kSqlite;
  std::string target;  // the SQLite file path, or the libpq connection string as given
};

// Classifies `dsn` (see the forms above). InvalidArgument when empty. Never
// includes the DSN in an error (it may hold a password).
Result<SqlDsn> ParseSqlDsn(const std::string& dsn);

struct SqlLimits {
  std::chrono::milliseconds statement_timeout{5000};  // every statement, reads and writes
  size_t row_limit = 1000;                            // rows a Query returns at most
  size_t max_value_bytes = 1 << 20;                   // one returned text value, at most
  // The whole result of one statement (a query's, or a row image's), counted
  // while its rows are read: each value adds its column name and its text (a
  // number, boolean or null: 8 bytes). Past it the call fails with
  // ResourceExhausted naming max_result_bytes.
  size_t max_result_bytes = 4 << 20;
};

struct SqlDatabaseOptions {
  std::string dsn;
  SqlLimits limits;
  // SQLite's statement timeout is measured on this clock (PostgreSQL's is the
  // server's). Not owned; nullptr = SystemClock::Default().
  Clock* clock = nullptr;
  // PostgreSQL: open even when the role can act despite a read-only transaction
  // (see OpenSqlDatabase). Ignored for SQLite.
  bool allow_privileged_role = false;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<nlohmann::json> rows;  // objects column → value; at most row_limit
  bool truncated = false;            // more rows existed than row_limit
};

struct ColumnInfo {
  std::string name;
  std::string type;  // declared type as the catalog names it (may be "" in SQLite)
  bool not_null = false;
};

struct TableInfo {
  std::string name;                      // as the caller named it
  std::vector<ColumnInfo> columns;       // in table order
  std::vector<std::string> primary_key;  // in key order; empty = no primary key
};

// A row write's effect: the row before and after (null when absent).
struct RowChange {
  nlohmann::json before;
  nlohmann::json after;
};

enum class RestoreStatus {
  kRestored,         // the row equalled expected_current and now equals restore_to
  kAlreadyRestored,  // the row already equalled restore_to; nothing written
  kConflict,         // the row equals neither; nothing written
};

struct RestoreResult {
  RestoreStatus status = RestoreStatus::kConflict;
  nlohmann::json current;  // the row now (null when absent)
};

class SqlDatabase;

// A dry-run scope (SqlDatabase::BeginDryRun): until it is destroyed, every
// Insert/Update/Delete/RestoreRow/Execute on its database runs inside one
// transaction that is always rolled back, each in a savepoint so a failed write
// (constraint errors surface as usual) leaves the earlier ones in place. The
// guest cannot end it: transaction-control statements are refused in Execute.
// Queries and the catalog are read on the reading connection and so do not see
// it (a table created by a dry-run Execute is unknown to dry-run row writes).
// On SQLite an open dry run holds the database's write lock.
class DryRun {
 public:
  explicit DryRun(SqlDatabase* db) : db_(db) {}
  ~DryRun();
  DryRun(const DryRun&) = delete;
  DryRun& operator=(const DryRun&) = delete;

 private:
  SqlDatabase* db_;
};

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;

  virtual SqlEngine engine() const = 0;
  virtual const SqlLimits& limits() const = 0;

  // Runs one read-only statement with the options' limits (or `limits`).
  virtual Result<QueryResult> Query(const std::string& sql, const nlohmann::json& params) = 0;
  virtual Result<QueryResult> Query(const std::string& sql, const nlohmann::json& params,
                                    const SqlLimits& limits) = 0;

  // Columns and primary key of `table` ("name", or "schema.name" on PostgreSQL),
  // read from the catalog. NotFound when there is no such table, and for views and
  // the engine's own tables (sqlite_*, pg_* schemas, information_schema).
  virtual Result<TableInfo> DescribeTable(const std::string& table) = 0;

  // The row whose primary key is `key` (an object with exactly the key's
  // columns), or null when there is none.
  virtual Result<nlohmann::json> ReadRow(const std::string& table, const nlohmann::json& key) = 0;

  // Inserts `row` (an object column → value that includes every primary-key
  // column). AlreadyExists when the key is taken. before = null.
  virtual Result<RowChange> Insert(const std::string& table, const nlohmann::json& row) = 0;
  // Sets `changes` (non-key columns only) on the row at `key`. NotFound when absent.
  virtual Result<RowChange> Update(const std::string& table, const nlohmann::json& key,
                                   const nlohmann::json& changes) = 0;
  // Deletes the row at `key`. NotFound when absent. after = null.
  virtual Result<RowChange> Delete(const std::string& table, const nlohmann::json& key) = 0;

  // Compare-and-set of one row, the compensation of a row write (the SQL form of
  // If-Match): in one transaction, only while the row at `key` equals
  // `expected_current` (null = must be absent), make it `restore_to` (a whole row,
  // or null = delete it). Otherwise writes nothing and reports kConflict with the
  // row found (or kAlreadyRestored when it already equals `restore_to`). The same
  // call is a guarded forward write for a journal that records the pre-image
  // before the effect: ReadRow, record the intent, then RestoreRow(key, pre_image,
  // desired row) writes only if nothing changed in between.
  virtual Result<RestoreResult> RestoreRow(const std::string& table, const nlohmann::json& key,
                                           const nlohmann::json& expected_current,
                                           const nlohmann::json& restore_to) = 0;

  // Runs any one statement in its own transaction (or the open dry run) and
  // returns the number of rows it changed. Nothing is journaled here.
  virtual Result<int64_t> Execute(const std::string& sql, const nlohmann::json& params) = 0;

  // Opens a dry-run scope (see DryRun). FailedPrecondition when one is open.
  virtual Result<std::unique_ptr<DryRun>> BeginDryRun() = 0;

 protected:
  friend class DryRun;
  virtual void EndDryRun() = 0;
};

// Opens the database `options.dsn` names: connects (PostgreSQL) or opens the file
// (SQLite, which must exist). InvalidArgument/Unavailable when it cannot.
// PostgreSQL: FailedPrecondition naming allow_privileged_role when the session
// user or current role could act through a read-only query (a superuser or a
// member of one; a member of pg_signal_backend, pg_execute_server_program,
// pg_write_server_files or pg_read_server_files; a role that may execute,
// itself or through a role it is a member of, lo_export, lo_import,
// pg_read_file, pg_read_binary_file, pg_ls_dir, a superuser-only server function
// (pg_reload_conf, pg_promote, …), an adminpack file function or a dblink
// function), unless options.allow_privileged_role.
Result<std::unique_ptr<SqlDatabase>> OpenSqlDatabase(const SqlDatabaseOptions& options);

}  // namespace ward::sql
