#include "audit/testing/chain_rewriter.h"

#include <sqlite3.h>

#include <vector>

#include "audit/audit_log.h"
#include "util/hash.h"

namespace ward::testing {
namespace {

struct Row {
  int64_t seq;
  std::string body;
};

std::string Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return "";
  std::string message = err ? err : "sqlite error";
  sqlite3_free(err);
  return message;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// The hash ward gives `body`: of its sealed form when it has one (audit_log.h);
// of the body itself otherwise (legacy entries, tombstones, or text that is no
// entry at all).
std::string EntryHash(const std::string& body) {
  auto hashed = HashedFormOf(body);
  return Sha256Hex(hashed.ok() ? hashed->hashed : body);
}

std::vector<Row> ReadRows(sqlite3* db) {
  std::vector<Row> rows;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT seq, body FROM audit ORDER BY seq", -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW)
    rows.push_back(
        {sqlite3_column_int64(st, 0), reinterpret_cast<const char*>(sqlite3_column_text(st, 1))});
  sqlite3_finalize(st);
  return rows;
}

std::string UpdateRow(sqlite3* db, int64_t seq, const std::string& body) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "UPDATE audit SET body=?, hash=? WHERE seq=?", -1, &st, nullptr);
  std::string hash = EntryHash(body);
  sqlite3_bind_text(st, 1, body.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, hash.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, seq);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
}

}  // namespace

std::string RewriteAndRehash(const std::string& db_path, int64_t first_seq, int64_t last_seq,
                             const std::string& from, const std::string& to) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) return "cannot open " + db_path;
  std::string err = Exec(db, "DROP TRIGGER IF EXISTS audit_no_update; BEGIN");
  std::string prev_old, prev_new;
  for (Row& row : ReadRows(db)) {
    if (!err.empty()) break;
    std::string old_hash = EntryHash(row.body);
    if (row.seq >= first_seq) {
      ReplaceAll(row.body, "\"prev_hash\":\"" + prev_old + "\"",
                 "\"prev_hash\":\"" + prev_new + "\"");
      if (row.seq <= last_seq) ReplaceAll(row.body, from, to);
      err = UpdateRow(db, row.seq, row.body);
    }
    prev_old = old_hash;
    prev_new = EntryHash(row.body);
  }
  if (err.empty()) err = Exec(db, "COMMIT");
  sqlite3_close(db);
  return err;
}

std::string TruncateChain(const std::string& db_path, int64_t keep_seq) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) return "cannot open " + db_path;
  std::string err =
      Exec(db, "DROP TRIGGER IF EXISTS audit_no_delete; DELETE FROM audit WHERE seq > " +
                   std::to_string(keep_seq));
  sqlite3_close(db);
  return err;
}

std::string DeleteStoredCheckpoints(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) return "cannot open " + db_path;
  std::string err = Exec(db,
                         "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete; "
                         "DELETE FROM audit_checkpoints");
  sqlite3_close(db);
  return err;
}

}  // namespace ward::testing
