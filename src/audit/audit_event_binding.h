// How one binding_call audit entry maps onto an AuditEvent: the interaction
// (subtype, action) and the entities it touched (resources as Type/id references,
// the patient where known, a search's query). Reads only the entry's data: the
// binding's name and arguments as the gate recorded them, and the connector's
// fields (method/url, table). A resource body among the arguments is read for its
// type, id and subject only; it is never exported. Internal to src/audit; pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ward {

struct BindingMapping {
  nlohmann::json subtype = nlohmann::json::array();  // Codings
  std::string action = "E";                          // C R U D E
  nlohmann::json entities = nlohmann::json::array();
  // A connector's binding ("fhir.read", "billing.post"): a call to another system,
  // exported as type `rest`. ward's own (finish, ...) are not.
  bool connector = false;
};

// Limits: at most kMaxBindingEntities entities; a query of at most kMaxQueryBytes.
inline constexpr size_t kMaxBindingEntities = 100;
inline constexpr size_t kMaxQueryBytes = 8192;

BindingMapping MapBindingCall(const nlohmann::json& data);

}  // namespace ward
