#include "connectors/sql/sql_connector.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "connectors/sql/sql_internal.h"

namespace ward::sql {

// "postgresql://host:port/dbname" from a libpq DSN: which database the journal's
// entries were written to, without the user, the password or any other setting.
std::string PostgresEndpoint(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (error) PQfreemem(error);
  if (!options) return "postgresql";
  std::string host, port, dbname;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    std::string key = o->keyword, value = o->val ? o->val : "";
    if (key == "host" || key == "hostaddr") host = host.empty() ? value : host;
    if (key == "port") port = value;
    if (key == "dbname") dbname = value;
  }
  PQconninfoFree(options);
  return "postgresql://" + host + (port.empty() ? "" : ":" + port) + "/" + dbname;
}

std::vector<GuestErrorType> SqlErrorTypes() {
  return {{"SqlError", "BindingError",
           "The database refused the call or the statement; the message says why."},
          {"SqlConflictError", "SqlError",
           "The row changed since ward read it (and since any approver saw it); nothing was "
           "written. Read it again and decide whether the change still applies."}};
}

SqlConnector::SqlConnector(SqlConnectorConfig config, std::unique_ptr<SqlDatabase> db,
                           std::string endpoint)
    : config_(std::move(config)), db_(std::move(db)), endpoint_(std::move(endpoint)) {}

Result<std::unique_ptr<SqlConnector>> SqlConnector::Open(const SqlConnectorConfig& config,
                                                         Clock* clock) {
  std::string dsn = config.dsn;
  if (dsn.empty()) {
    const char* env = std::getenv(config.dsn_env.c_str());
    if (!env || !*env)
      return InvalidArgument("[connectors." + config.name + "] dsn_env = \"" + config.dsn_env +
                             "\" but that variable is not set");
    dsn = env;
  }
  WARD_ASSIGN_OR_RETURN(SqlDsn parsed, ParseSqlDsn(dsn));
  SqlDatabaseOptions options;
  options.dsn = dsn;
  options.limits.statement_timeout = std::chrono::milliseconds(config.statement_timeout_ms);
  options.limits.row_limit = static_cast<size_t>(config.row_limit);
  options.clock = clock;
  auto db = OpenSqlDatabase(options);
  if (!db.ok()) return db.status().WithContext("[connectors." + config.name + "]");
  std::string endpoint = parsed.engine == SqlEngine::kSqlite ? "sqlite:" + parsed.target
                                                             : PostgresEndpoint(parsed.target);
  return std::unique_ptr<SqlConnector>(
      new SqlConnector(config, std::move(db).value(), std::move(endpoint)));
}

std::vector<Binding> MakeSqlBindings(const SqlCallContext& ctx) {
  struct Spec {
    const char* op;
    const char* signature;
    const char* doc;
  };
  const Spec specs[] = {
      {"query", "query(sql, params=None)",
       "Run one read-only SQL statement (the database refuses writes). Parameters are a list "
       "bound to $1, $2, … — never put values into the SQL text. Returns {'columns': [...], "
       "'rows': [{column: value}], 'truncated': bool}."},
      {"insert", "insert(table, row)",
       "Insert one row (a dict column -> value) into an allowed table; returns the row as "
       "stored. Journaled: ward rollback deletes it while it is unchanged."},
      {"update", "update(table, key, changes)",
       "Set `changes` (a dict of non-key columns) on the row whose primary key is `key` (a dict); "
       "returns the row as stored. Raises SqlConflictError if the row changed since it was read."},
      {"delete", "delete(table, key)",
       "Delete the row whose primary key is `key` (a dict). Raises SqlConflictError if the row "
       "changed since it was read."},
      {"execute", "execute(sql, params=None)",
       "Run any other single SQL statement; returns {'rows_changed': n}. It cannot be undone, so "
       "the policy asks a person by default. Prefer insert/update/delete for row changes."},
  };
  std::vector<Binding> out;
  for (const Spec& s : specs) {
    std::string op = s.op;
    Binding b{ctx.config.name + "." + op, s.signature, s.doc, OperationOf(op),
              [ctx, op](const BindingContext& context, const std::string& args) {
                return RunSqlCall(ctx, op, args, context.prepared);
              }};
    b.prepare = [db = ctx.db, config = ctx.config, op](const std::string& args) {
      return PrepareSqlCall(*db, config, op, args);
    };
    b.raises = SqlErrorTypes();
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<Binding> SqlConnector::Bindings(JournalScope* scope) {
  return MakeSqlBindings(SqlCallContext{db_, config_, endpoint_, scope});
}

Result<std::unique_ptr<Compensator>> SqlConnector::NewCompensator(const JournalEntry& entry) {
  if (entry.endpoint != endpoint_)
    return FailedPrecondition("journal entry " + std::to_string(entry.id) + " was written to " +
                              entry.endpoint + ", but [connectors." + config_.name + "] is now " +
                              endpoint_ + "; it can only be undone there");
  return NewSqlCompensator(SqlCallContext{db_, config_, endpoint_, nullptr});
}

}  // namespace ward::sql
