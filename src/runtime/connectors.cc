#include "runtime/connectors.h"

#include "connectors/fhir/fhir_connector.h"

namespace ward {

CompensatorLookup MakeCompensatorLookup(const WardConfig& config, HttpClient* http) {
  std::string token = FhirBearerToken(config);
  return [token, http](const JournalEntry& e) -> Result<std::unique_ptr<Compensator>> {
    if (e.connector == "fhir") {
      FhirConnectorConfig fhir;
      fhir.base_url = e.base_url;
      fhir.bearer_token = token;
      return FhirConnector(fhir, http).NewCompensator(e);
    }
    return NotFound("no connector named '" + e.connector + "' is configured here");
  };
}

}  // namespace ward
