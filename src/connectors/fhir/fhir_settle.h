// Settling a FHIR journal entry left at "intent" (for FhirCompensator::Settle):
// the write was journaled, then the
// process stopped (a crash, or its store failed) before it recorded what the server
// answered. The server is asked what happened, from the resource's history:
//
// - update / delete (journaled with the version it replaced, sent with If-Match on
//   it): the version right after pre_version, if any, is the only one this write
//   could have made. None: it did not happen. A deletion, for a delete, or a version
//   whose content (id and meta aside) equals the journaled post-image, for an update:
//   it happened, and made that version. Anything else cannot be the session's delete;
//   for an update it may be the session's write as the server rewrote it, so it is
//   left unknown.
// - update without a pre-version (update-as-create): the earliest version with the
//   journaled content, else (complete history) it did not happen.
// - create (no id yet): the type's history since the intent (less kCreateClockSkewMs)
//   is searched for a created version with the journaled content. Exactly one: it
//   happened. None, and nothing else of that type was created then: it did not.
//   Several, or none while others were created (one may be the session's, as the
//   server rewrote it): unknown.
//
// Whenever the history is incomplete, unavailable or ambiguous the answer is
// "unknown" with the reason: the caller stops rather than guess.
#pragma once

#include <cstdint>

#include "connectors/fhir/fhir_client.h"
#include "journal/compensator.h"

namespace ward {

// How far the FHIR server's clock may be behind ward's when looking for a create.
constexpr int64_t kCreateClockSkewMs = 5 * 60 * 1000;

Settlement SettleIntent(FhirClient& client, const JournalEntry& entry);

}  // namespace ward
