// The Connector seam: what every system ward governs (a FHIR server, a vendor's
// REST API, an SQL database, …) implements so that the gate, the journal and
// the guest treat it alike:
//   - its bindings: name ("<connector>.<operation>"), Python signature and
//     docstring for the guest; for each call a `prepare` that describes it to the
//     policy (connector, operation class read/write/delete/execute, target,
//     patient where it applies, whether it can be undone) and to an approver
//     (before/after); the call itself, journaled through `scope` with the one
//     protocol of journal/journal_writer.h; and the error types it raises,
//     declared to the guest (Binding::raises);
//   - its Compensator (journal/compensator.h): settling, undoing and replaying
//     its journal entries, which carry its name.
// Built by the composition root (src/runtime) from configuration. The gate and
// the journal never include a connector; connectors include them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gate/binding.h"
#include "journal/compensator.h"
#include "journal/journal_writer.h"

namespace ward {

class Connector {
 public:
  virtual ~Connector() = default;
  // The guest object its bindings hang on ("fhir", "labs", "reporting"), and the
  // name its journal entries carry.
  virtual const std::string& name() const = 0;
  // "fhir", "http" or "sql".
  virtual std::string type() const = 0;
  // The bindings guest code calls; effects are journaled in `scope`, which must
  // outlive them (as must the connector).
  virtual std::vector<Binding> Bindings(JournalScope* scope) = 0;
  // The compensator for one of its journal entries.
  virtual Result<std::unique_ptr<Compensator>> NewCompensator(const JournalEntry& entry) = 0;
};

}  // namespace ward
