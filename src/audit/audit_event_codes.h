// The codings an exported AuditEvent uses (docs/audit.md, "Export"): HL7 and
// DICOM codes where a standard one fits, ward's own (urn:ward:audit-event-type)
// otherwise. Internal to src/audit; pure inline functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "audit/audit_event_fhir.h"

namespace ward::codes {

inline nlohmann::json Coding(const char* system, const std::string& code,
                             const std::string& display = "") {
  nlohmann::json c = {{"system", system}, {"code", code}};
  if (!display.empty()) c["display"] = display;
  return c;
}
inline nlohmann::json Dicom(const std::string& code, const std::string& display) {
  return Coding("http://dicom.nema.org/resources/ontology/DCM", code, display);
}
inline nlohmann::json Rest() {
  return Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest",
                "Restful Operation");
}
inline nlohmann::json Interaction(const std::string& code) {
  return Coding("http://hl7.org/fhir/restful-interaction", code, code);
}
inline nlohmann::json Ward(const std::string& code) {
  return Coding(kWardAuditEventTypeSystem, code);
}
inline nlohmann::json Binding(const std::string& name) { return Coding(kWardBindingSystem, name); }
inline nlohmann::json EntityType(const std::string& code, const std::string& display) {
  return Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", code, display);
}
inline nlohmann::json ObjectRole(const std::string& code, const std::string& display) {
  return Coding("http://terminology.hl7.org/CodeSystem/object-role", code, display);
}
inline nlohmann::json SecurityRole(const std::string& code, const std::string& display) {
  return Coding("http://terminology.hl7.org/CodeSystem/extra-security-role-type", code, display);
}
inline nlohmann::json ParticipationType(const std::string& code, const std::string& display) {
  return Coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code, display);
}
inline nlohmann::json SourceType(const std::string& code, const std::string& display) {
  return Coding("http://terminology.hl7.org/CodeSystem/security-source-type", code, display);
}
// A declared purpose of use: an HL7 v3 ActReason code when it is one of the
// common ones (TREAT, HPAYMT, HOPERAT, ...: upper-case letters), ward's system
// otherwise.
inline nlohmann::json PurposeOfUse(const std::string& purpose) {
  bool v3 = !purpose.empty() && purpose.size() <= 16 &&
            purpose.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos;
  return {{"coding", nlohmann::json::array(
                         {v3 ? Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", purpose)
                             : Coding(kWardPurposeOfUseSystem, purpose)})}};
}

}  // namespace ward::codes
