// The FHIR connector's side of the journal (journal/compensator.h): settles a
// write left at "intent" from the server's history (fhir_settle.h), undoes a
// create by deleting what it made and an update or delete by putting the
// pre-image back — each guarded by If-Match on the version the session left (or
// If-None-Match: * when restoring a deleted resource) — and replays a dry run's
// planned writes through the fhir bindings. Owns its FhirClient; `http` must
// outlive it.
#pragma once

#include <memory>
#include <string>

#include "connectors/fhir/fhir_client.h"
#include "journal/compensator.h"

namespace ward {

class FhirCompensator : public Compensator {
 public:
  // `config` names the server the entries were written to (their base_url).
  FhirCompensator(FhirConnectorConfig config, HttpClient* http);

  Settlement Settle(const JournalEntry& entry) override;
  RollbackStep PlanUndo(const JournalEntry& entry) override;
  void Undo(const JournalEntry& entry, RollbackStep& step) override;
  Result<std::string> Drift(const JournalEntry& planned) override;
  std::vector<Binding> ReplayBindings(JournalScope* scope) override;
  GuestCall Replay(const JournalEntry& planned, const ReplayIds& ids) override;
  std::string Replayed(const JournalEntry& planned, const GuestCall& call,
                       const std::string& reply_json, ReplayIds& ids) override;

 private:
  FhirClient client_;
};

}  // namespace ward
