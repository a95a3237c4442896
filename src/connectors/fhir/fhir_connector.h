// The FHIR R4 connector on the Connector seam: the fhir bindings
// (fhir_bindings.h) against one server, named after the connector (`fhir.read`,
// or `labs.read` for a second server named "labs"), and its FhirCompensator.
// `http` must outlive it.
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/fhir/fhir_client.h"

namespace ward {

class FhirConnector : public Connector {
 public:
  FhirConnector(FhirConnectorConfig config, HttpClient* http);

  const std::string& name() const override { return name_; }
  std::string type() const override { return "fhir"; }
  std::vector<Binding> Bindings(JournalScope* scope) override;
  // Undoes entries on the server each names (its base_url), with this
  // connector's credentials.
  Result<std::unique_ptr<Compensator>> NewCompensator(const JournalEntry& entry) override;

 private:
  std::string name_;
  FhirConnectorConfig config_;
  HttpClient* http_;
  FhirClient client_;
};

}  // namespace ward
