// Rollback: undoes a session's journaled writes in reverse order — deletes what it
// created, puts back the pre-image of what it updated or deleted — each guarded by
// the version the session left (If-Match). If anyone changed a resource since, it
// stops at that entry, reports both versions and changes nothing more: it never
// overwrites another's work. Undone entries are marked "compensated", so an
// interrupted rollback resumes where it stopped. Every step is audited.
//
// An entry left at "intent" (the session stopped between journaling a write and
// recording its result) is first settled by asking the server (settle.h): a write
// that happened is recorded as "done" and undone like any other; one that did not is
// recorded as "failed" (step outcome "not applied"); when the server's history cannot
// tell, rollback stops there (outcome "unknown") and changes nothing more.
// Not thread-safe; one rollback of a session at a time.
#pragma once

#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "net/http_client.h"
#include "store/store.h"

namespace ward {

struct RollbackStep {
  JournalEntry entry;
  std::string action;   // "delete", "restore", "none"
  std::string outcome;  // "undone", "planned", "already undone", "conflict", "failed",
                        // "not applied", "unknown"
  std::string detail;
};

struct RollbackReport {
  std::vector<RollbackStep> steps;  // in the order they were (or would be) taken
  bool complete = true;             // false when a conflict or failure stopped it
};

struct RollbackOptions {
  bool dry_run = false;      // plan and check versions only; change nothing
  std::string bearer_token;  // for the FHIR servers written to, if they need one
};

// NotFound when the session does not exist; other errors only when the store fails.
Result<RollbackReport> RollbackSession(Store* store, AuditLog* audit, HttpClient* http,
                                       const std::string& session, const RollbackOptions& options);

}  // namespace ward
