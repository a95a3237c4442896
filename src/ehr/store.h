// Store: FHIR resources, their versions and their search index in SQLite (WAL).
//
// Work happens in a Store::Session, a SQLite transaction on one connection:
// BeginRead gives a snapshot (or, for a single statement, none) on a pooled reader
// connection (any number may run at
// once); BeginWrite gives the single writer connection (writers queue on a mutex)
// with BEGIN IMMEDIATE. A session that is destroyed without Commit rolls back, so
// a failed transaction bundle leaves nothing behind. Store is thread-safe; a
// Session belongs to one thread at a time and must not outlive its Store.
//
// Tables: `resources` (current version of each type/id, with a `rid` used as the
// stable insertion order and as the key of the index tables), `history` (every
// version), and idx_token / idx_string / idx_date / idx_ref / idx_quantity (rows
// for the current version only, replaced on every write).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ehr/search_params.h"
#include "util/status.h"

namespace ward::ehr {

struct StoredResource {
  int64_t rid = 0;  // row in `resources` (0 in history rows of other versions)
  std::string type;
  std::string id;
  int64_t version = 0;
  int64_t updated_ms = 0;
  bool deleted = false;
  std::string method;  // history only: POST, PUT or DELETE
  std::string json;    // full resource text incl. meta; empty when deleted
};

using SqlValue = std::variant<int64_t, double, std::string>;

struct StoreOptions {
  std::string path;  // SQLite file; empty means a temporary file removed on close
};

class Store {
 public:
  class Session;

  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // `snapshot` false skips the transaction: for sessions that run one statement.
  Result<Session> BeginRead(bool snapshot = true);
  Result<Session> BeginWrite();

  const std::string& path() const { return path_; }

  struct Conn;  // a connection with its cache of prepared statements

 private:
  Store() = default;
  Result<std::unique_ptr<Conn>> Connect();
  void Release(std::unique_ptr<Conn> conn);

  std::string path_;
  bool temporary_ = false;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> readers_;  // guarded by pool_mu_
  std::mutex writer_mu_;                        // held by the one write session
  std::unique_ptr<Conn> writer_;                // used only under writer_mu_
};

class Store::Session {
 public:
  Session(Session&& other) noexcept;
  Session& operator=(Session&&) = delete;
  ~Session();

  bool is_write() const { return lock_.owns_lock(); }

  // The current version of type/id (deleted ones included), or nullopt.
  Result<std::optional<StoredResource>> Current(const std::string& type, const std::string& id);
  Result<std::optional<StoredResource>> Version(const std::string& type, const std::string& id,
                                                int64_t version);
  // Versions newest first. Empty `id` means every resource of `type`; empty
  // `type` means every resource. `since_ms` keeps versions at or after it.
  Result<std::vector<StoredResource>> History(const std::string& type, const std::string& id,
                                              int64_t since_ms, int64_t limit);
  Result<int64_t> CountHistory(const std::string& type, const std::string& id, int64_t since_ms);

  // Writes a new version (write sessions only): replaces the current row and
  // index rows, appends to history. `rec.rid` is ignored.
  Status Write(const StoredResource& rec, const IndexRows& index);

  // Runs a query whose first column is a rid.
  Result<std::vector<int64_t>> SelectRids(const std::string& sql,
                                          const std::vector<SqlValue>& binds);
  // Current, non-deleted resources for `rids`, in that order (missing ones skipped).
  Result<std::vector<StoredResource>> FetchByRid(const std::vector<int64_t>& rids);
  // Distinct type/id targets of reference parameter `param` in resources `rids`.
  Result<std::vector<std::pair<std::string, std::string>>> ReferenceTargets(
      const std::vector<int64_t>& rids, const std::string& param, const std::string& target_type);

  Status Commit();

 private:
  friend class Store;
  Session(Store* store, std::unique_ptr<Conn> conn, std::unique_lock<std::mutex> lock);
  Status WriteIndex(int64_t rid, const std::string& type, const IndexRows& index);

  Store* store_;
  std::unique_ptr<Conn> conn_;
  std::unique_lock<std::mutex> lock_;  // owned only by a write session
  bool open_ = true;
};

}  // namespace ward::ehr
