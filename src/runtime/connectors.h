// The composition root's view of the configured connectors, for the journal:
// which Compensator undoes (or replays) an entry, by the entry's connector name.
// Today the one connector is `fhir` (its entries name the server they were
// written to; its bearer token comes from the configuration).
#pragma once

#include "journal/compensator.h"
#include "net/http_client.h"
#include "runtime/config.h"

namespace ward {

// `http` must outlive the lookup and what it returns; `config` is copied.
CompensatorLookup MakeCompensatorLookup(const WardConfig& config, HttpClient* http);

}  // namespace ward
