#include "connectors/fhir/fhir_connector.h"

#include "connectors/fhir/fhir_bindings.h"
#include "connectors/fhir/fhir_compensator.h"

namespace ward {

FhirConnector::FhirConnector(FhirConnectorConfig config, HttpClient* http)
    : name_(config.name), config_(config), http_(http), client_(std::move(config), http) {}

std::vector<Binding> FhirConnector::Bindings(JournalScope* scope) {
  return NameFhirBindings(name_, MakeFhirBindings(&client_, scope));
}

Result<std::unique_ptr<Compensator>> FhirConnector::NewCompensator(const JournalEntry& entry) {
  FhirConnectorConfig config = config_;
  config.base_url = entry.endpoint;
  return std::unique_ptr<Compensator>(std::make_unique<FhirCompensator>(config, http_));
}

}  // namespace ward
