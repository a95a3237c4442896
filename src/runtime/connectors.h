// The composition root's view of the configured connectors, for the journal:
// which Compensator undoes (or replays) an entry, found by the entry's connector
// name among the `[connectors.NAME]` tables. A FHIR entry is undone on the server
// it names, with its connector's credentials only when that is the server the
// connector is configured for; entries of `fhir` are undone even
// when ward.toml names no such connector (written with --fhir-url).
#pragma once

#include "journal/compensator.h"
#include "net/http_client.h"
#include "runtime/config.h"

namespace ward {

// `http` must outlive the lookup and what it returns; `config` is copied.
CompensatorLookup MakeCompensatorLookup(const WardConfig& config, HttpClient* http);

}  // namespace ward
