#include "runtime/connectors.h"

#include "connectors/fhir/fhir_connector.h"
#include "connectors/http/http_api_config.h"
#include "connectors/http/http_connector.h"
#include "connectors/sql/sql_connector.h"

namespace ward {
namespace {

Result<std::unique_ptr<Connector>> MakeFhir(const ConnectorSettings& c, const ConnectorDeps& deps) {
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0)
    return InvalidArgument("[connectors." + c.name + "] base URL '" + c.base_url +
                           "' must start with http:// or https://");
  FhirConnectorConfig fc;
  fc.name = c.name;
  fc.base_url = c.base_url;
  fc.bearer_token = FhirBearerToken(c);
  if (c.auth == "bearer" && fc.bearer_token.empty())
    return InvalidArgument("[connectors." + c.name + "] auth = \"bearer\" but " + c.token_env +
                           " is not set");
  return std::unique_ptr<Connector>(std::make_unique<FhirConnector>(fc, deps.http));
}

}  // namespace

Result<std::unique_ptr<Connector>> MakeConnector(const ConnectorSettings& settings,
                                                 const ConnectorDeps& deps) {
  if (settings.type == "fhir") return MakeFhir(settings, deps);
  if (settings.type == "sql" && settings.sql) {
    WARD_ASSIGN_OR_RETURN(auto sql, sql::SqlConnector::Open(*settings.sql, deps.clock));
    return std::unique_ptr<Connector>(std::move(sql));
  }
  if (settings.type == "http") {
    if (!settings.http)
      return InvalidArgument("[connectors." + settings.name + "] has no http settings");
    // Secrets are read from the process environment at call time.
    return std::unique_ptr<Connector>(std::make_unique<HttpConnector>(
        *settings.http, HttpApiOptions{deps.http, deps.clock, ProcessEnvReader()}));
  }
  return InvalidArgument("[connectors." + settings.name + "]: connectors of type " + settings.type +
                         " cannot be used yet");
}

std::string DescribeConnector(const ConnectorSettings& settings) {
  if (settings.type == "fhir")
    return settings.base_url.empty() ? "(no base_url)" : settings.base_url;
  if (settings.type == "http" && settings.http) return settings.http->base_url;
  if (settings.type == "sql" && settings.sql) {
    if (settings.sql->dsn.empty()) return "the DSN in $" + settings.sql->dsn_env;
    auto dsn = sql::ParseSqlDsn(settings.sql->dsn);
    if (!dsn.ok()) return "(an unreadable DSN)";
    return dsn->engine == sql::SqlEngine::kSqlite ? "sqlite:" + dsn->target : "postgresql";
  }
  return "";
}

CompensatorLookup MakeCompensatorLookup(const WardConfig& config, ConnectorDeps deps) {
  std::vector<ConnectorSettings> connectors = config.connectors;
  return [connectors, deps](const JournalEntry& e) -> Result<std::unique_ptr<Compensator>> {
    const ConnectorSettings* settings = nullptr;
    for (const auto& c : connectors)
      if (c.name == e.connector) settings = &c;
    // Entries of the default `fhir` connector written with --fhir-url while ward.toml
    // names none: undone on the server each names, without credentials.
    ConnectorSettings implicit{"fhir", "fhir"};
    if (!settings && e.connector == "fhir") settings = &implicit;
    if (!settings)
      return NotFound("no connector named '" + e.connector + "' is configured here ([connectors." +
                      e.connector + "] in ward.toml)");
    if (settings->type == "fhir") {
      FhirConnectorConfig fhir;
      fhir.name = settings->name;
      fhir.base_url = e.endpoint;
      // Credentials go only to the server the connector is configured for.
      if (e.endpoint == settings->base_url) fhir.bearer_token = FhirBearerToken(*settings);
      return FhirConnector(fhir, deps.http).NewCompensator(e);
    }
    WARD_ASSIGN_OR_RETURN(auto connector, MakeConnector(*settings, deps));
    return connector->NewCompensator(e);
  };
}

}  // namespace ward
