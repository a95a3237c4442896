// The composition root's connectors: each `[connectors.NAME]` table turned into
// its Connector (connectors/connector.h), for a session's bindings and for the
// journal — which Compensator undoes (or replays) an entry, found by the entry's
// connector name. A FHIR entry is undone on the server it names, with its
// connector's credentials only when that is the server the connector is
// configured for; entries of `fhir` are undone even when ward.toml names no such
// connector (written with --fhir-url).
#pragma once

#include <memory>

#include "connectors/connector.h"
#include "journal/compensator.h"
#include "net/http_client.h"
#include "runtime/config.h"
#include "util/clock.h"

namespace ward {

// What connectors are built with; all must outlive them.
struct ConnectorDeps {
  HttpClient* http = nullptr;
  Clock* clock = nullptr;
};

// The connector of one table. InvalidArgument (naming the table) when it cannot
// be used as configured: a FHIR base URL that is not http(s), a bearer token or
// DSN whose variable is unset, a database that cannot be opened.
Result<std::unique_ptr<Connector>> MakeConnector(const ConnectorSettings& settings,
                                                 const ConnectorDeps& deps);

// Where a connector points, for people, without credentials: a FHIR or HTTP base
// URL, an SQLite file ("sqlite:PATH"), "postgresql" (a DSN may hold a password),
// or the variable a DSN is read from.
std::string DescribeConnector(const ConnectorSettings& settings);

// `deps` must outlive the lookup and what it returns; `config` is copied.
CompensatorLookup MakeCompensatorLookup(const WardConfig& config, ConnectorDeps deps);

}  // namespace ward
