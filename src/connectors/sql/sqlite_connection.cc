// The SQLite driver of SqlDatabase. One connection per instance; the statement
// timeout is a progress handler on the injected clock; the authorizer refuses
// ATTACH/DETACH, PRAGMA assignments and transaction control from statements, and
// on a reading connection everything but reads.
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "connectors/sql/internal/sql_connection.h"
#include "store/sqlite_util.h"

namespace ward::sql::internal {

namespace {

// PRAGMAs with an argument that only read (e.g. table_info(t)); any other
// PRAGMA with a value is an assignment and refused.
bool IsReadingPragma(const char* name) {
  static constexpr const char* kReading[] = {"table_info",   "table_xinfo", "index_list",
                                             "index_info",   "index_xinfo", "foreign_key_list",
                                             "function_list"};
  for (const char* r : kReading) {
    if (sqlite3_stricmp(name, r) == 0) return true;
  }
  return false;
}

Status StatusFromSqlite(sqlite3* db, int rc, const std::string& what) {
  std::string message = "sqlite " + what + ": " + sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_AUTH:
    case SQLITE_READONLY:
      return PermissionDenied("the database refused this statement (" + message + ")");
    case SQLITE_CONSTRAINT:
      return FailedPrecondition(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(message);
    case SQLITE_INTERRUPT:
      return DeadlineExceeded("statement timeout: " + message);
    case SQLITE_ERROR:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return InvalidArgument(message);
    default:
      return Internal(message);
  }
}

struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtCloser>;

class SqliteConnection : public SqlConnection {
 public:
  SqliteConnection(SqliteDb db, bool read_only, Clock* clock)
      : db_(std::move(db)), read_only_(read_only), clock_(clock) {}

  Status Configure();

  Result<StatementResult> Run(const std::string& sql, const nlohmann::json& params,
                              const SqlLimits& limits) override;
  Status Control(const std::string& sql) override;
  Status BeginRead(const SqlLimits& limits) override { return Status::Ok(); }
  Status EndRead() override { return Status::Ok(); }
  Status BeginWrite(const SqlLimits& limits) override;
  Result<ResolvedTable> Describe(const std::string& name) override;
  const char* LockRowSuffix() const override { return ""; }

 private:
  static int Authorize(void* self, int action, const char* a1, const char* a2, const char*,
                       const char*);
  static int Progress(void* self);
  Result<StmtPtr> PrepareOne(const std::string& sql);
  Status Bind(sqlite3_stmt* stmt, const nlohmann::json& params);
  Status BindValue(sqlite3_stmt* stmt, int index, const nlohmann::json& value);
  Result<nlohmann::json> ReadRow(sqlite3_stmt* stmt, const SqlLimits& limits, size_t* result_bytes);

  SqliteDb db_;
  bool read_only_;
  Clock* clock_;
  bool in_control_ = false;  // ward's own statement: transaction control allowed
  int64_t deadline_micros_ = 0;
};

int SqliteConnection::Authorize(void* self, int action, const char* a1, const char* a2, const char*,
                                const char*) {
  auto* c = static_cast<SqliteConnection*>(self);
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return SQLITE_DENY;
    case SQLITE_PRAGMA:
      return a2 == nullptr || IsReadingPragma(a1) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return c->in_control_ ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    default:
      return c->read_only_ ? SQLITE_DENY : SQLITE_OK;
  }
}

int SqliteConnection::Progress(void* self) {
  auto* c = static_cast<SqliteConnection*>(self);
  return c->clock_->MonotonicMicros() > c->deadline_micros_ ? 1 : 0;
}

Status SqliteConnection::Configure() {
  sqlite3* db = db_.get();
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  // No string or blob, final or intermediate (printf('%.*c', …), replace(…)),
  // may grow past 16 MiB: one statement cannot make the host allocate gigabytes.
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 16 << 20);
  sqlite3_extended_result_codes(db, 1);
  int off = 0, on = 1;
  if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) != SQLITE_OK ||
      sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &off) != SQLITE_OK ||
      sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &off) != SQLITE_OK) {
    return Internal("sqlite: cannot configure the connection");
  }
  WARD_RETURN_IF_ERROR(ExecSql(db, read_only_ ? "PRAGMA query_only=1" : "PRAGMA foreign_keys=ON"));
  sqlite3_set_authorizer(db, &SqliteConnection::Authorize, this);
  sqlite3_progress_handler(db, 1000, &SqliteConnection::Progress, this);
  return Status::Ok();
}

Result<StmtPtr> SqliteConnection::PrepareOne(const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return StatusFromSqlite(db_.get(), rc, "prepare");
  if (!stmt) return InvalidArgument("the SQL text holds no statement");
  // Anything but comments and blanks after the first statement is a second one.
  if (tail && *tail) {
    sqlite3_stmt* next = nullptr;
    rc = sqlite3_prepare_v2(db_.get(), tail, -1, &next, nullptr);
    sqlite3_finalize(next);
    if (rc != SQLITE_OK || next != nullptr) {
      return InvalidArgument("one statement per call: the SQL text holds more than one");
    }
  }
  return stmt;
}

Status SqliteConnection::BindValue(sqlite3_stmt* stmt, int index, const nlohmann::json& v) {
  int rc = SQLITE_OK;
  if (v.is_null()) {
    rc = sqlite3_bind_null(stmt, index);
  } else if (v.is_boolean()) {
    rc = sqlite3_bind_int64(stmt, index, v.get<bool>() ? 1 : 0);
  } else if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      return InvalidArgument("parameter $" + std::to_string(index) + " is out of integer range");
    }
    rc = sqlite3_bind_int64(stmt, index, static_cast<int64_t>(u));
  } else if (v.is_number_integer()) {
    rc = sqlite3_bind_int64(stmt, index, v.get<int64_t>());
  } else if (v.is_number_float()) {
    rc = sqlite3_bind_double(stmt, index, v.get<double>());
  } else {
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    rc = sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                           SQLITE_TRANSIENT);
  }
  return rc == SQLITE_OK ? Status::Ok() : StatusFromSqlite(db_.get(), rc, "bind");
}

// Placeholders must be $1..$N, each of the N parameters used.
Status SqliteConnection::Bind(sqlite3_stmt* stmt, const nlohmann::json& params) {
  const size_t given = params.is_array() ? params.size() : 0;
  std::vector<bool> used(given, false);
  const int count = sqlite3_bind_parameter_count(stmt);
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    char* end = nullptr;
    long n = name && name[0] == '$' && std::isdigit(static_cast<unsigned char>(name[1]))
                 ? std::strtol(name + 1, &end, 10)
                 : 0;
    if (n <= 0 || *end != '\0') {
      return InvalidArgument("placeholders are $1, $2, …; not " + std::string(name ? name : "?"));
    }
    if (static_cast<size_t>(n) > given) {
      return InvalidArgument("the statement uses $" + std::to_string(n) + " but only " +
                             std::to_string(given) + " parameters were given");
    }
    used[n - 1] = true;
    WARD_RETURN_IF_ERROR(BindValue(stmt, i, params[n - 1]));
  }
  for (size_t i = 0; i < given; ++i) {
    if (!used[i]) return InvalidArgument("parameter $" + std::to_string(i + 1) + " is not used");
  }
  return Status::Ok();
}

// Reads the current row, adding each value to `*result_bytes` (see ResultBytes)
// before it is copied: past the budget nothing more is read.
Result<nlohmann::json> SqliteConnection::ReadRow(sqlite3_stmt* stmt, const SqlLimits& limits,
                                                 size_t* result_bytes) {
  nlohmann::json row = nlohmann::json::object();
  const int n = sqlite3_column_count(stmt);
  for (int i = 0; i < n; ++i) {
    const std::string name = sqlite3_column_name(stmt, i);
    const int type = sqlite3_column_type(stmt, i);
    // Asking a text value its length does not convert it; numbers count 8.
    *result_bytes += ResultBytes(
        name.size(), type == SQLITE_TEXT ? static_cast<size_t>(sqlite3_column_bytes(stmt, i)) : 0);
    if (*result_bytes > limits.max_result_bytes) return ResultTooLarge(limits);
    switch (type) {
      case SQLITE_NULL:
        row[name] = nullptr;
        break;
      case SQLITE_INTEGER:
        row[name] = static_cast<int64_t>(sqlite3_column_int64(stmt, i));
        break;
      case SQLITE_FLOAT: {
        double d = sqlite3_column_double(stmt, i);
        if (std::isnan(d)) {
          row[name] = "NaN";
        } else if (std::isinf(d)) {
          row[name] = d > 0 ? "Infinity" : "-Infinity";
        } else {
          row[name] = d;
        }
        break;
      }
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        size_t len = static_cast<size_t>(sqlite3_column_bytes(stmt, i));
        if (len > limits.max_value_bytes) {
          return ResourceExhausted("column " + name + " holds " + std::to_string(len) +
                                   " bytes, over the limit of " +
                                   std::to_string(limits.max_value_bytes));
        }
        std::string text(p ? p : "", len);
        row[name] = std::move(text);
        break;
      }
      default:
        return InvalidArgument("column " + name + " holds a blob; ward does not return blobs");
    }
  }
  return row;
}

Result<StatementResult> SqliteConnection::Run(const std::string& sql, const nlohmann::json& params,
                                              const SqlLimits& limits) {
  if (!params.is_null() && !params.is_array()) return InvalidArgument("params must be a list");
  deadline_micros_ = clock_->MonotonicMicros() + limits.statement_timeout.count() * 1000;
  sqlite3_busy_timeout(db_.get(), static_cast<int>(limits.statement_timeout.count()));
  WARD_ASSIGN_OR_RETURN(StmtPtr stmt, PrepareOne(sql));
  if (read_only_ && !sqlite3_stmt_readonly(stmt.get())) {
    return PermissionDenied("the database reports that this statement writes; a query only reads");
  }
  WARD_RETURN_IF_ERROR(Bind(stmt.get(), params));
  const int64_t changes_before = sqlite3_total_changes64(db_.get());
  StatementResult out;
  size_t result_bytes = 0;
  for (int i = 0; i < sqlite3_column_count(stmt.get()); ++i) {
    out.columns.push_back(sqlite3_column_name(stmt.get(), i));
  }
  while (true) {
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return StatusFromSqlite(db_.get(), rc, "step");
    if (out.rows.size() >= limits.row_limit) {
      out.truncated = true;
      break;
    }
    WARD_ASSIGN_OR_RETURN(nlohmann::json row, ReadRow(stmt.get(), limits, &result_bytes));
    out.rows.push_back(std::move(row));
  }
  // sqlite3_changes64 still holds an earlier statement's count after one that
  // changed nothing (e.g. CREATE TABLE).
  if (sqlite3_total_changes64(db_.get()) != changes_before) {
    out.rows_affected = sqlite3_changes64(db_.get());
  }
  return out;
}

Status SqliteConnection::Control(const std::string& sql) {
  in_control_ = true;
  deadline_micros_ = INT64_MAX;
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  in_control_ = false;
  return rc == SQLITE_OK ? Status::Ok() : StatusFromSqlite(db_.get(), rc, sql);
}

Status SqliteConnection::BeginWrite(const SqlLimits& limits) {
  sqlite3_busy_timeout(db_.get(), static_cast<int>(limits.statement_timeout.count()));
  return Control("BEGIN IMMEDIATE");
}

Result<ResolvedTable> SqliteConnection::Describe(const std::string& name) {
  SqlLimits limits;
  WARD_ASSIGN_OR_RETURN(
      StatementResult found,
      Run("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = $1 COLLATE NOCASE "
          "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
          nlohmann::json::array({name}), limits));
  if (found.rows.empty()) return NotFound("no table " + name);
  ResolvedTable t;
  const std::string real = found.rows[0]["name"].get<std::string>();
  t.info.name = name;
  t.sql_name = QuoteIdentifier(real);
  WARD_ASSIGN_OR_RETURN(StatementResult cols,
                        Run("PRAGMA table_info(" + QuoteIdentifier(real) + ")", nullptr, limits));
  std::vector<std::pair<int64_t, std::string>> key;
  for (const auto& c : cols.rows) {
    t.info.columns.push_back(
        {c["name"].get<std::string>(), c["type"].get<std::string>(), c["notnull"] != 0});
    if (c["pk"] != 0) key.emplace_back(c["pk"].get<int64_t>(), c["name"].get<std::string>());
  }
  std::sort(key.begin(), key.end());
  for (auto& [pos, col] : key) t.info.primary_key.push_back(col);
  return t;
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Result<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path, bool read_only,
                                                            Clock* clock) {
  sqlite3* raw = nullptr;
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    return InvalidArgument("cannot open SQLite database " + path + ": " +
                           (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  auto conn = std::make_unique<SqliteConnection>(std::move(db), read_only, clock);
  WARD_RETURN_IF_ERROR(conn->Configure());
  return std::unique_ptr<SqlConnection>(std::move(conn));
}

}  // namespace ward::sql::internal
