// The `http` connector's side of the journal (journal/compensator.h).
//   - Settle: an HTTP API cannot say after the fact whether a request left at
//     "intent" arrived, so the outcome is kUnknown (rollback stops there).
//   - PlanUndo: a write whose route declares no compensation (or whose response
//     gave no usable Location for a DELETE {location} undo) is "irreversible";
//     otherwise action "delete" (the undo is a DELETE) or "restore". When the
//     config allows a GET of the undo's target, the target is read first and must
//     still be what the session left — post_image (the write's JSON answer, or
//     the target read back after it); for a write that was a DELETE, still
//     absent — else "conflict" with both; with no post_image recorded it is a
//     "conflict" too (never undone blindly). A DELETE-undo whose target is gone
//     (404/410) is "already undone". When the config allows no GET of the
//     target, the undo runs unchecked and the step's detail says "NOT CHECKED".
//   - Undo: sends ResolveHttpUndoRequest's request (the pre-image as its body
//     when the route declares one): "undone" on 2xx, "conflict" on 409/412,
//     "failed" otherwise.
//   - Replay of a dry run's planned write: the same binding call (path, JSON
//     body, and the params and headers its planned detail keeps), with every
//     simulated id the same dry run gave (a FHIR resource it created, in `ids`)
//     replaced by the real one (journal/replay_ids.h) in the path's segments
//     (percent-encoded), the params' values and the JSON body.
// Where the entry keeps what undo needs: resource_type = the route pattern,
// resource_id = the concrete path, operation = the method lower-case,
// pre_image = the route's pre-image GET body, post_image = the response body,
// post_version = the response's Location header.
// Owns its HttpApi; the HttpClient and Clock of `options` must outlive it.
#pragma once

#include <string>

#include "connectors/http/http_api.h"
#include "journal/compensator.h"

namespace ward {

class HttpCompensator : public Compensator {
 public:
  HttpCompensator(HttpApiConfig config, HttpApiOptions options);

  Settlement Settle(const JournalEntry& entry) override;
  RollbackStep PlanUndo(const JournalEntry& entry) override;
  void Undo(const JournalEntry& entry, RollbackStep& step) override;
  Result<std::string> Drift(const JournalEntry& planned) override;
  std::vector<Binding> ReplayBindings(JournalScope* scope) override;
  GuestCall Replay(const JournalEntry& planned, const ReplayIds& ids) override;
  std::string Replayed(const JournalEntry& planned, const GuestCall& call,
                       const std::string& reply_json, ReplayIds& ids) override;

 private:
  HttpApi api_;
};

}  // namespace ward
