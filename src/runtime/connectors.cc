#include "runtime/connectors.h"

#include "connectors/fhir/fhir_connector.h"

namespace ward {

CompensatorLookup MakeCompensatorLookup(const WardConfig& config, HttpClient* http) {
  std::vector<ConnectorSettings> connectors = config.connectors;
  return [connectors, http](const JournalEntry& e) -> Result<std::unique_ptr<Compensator>> {
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
      fhir.base_url = e.base_url;
      // Credentials go only to the server the connector is configured for.
      if (e.base_url == settings->base_url) fhir.bearer_token = FhirBearerToken(*settings);
      return FhirConnector(fhir, http).NewCompensator(e);
    }
    return NotFound("connector '" + e.connector + "' is of type " + settings->type +
                    ", which cannot undo journal entries here");
  };
}

}  // namespace ward
