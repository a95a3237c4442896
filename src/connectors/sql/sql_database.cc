// SqlDatabase over two SqlConnections of one engine: a reading one (queries and
// the catalog) and a writing one (row writes, Execute, the dry run). The row-write
// logic here is the same for SQLite and PostgreSQL.
#include "connectors/sql/sql_database.h"

#include <functional>
#include <mutex>

#include "connectors/sql/internal/sql_connection.h"
#include "connectors/sql/row_sql.h"

namespace ward::sql {

namespace {

using internal::BoundSql;
using internal::ResolvedTable;
using internal::SqlConnection;
using nlohmann::json;

constexpr const char* kSavepoint = "ward_write";

// Both engines stop reading SQL text at a NUL, so a statement holding one would
// run only a prefix of what the policy saw.
Status CheckStatementText(const std::string& sql) {
  if (sql.find('\0') != std::string::npos)
    return InvalidArgument("the SQL text holds a NUL character");
  return Status::Ok();
}

class SqlDatabaseImpl : public SqlDatabase {
 public:
  SqlDatabaseImpl(SqlEngine engine, const SqlLimits& limits, std::unique_ptr<SqlConnection> reader,
                  std::unique_ptr<SqlConnection> writer)
      : engine_(engine), limits_(limits), reader_(std::move(reader)), writer_(std::move(writer)) {}
  ~SqlDatabaseImpl() override { EndDryRun(); }

  SqlEngine engine() const override { return engine_; }
  const SqlLimits& limits() const override { return limits_; }

  Result<QueryResult> Query(const std::string& sql, const json& params) override {
    return Query(sql, params, limits_);
  }
  Result<QueryResult> Query(const std::string& sql, const json& params,
                            const SqlLimits& limits) override;
  Result<TableInfo> DescribeTable(const std::string& table) override;
  Result<json> ReadRow(const std::string& table, const json& key) override;
  Result<RowChange> Insert(const std::string& table, const json& row) override;
  Result<RowChange> Update(const std::string& table, const json& key, const json& changes) override;
  Result<RowChange> Delete(const std::string& table, const json& key) override;
  Result<RestoreResult> RestoreRow(const std::string& table, const json& key,
                                   const json& expected_current, const json& restore_to) override;
  Result<int64_t> Execute(const std::string& sql, const json& params) override;
  Result<std::unique_ptr<DryRun>> BeginDryRun() override;

 protected:
  void EndDryRun() override;

 private:
  Result<ResolvedTable> Resolve(const std::string& table);
  Result<ResolvedTable> ResolveForWrite(const std::string& table, const json& key);
  Result<json> SelectRow(SqlConnection* conn, const ResolvedTable& t, const json& key, bool lock);
  Status Write(const BoundSql& b);
  Status WriteRow(const ResolvedTable& t, const json& key, const json& current, const json& to);
  template <typename T>
  Result<T> InWrite(const std::function<Result<T>()>& body);

  const SqlEngine engine_;
  const SqlLimits limits_;
  std::mutex mu_;  // guards everything below
  std::unique_ptr<SqlConnection> reader_;
  std::unique_ptr<SqlConnection> writer_;
  bool dry_run_ = false;
  // A dry run whose rollback failed leaves the writing connection unusable.
  bool broken_ = false;
};

// Runs `body` in a transaction that commits when it succeeds (a savepoint inside
// the dry run's transaction while one is open) and rolls back when it fails.
template <typename T>
Result<T> SqlDatabaseImpl::InWrite(const std::function<Result<T>()>& body) {
  if (broken_) return Internal("a dry run could not be rolled back; reopen the database");
  const std::string savepoint = kSavepoint;
  WARD_RETURN_IF_ERROR(dry_run_ ? writer_->Control("SAVEPOINT " + savepoint)
                                : writer_->BeginWrite(limits_));
  Result<T> result = body();
  if (dry_run_) {
    if (result.ok()) {
      WARD_RETURN_IF_ERROR(writer_->Control("RELEASE SAVEPOINT " + savepoint));
      return result;
    }
    Status undone = writer_->Control("ROLLBACK TO SAVEPOINT " + savepoint);
    if (undone.ok()) undone = writer_->Control("RELEASE SAVEPOINT " + savepoint);
    if (!undone.ok()) broken_ = true;
    return result;
  }
  if (!result.ok()) {
    // A failed ROLLBACK leaves nothing committed: the engine already ended the
    // transaction (SQLite after some errors) or the connection is gone.
    Status rolled_back = writer_->Control("ROLLBACK");
    static_cast<void>(rolled_back);
    return result;
  }
  Status committed = writer_->Control("COMMIT");
  if (!committed.ok()) {
    // A COMMIT that failed (a deferred constraint, SQLite busy) must not leave the
    // transaction open for the next write; PostgreSQL has already ended it.
    Status rolled_back = writer_->Control("ROLLBACK");
    static_cast<void>(rolled_back);
    return committed;
  }
  return result;
}

Result<QueryResult> SqlDatabaseImpl::Query(const std::string& sql, const json& params,
                                           const SqlLimits& limits) {
  std::lock_guard lock(mu_);
  WARD_RETURN_IF_ERROR(CheckStatementText(sql));
  WARD_RETURN_IF_ERROR(reader_->BeginRead(limits));
  auto ran = reader_->Run(sql, params, limits);
  Status ended = reader_->EndRead();
  if (!ran.ok()) return ran.status();
  WARD_RETURN_IF_ERROR(ended);
  return QueryResult{std::move(ran->columns), std::move(ran->rows), ran->truncated};
}

Result<ResolvedTable> SqlDatabaseImpl::Resolve(const std::string& table) {
  WARD_RETURN_IF_ERROR(reader_->BeginRead(limits_));
  auto resolved = reader_->Describe(table);
  Status ended = reader_->EndRead();
  if (!resolved.ok()) return resolved.status();
  WARD_RETURN_IF_ERROR(ended);
  return resolved;
}

Result<ResolvedTable> SqlDatabaseImpl::ResolveForWrite(const std::string& table, const json& key) {
  WARD_ASSIGN_OR_RETURN(ResolvedTable t, Resolve(table));
  WARD_RETURN_IF_ERROR(internal::CheckHasPrimaryKey(t));
  WARD_RETURN_IF_ERROR(internal::CheckKey(t, key));
  return t;
}

Result<TableInfo> SqlDatabaseImpl::DescribeTable(const std::string& table) {
  std::lock_guard lock(mu_);
  WARD_ASSIGN_OR_RETURN(ResolvedTable t, Resolve(table));
  return t.info;
}

Result<json> SqlDatabaseImpl::SelectRow(SqlConnection* conn, const ResolvedTable& t,
                                        const json& key, bool lock) {
  BoundSql b = internal::SelectRowSql(t, key, lock ? conn->LockRowSuffix() : "");
  WARD_ASSIGN_OR_RETURN(auto ran, conn->Run(b.sql, b.params, limits_));
  if (ran.rows.empty()) return json(nullptr);
  return std::move(ran.rows[0]);
}

Status SqlDatabaseImpl::Write(const BoundSql& b) {
  if (b.sql.empty()) return Status::Ok();
  WARD_ASSIGN_OR_RETURN(auto ran, writer_->Run(b.sql, b.params, limits_));
  static_cast<void>(ran);  // the post-image is read back by key
  return Status::Ok();
}

Result<json> SqlDatabaseImpl::ReadRow(const std::string& table, const json& key) {
  std::lock_guard lock(mu_);
  WARD_ASSIGN_OR_RETURN(ResolvedTable t, ResolveForWrite(table, key));
  WARD_RETURN_IF_ERROR(reader_->BeginRead(limits_));
  auto row = SelectRow(reader_.get(), t, key, false);
  Status ended = reader_->EndRead();
  if (!row.ok()) return row.status();
  WARD_RETURN_IF_ERROR(ended);
  return row;
}

Result<RowChange> SqlDatabaseImpl::Insert(const std::string& table, const json& row) {
  std::lock_guard lock(mu_);
  WARD_ASSIGN_OR_RETURN(ResolvedTable t, Resolve(table));
  WARD_RETURN_IF_ERROR(internal::CheckHasPrimaryKey(t));
  WARD_RETURN_IF_ERROR(internal::CheckColumns(t, row, "the row"));
  WARD_ASSIGN_OR_RETURN(json key, internal::KeyOf(t, row));
  return InWrite<RowChange>([&]() -> Result<RowChange> {
    WARD_ASSIGN_OR_RETURN(json before, SelectRow(writer_.get(), t, key, true));
    if (!before.is_null()) return AlreadyExists("a row with that key exists in " + table);
    WARD_RETURN_IF_ERROR(Write(internal::InsertSql(t, row)));
    WARD_ASSIGN_OR_RETURN(json after, SelectRow(writer_.get(), t, key, false));
    return RowChange{json(nullptr), std::move(after)};
  });
}

Result<RowChange> SqlDatabaseImpl::Update(const std::string& table, const json& key,
                                          const json& changes) {
  std::lock_guard lock(mu_);
  WARD_ASSIGN_OR_RETURN(ResolvedTable t, ResolveForWrite(table, key));
  WARD_RETURN_IF_ERROR(internal::CheckColumns(t, changes, "the changes"));
  if (changes.empty()) return InvalidArgument("the changes name no column");
  for (const auto& column : t.info.primary_key) {
    if (changes.contains(column)) {
      return InvalidArgument("primary-key column " + column +
                             " cannot change; delete the row and insert it anew");
    }
  }
  return InWrite<RowChange>([&]() -> Result<RowChange> {
    WARD_ASSIGN_OR_RETURN(json before, SelectRow(writer_.get(), t, key, true));
    if (before.is_null()) return NotFound("no row with that key in " + table);
    WARD_RETURN_IF_ERROR(Write(internal::UpdateSql(t, key, changes)));
    WARD_ASSIGN_OR_RETURN(json after, SelectRow(writer_.get(), t, key, false));
    return RowChange{std::move(before), std::move(after)};
  });
}

Result<RowChange> SqlDatabaseImpl::Delete(const std::string& table, const json& key) {
  std::lock_guard lock(mu_);
  WARD_ASSIGN_OR_RETURN(ResolvedTable t, ResolveForWrite(table, key));
  return InWrite<RowChange>([&]() -> Result<RowChange> {
    WARD_ASSIGN_OR_RETURN(json before, SelectRow(writer_.get(), t, key, true));
    if (before.is_null()) return NotFound("no row with that key in " + table);
    WARD_RETURN_IF_ERROR(Write(internal::DeleteSql(t, key)));
    return RowChange{std::move(before), json(nullptr)};
  });
}

// Makes the row at `key`, now `current`, into `to` (null = absent).
Status SqlDatabaseImpl::WriteRow(const ResolvedTable& t, const json& key, const json& current,
                                 const json& to) {
  if (to.is_null()) return Write(internal::DeleteSql(t, key));
  if (current.is_null()) return Write(internal::InsertSql(t, to));
  return Write(internal::UpdateSql(t, key, to));
}

Result<RestoreResult> SqlDatabaseImpl::RestoreRow(const std::string& table, const json& key,
                                                  const json& expected_current,
                                                  const json& restore_to) {
  std::lock_guard lock(mu_);
  WARD_ASSIGN_OR_RETURN(ResolvedTable t, ResolveForWrite(table, key));
  if (!expected_current.is_null() && !expected_current.is_object()) {
    return InvalidArgument("expected_current must be a row or null");
  }
  if (!restore_to.is_null()) {
    WARD_RETURN_IF_ERROR(internal::CheckColumns(t, restore_to, "restore_to"));
    WARD_ASSIGN_OR_RETURN(json restore_key, internal::KeyOf(t, restore_to));
    if (restore_key != key) return InvalidArgument("restore_to has another key than `key`");
  }
  return InWrite<RestoreResult>([&]() -> Result<RestoreResult> {
    WARD_ASSIGN_OR_RETURN(json current, SelectRow(writer_.get(), t, key, true));
    if (current == restore_to) return RestoreResult{RestoreStatus::kAlreadyRestored, current};
    if (current != expected_current) return RestoreResult{RestoreStatus::kConflict, current};
    WARD_RETURN_IF_ERROR(WriteRow(t, key, current, restore_to));
    WARD_ASSIGN_OR_RETURN(json after, SelectRow(writer_.get(), t, key, false));
    return RestoreResult{RestoreStatus::kRestored, std::move(after)};
  });
}

Result<int64_t> SqlDatabaseImpl::Execute(const std::string& sql, const json& params) {
  std::lock_guard lock(mu_);
  WARD_RETURN_IF_ERROR(CheckStatementText(sql));
  auto changed = InWrite<int64_t>([&]() -> Result<int64_t> {
    WARD_ASSIGN_OR_RETURN(auto ran, writer_->Run(sql, params, limits_));
    return ran.rows_affected;
  });
  // Settings or temporary objects the statement left on the session go with it.
  if (!dry_run_) writer_->ResetSession();
  return changed;
}

Result<std::unique_ptr<DryRun>> SqlDatabaseImpl::BeginDryRun() {
  std::lock_guard lock(mu_);
  if (broken_) return Internal("a dry run could not be rolled back; reopen the database");
  if (dry_run_) return FailedPrecondition("a dry run is already open on this database");
  WARD_RETURN_IF_ERROR(writer_->BeginWrite(limits_));
  dry_run_ = true;
  return std::make_unique<DryRun>(this);
}

void SqlDatabaseImpl::EndDryRun() {
  std::lock_guard lock(mu_);
  if (!dry_run_) return;
  dry_run_ = false;
  if (!writer_->Control("ROLLBACK").ok()) broken_ = true;
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

DryRun::~DryRun() { db_->EndDryRun(); }

namespace internal {

Status ResultTooLarge(const SqlLimits& limits) {
  return ResourceExhausted("the result is larger than max_result_bytes (" +
                           std::to_string(limits.max_result_bytes) +
                           " bytes): select fewer rows or columns (WHERE, LIMIT)");
}

}  // namespace internal

Result<SqlDsn> ParseSqlDsn(const std::string& dsn) {
  if (dsn.empty()) return InvalidArgument("the sql dsn is empty");
  if (StartsWith(dsn, "sqlite:")) {
    if (dsn.size() == 7) return InvalidArgument("the sql dsn sqlite: names no file");
    return SqlDsn{SqlEngine::kSqlite, dsn.substr(7)};
  }
  if (StartsWith(dsn, "postgresql://") || StartsWith(dsn, "postgres://")) {
    return SqlDsn{SqlEngine::kPostgres, dsn};
  }
  size_t scheme = dsn.find("://");
  if (scheme != std::string::npos) {
    return InvalidArgument("unsupported sql dsn scheme " + dsn.substr(0, scheme) +
                           ": use a file path, sqlite:PATH, postgresql:// or key=value");
  }
  if (dsn.find('=') != std::string::npos) return SqlDsn{SqlEngine::kPostgres, dsn};
  return SqlDsn{SqlEngine::kSqlite, dsn};
}

Result<std::unique_ptr<SqlDatabase>> OpenSqlDatabase(const SqlDatabaseOptions& options) {
  WARD_ASSIGN_OR_RETURN(SqlDsn dsn, ParseSqlDsn(options.dsn));
  std::unique_ptr<SqlConnection> reader, writer;
  if (dsn.engine == SqlEngine::kSqlite) {
    Clock* clock = options.clock ? options.clock : SystemClock::Default();
    WARD_ASSIGN_OR_RETURN(writer, internal::OpenSqliteConnection(dsn.target, false, clock));
    WARD_ASSIGN_OR_RETURN(reader, internal::OpenSqliteConnection(dsn.target, true, clock));
  } else {
    WARD_ASSIGN_OR_RETURN(writer, internal::OpenPgConnection(dsn.target));
    WARD_ASSIGN_OR_RETURN(reader, internal::OpenPgConnection(dsn.target));
    if (!options.allow_privileged_role) {
      WARD_RETURN_IF_ERROR(internal::RefusePrivilegedPgRole(*reader, options.limits));
    }
  }
  return std::unique_ptr<SqlDatabase>(std::make_unique<SqlDatabaseImpl>(
      dsn.engine, options.limits, std::move(reader), std::move(writer)));
}

}  // namespace ward::sql
