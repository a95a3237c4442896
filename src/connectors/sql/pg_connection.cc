// The PostgreSQL driver of SqlDatabase, over libpq. Statements go through the
// extended protocol (PQsendQueryParams: one statement, parameters bound as text
// with types inferred by the server), rows arrive one at a time so a large
// result never sits in memory (a read that stops taking rows cancels its
// statement on the server), and the statement timeout is the server's.
#include <libpq-fe.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "connectors/sql/internal/sql_connection.h"
#include "util/json_limits.h"

namespace ward::sql::internal {

namespace {

// Type OIDs of the built-in types mapped to JSON scalars (pg_type.dat).
constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
              kOidOid = 26, kJsonOid = 114, kFloat4Oid = 700, kFloat8Oid = 701, kJsonbOid = 3802;

struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultCloser>;

std::string Trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

Status StatusFromPg(const PGresult* r, const char* fallback) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = "postgresql: " + Trimmed(r ? PQresultErrorMessage(r) : fallback);
  std::string code = state ? state : "";
  std::string cls = code.substr(0, 2);
  if (code == "25006") {
    return PermissionDenied("the database refused a write in a read-only transaction (" + message +
                            ")");
  }
  if (code == "08P01") return InvalidArgument(message);  // e.g. a parameter count mismatch
  if (code == "57014") return DeadlineExceeded("statement timeout: " + message);
  if (code == "42501") return PermissionDenied(message);
  if (code == "40001" || code == "40P01" || code == "55P03" || cls == "08") {
    return Unavailable(message);
  }
  if (cls == "23") return FailedPrecondition(message);
  if (cls == "53" || cls == "54") return ResourceExhausted(message);
  if (cls == "22" || cls == "42" || cls == "0A" || cls == "21") return InvalidArgument(message);
  return Internal(message);
}

// The first keyword of `sql`, upper-cased, after blanks and comments.
std::string LeadingKeyword(const std::string& sql) {
  size_t i = 0;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      i = sql.find('\n', i);
      if (i == std::string::npos) return "";
    } else if (sql.compare(i, 2, "/*") == 0) {
      int depth = 0;  // PostgreSQL's block comments nest
      do {
        if (sql.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (sql.compare(i, 2, "*/") == 0) {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      } while (depth > 0 && i < sql.size());
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  }
  return word;
}

// Statements that would end or split ward's transaction. The extended protocol
// runs one statement, and procedures cannot commit inside a transaction block, so
// only these can.
bool IsTransactionControl(const std::string& sql) {
  static constexpr const char* kControl[] = {"BEGIN", "START",     "COMMIT",  "END",    "ROLLBACK",
                                             "ABORT", "SAVEPOINT", "RELEASE", "PREPARE"};
  const std::string word = LeadingKeyword(sql);
  for (const char* c : kControl) {
    if (word == c) return true;
  }
  return false;
}

Result<std::optional<std::string>> ParamText(const nlohmann::json& v, size_t index) {
  if (v.is_null()) return std::optional<std::string>();
  if (v.is_boolean()) return std::optional<std::string>(v.get<bool>() ? "true" : "false");
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isnan(d)) return std::optional<std::string>("NaN");
    if (std::isinf(d)) return std::optional<std::string>(d > 0 ? "Infinity" : "-Infinity");
    return std::optional<std::string>(v.dump());
  }
  if (v.is_number()) return std::optional<std::string>(v.dump());
  std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  if (text.find('\0') != std::string::npos) {
    return InvalidArgument("parameter $" + std::to_string(index + 1) +
                           " holds a NUL character, which PostgreSQL text cannot");
  }
  return std::optional<std::string>(std::move(text));
}

Result<nlohmann::json> PgValue(const PGresult* r, int col, const SqlLimits& limits) {
  if (PQgetisnull(r, 0, col)) return nlohmann::json(nullptr);
  const std::string name = PQfname(r, col);
  const Oid type = PQftype(r, col);
  if (type == kByteaOid)
    return InvalidArgument("column " + name + " holds bytea; ward does not return blobs");
  const size_t len = static_cast<size_t>(PQgetlength(r, 0, col));
  if (len > limits.max_value_bytes) {
    return ResourceExhausted("column " + name + " holds " + std::to_string(len) +
                             " bytes, over the limit of " + std::to_string(limits.max_value_bytes));
  }
  std::string text(PQgetvalue(r, 0, col), len);
  switch (type) {
    case kBoolOid:
      return nlohmann::json(text == "t");
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return nlohmann::json(static_cast<int64_t>(std::strtoll(text.c_str(), nullptr, 10)));
    case kFloat4Oid:
    case kFloat8Oid:
      if (text == "NaN" || text == "Infinity" || text == "-Infinity") return nlohmann::json(text);
      return nlohmann::json(std::strtod(text.c_str(), nullptr));
    case kJsonOid:
    case kJsonbOid: {
      auto parsed = ParseJson(text);
      if (!parsed.ok()) return parsed.status().WithContext("column " + name);
      return std::move(parsed).value();
    }
    default:
      return nlohmann::json(std::move(text));
  }
}

// Numbers and booleans count 8 bytes in a result's size, as on SQLite.
bool IsScalarType(Oid type) {
  switch (type) {
    case kBoolOid:
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
    case kFloat4Oid:
    case kFloat8Oid:
      return true;
    default:
      return false;
  }
}

// The row libpq holds, adding each value to `*result_bytes` (see ResultBytes)
// before it is converted: past the budget nothing more is kept.
Result<nlohmann::json> PgRow(const PGresult* r, const SqlLimits& limits, size_t* result_bytes) {
  nlohmann::json row = nlohmann::json::object();
  for (int c = 0; c < PQnfields(r); ++c) {
    const bool counted_as_text = !PQgetisnull(r, 0, c) && !IsScalarType(PQftype(r, c));
    *result_bytes += ResultBytes(std::strlen(PQfname(r, c)),
                                 counted_as_text ? static_cast<size_t>(PQgetlength(r, 0, c)) : 0);
    if (*result_bytes > limits.max_result_bytes) return ResultTooLarge(limits);
    WARD_ASSIGN_OR_RETURN(row[PQfname(r, c)], PgValue(r, c, limits));
  }
  return row;
}

bool ChangesRows(const PGresult* r) {
  const char* tag = PQcmdStatus(const_cast<PGresult*>(r));
  for (const char* verb : {"INSERT", "UPDATE", "DELETE", "MERGE"}) {
    if (std::strncmp(tag, verb, std::strlen(verb)) == 0) return true;
  }
  return false;
}

class PgConnection : public SqlConnection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }

  Result<StatementResult> Run(const std::string& sql, const nlohmann::json& params,
                              const SqlLimits& limits) override;
  Status Control(const std::string& sql) override;
  Status BeginRead(const SqlLimits& limits) override;
  // Rolls back, then drops what the query may have left on the session (e.g. a
  // session-level advisory lock).
  Status EndRead() override {
    reading_ = false;
    Status rolled_back = Control("ROLLBACK");
    ResetSession();
    return rolled_back;
  }
  Status BeginWrite(const SqlLimits& limits) override;
  void AbandonTransaction();
  Result<ResolvedTable> Describe(const std::string& name) override;
  const char* LockRowSuffix() const override { return " FOR UPDATE"; }
  void ResetSession() override {
    if (!Control("DISCARD ALL").ok()) needs_new_session_ = true;
  }

 private:
  Status EnsureConnected();
  // The server went away (the next transaction reconnects).
  bool Lost() const { return PQstatus(conn_) != CONNECTION_OK; }
  Status SetTimeout(const SqlLimits& limits) {
    return Control("SET LOCAL statement_timeout = " +
                   std::to_string(limits.statement_timeout.count()));
  }
  // Adds one of a statement's results to `out`; the first failure goes to
  // `*error` and what arrives after it is drained and dropped.
  void Collect(PGresult* r, const SqlLimits& limits, StatementResult* out, size_t* result_bytes,
               Status* error);

  // Asks the server to stop the running statement (its rows are no longer read).
  // A request that comes too late has no effect (libpq's PQcancel contract).
  bool CancelStatement();

  PGconn* conn_;
  bool needs_new_session_ = false;  // a reset failed: reconnect before the next transaction
  bool reading_ = false;            // inside BeginRead … EndRead: a statement may be cancelled
};

bool PgConnection::CancelStatement() {
  PGcancel* cancel = PQgetCancel(conn_);
  if (!cancel) return false;
  char error[256];
  bool sent = PQcancel(cancel, error, sizeof(error)) == 1;
  PQfreeCancel(cancel);
  return sent;
}

// The server's answer to a cancel request (or to its statement timeout).
bool IsCancelled(const PGresult* r) {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return PQresultStatus(r) == PGRES_FATAL_ERROR && state && std::strcmp(state, "57014") == 0;
}

Status PgConnection::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK && !needs_new_session_) return Status::Ok();
  needs_new_session_ = false;
  PQreset(conn_);
  if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  return Unavailable("postgresql: connection lost: " + Trimmed(PQerrorMessage(conn_)));
}

void PgConnection::Collect(PGresult* r, const SqlLimits& limits, StatementResult* out,
                           size_t* result_bytes, Status* error) {
  switch (PQresultStatus(r)) {
    case PGRES_SINGLE_TUPLE:
    case PGRES_TUPLES_OK:
      if (out->columns.empty()) {
        for (int c = 0; c < PQnfields(r); ++c) out->columns.push_back(PQfname(r, c));
      }
      if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        if (ChangesRows(r)) out->rows_affected = std::atoll(PQcmdTuples(r));
      } else if (error->ok() && out->rows.size() >= limits.row_limit) {
        out->truncated = true;
      } else if (error->ok()) {
        auto row = PgRow(r, limits, result_bytes);
        if (row.ok()) {
          out->rows.push_back(std::move(row).value());
        } else {
          *error = row.status();
        }
      }
      break;
    case PGRES_COMMAND_OK:
      out->rows_affected = std::atoll(PQcmdTuples(r));
      break;
    case PGRES_COPY_IN:
      PQputCopyEnd(conn_, "ward does not stream COPY");
      if (error->ok()) *error = InvalidArgument("COPY from the client is not supported");
      break;
    case PGRES_COPY_OUT: {
      char* buffer = nullptr;
      while (PQgetCopyData(conn_, &buffer, 0) > 0) PQfreemem(buffer);
      if (error->ok()) *error = InvalidArgument("COPY to the client is not supported");
      break;
    }
    default:
      if (error->ok()) *error = StatusFromPg(r, "statement failed");
  }
}

Result<StatementResult> PgConnection::Run(const std::string& sql, const nlohmann::json& params,
                                          const SqlLimits& limits) {
  if (!params.is_null() && !params.is_array()) return InvalidArgument("params must be a list");
  if (IsTransactionControl(sql)) {
    return PermissionDenied(
        "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, …) is "
        "ward's: a statement may not end or split its transaction");
  }
  // Never reconnects here: a statement inside a transaction must not silently
  // run in a new session. Only the start of a transaction reconnects.
  if (PQstatus(conn_) != CONNECTION_OK) return Unavailable("postgresql: connection lost");
  std::vector<std::optional<std::string>> texts;
  for (size_t i = 0; params.is_array() && i < params.size(); ++i) {
    WARD_ASSIGN_OR_RETURN(auto text, ParamText(params[i], i));
    texts.push_back(std::move(text));
  }
  std::vector<const char*> values;
  for (const auto& t : texts) values.push_back(t ? t->c_str() : nullptr);
  const bool in_transaction = PQtransactionStatus(conn_) != PQTRANS_IDLE;
  if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0)) {
    return Unavailable("postgresql: " + Trimmed(PQerrorMessage(conn_)));
  }
  PQsetSingleRowMode(conn_);
  StatementResult out;
  size_t result_bytes = 0;
  Status error;
  bool cancelled = false;
  while (PGresult* raw = PQgetResult(conn_)) {
    PgResult r(raw);
    if (cancelled && IsCancelled(r.get())) continue;  // what was read stands
    Collect(r.get(), limits, &out, &result_bytes, &error);
    // A read that stops taking rows (the row limit, the result budget, a refused
    // value) stops the server too, rather than draining the rest until the
    // timeout. Never in a writing transaction: cancelling would undo the write.
    if (reading_ && !cancelled && PQresultStatus(r.get()) == PGRES_SINGLE_TUPLE &&
        (out.truncated || !error.ok())) {
      cancelled = CancelStatement();
    }
  }
  if (!error.ok()) return Lost() ? Unavailable(error.message()) : error;
  if (in_transaction && PQtransactionStatus(conn_) == PQTRANS_IDLE) {
    return Internal("postgresql: the statement ended ward's transaction");
  }
  return out;
}

Status PgConnection::Control(const std::string& sql) {
  if (PQstatus(conn_) != CONNECTION_OK) return Unavailable("postgresql: connection lost");
  PgResult r(PQexec(conn_, sql.c_str()));
  if (r && PQresultStatus(r.get()) == PGRES_COMMAND_OK) return Status::Ok();
  Status error = StatusFromPg(r.get(), PQerrorMessage(conn_));
  return Lost() ? Unavailable(error.message()) : error;
}

Status PgConnection::BeginRead(const SqlLimits& limits) {
  WARD_RETURN_IF_ERROR(EnsureConnected());
  WARD_RETURN_IF_ERROR(Control("BEGIN READ ONLY"));
  reading_ = true;
  Status timed = SetTimeout(limits);
  if (!timed.ok()) AbandonTransaction();
  return timed;
}

Status PgConnection::BeginWrite(const SqlLimits& limits) {
  WARD_RETURN_IF_ERROR(EnsureConnected());
  WARD_RETURN_IF_ERROR(Control("BEGIN"));
  Status timed = SetTimeout(limits);
  if (!timed.ok()) AbandonTransaction();
  return timed;
}

// A transaction begun whose timeout could not be set is not used: it is rolled
// back, and when even that fails the next call starts on a new session.
void PgConnection::AbandonTransaction() {
  reading_ = false;
  if (!Control("ROLLBACK").ok()) needs_new_session_ = true;
}

// "name" or "schema.name", quoted for to_regclass.
std::string RegclassText(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == std::string::npos) return QuoteIdentifier(name);
  return QuoteIdentifier(name.substr(0, dot)) + "." + QuoteIdentifier(name.substr(dot + 1));
}

Result<ResolvedTable> PgConnection::Describe(const std::string& name) {
  SqlLimits limits;
  WARD_ASSIGN_OR_RETURN(
      StatementResult found,
      Run("SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name "
          "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
          "WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p') "
          "AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'",
          nlohmann::json::array({RegclassText(name)}), limits));
  if (found.rows.empty()) return NotFound("no table " + name);
  const nlohmann::json& t = found.rows[0];
  ResolvedTable out;
  out.info.name = name;
  out.sql_name = QuoteIdentifier(t["schema"].get<std::string>()) + "." +
                 QuoteIdentifier(t["name"].get<std::string>());
  const nlohmann::json oid = nlohmann::json::array({t["oid"]});
  WARD_ASSIGN_OR_RETURN(
      StatementResult cols,
      Run("SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, "
          "a.attnotnull AS not_null FROM pg_catalog.pg_attribute a "
          "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
          oid, limits));
  for (const auto& c : cols.rows) {
    out.info.columns.push_back(
        {c["name"].get<std::string>(), c["type"].get<std::string>(), c["not_null"].get<bool>()});
  }
  WARD_ASSIGN_OR_RETURN(
      StatementResult key,
      Run("SELECT a.attname AS name FROM pg_catalog.pg_index i "
          "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
          "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
          "WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY k.ord",
          oid, limits));
  for (const auto& k : key.rows) out.info.primary_key.push_back(k["name"].get<std::string>());
  return out;
}

}  // namespace

namespace {

// Session settings that fix the text form of values (times, dates, floats), so a
// row read now compares equal to the same row read by another connection later:
// RestoreRow's If-Match depends on it. They are session defaults (given at
// connect), so DISCARD ALL restores them.
constexpr const char* kSessionOptions =
    "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1";

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenPgConnection(const std::string& conninfo) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  // libpq's message may quote part of the DSN, which may hold a password.
  PQfreemem(parse_error);
  if (!parsed)
    return InvalidArgument("the PostgreSQL dsn does not parse as a libpq conninfo or URL");
  std::vector<std::string> keys, values;
  std::string options, timeout = "10";
  for (PQconninfoOption* o = parsed; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string key = o->keyword;
    if (key == "options") {
      options = o->val;
    } else if (key == "connect_timeout") {
      timeout = o->val;
    } else if (key != "client_encoding" && key != "application_name") {
      keys.push_back(key);
      values.push_back(o->val);
    }
  }
  PQconninfoFree(parsed);
  keys.insert(keys.end(), {"options", "connect_timeout", "client_encoding", "application_name"});
  values.insert(values.end(), {options.empty() ? kSessionOptions : options + " " + kSessionOptions,
                               timeout, "UTF8", "ward"});
  std::vector<const char*> key_ptrs, value_ptrs;
  for (size_t i = 0; i < keys.size(); ++i) {
    key_ptrs.push_back(keys[i].c_str());
    value_ptrs.push_back(values[i].c_str());
  }
  key_ptrs.push_back(nullptr);
  value_ptrs.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(key_ptrs.data(), value_ptrs.data(), /*expand_dbname=*/0);
  if (!conn) return Unavailable("postgresql: out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Unavailable("postgresql: cannot connect: " + message);
  }
  // Server notices (a statement's RAISE NOTICE, a ROLLBACK with nothing to roll
  // back) are not ward's output: libpq would print them on stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<SqlConnection>(std::make_unique<PgConnection>(conn));
}

}  // namespace ward::sql::internal
