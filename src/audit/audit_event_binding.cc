#include "audit/audit_event_binding.h"

#include <cctype>
#include <map>
#include <set>

#include "audit/audit_event_codes.h"
#include "util/encoding.h"

namespace ward {
namespace {

using json = nlohmann::json;

std::string Str(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool IsResourceTypeName(const std::string& type) {
  if (type.empty() || type.size() > 64 || type[0] < 'A' || type[0] > 'Z') return false;
  for (char c : type)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  return true;
}

// The FHIR id rule [A-Za-z0-9-.]{1,64}.
bool IsFhirId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  return true;
}

// A Reference to type/id: a `reference` when both are well formed, else only a
// display (so a guest-chosen id never makes the AuditEvent invalid).
json Ref(const std::string& type, const std::string& id) {
  if (IsResourceTypeName(type) && IsFhirId(id)) return {{"reference", type + "/" + id}};
  std::string shown = type + (id.empty() ? "" : "/" + id);
  if (shown.size() > kMaxDetailChars) shown.resize(kMaxDetailChars);
  json ref = {{"display", shown.empty() ? "(unnamed)" : shown}};
  if (IsResourceTypeName(type)) ref["type"] = type;
  return ref;
}

json ResourceEntity(const std::string& type, const std::string& id) {
  json what = id.empty() && IsResourceTypeName(type) ? json{{"type", type}, {"display", type}}
                                                     : Ref(type, id);
  return {{"what", what},
          {"type", codes::EntityType("2", "System Object")},
          {"role", codes::ObjectRole("4", "Domain Resource")}};
}

json PatientEntity(const std::string& id) {
  return {{"what", Ref("Patient", id)},
          {"type", codes::EntityType("1", "Person")},
          {"role", codes::ObjectRole("1", "Patient")}};
}

// "Patient/123" or "123" (where the parameter names a patient) → "123".
std::string PatientIdOf(std::string value) {
  if (value.rfind("Patient/", 0) == 0) value = value.substr(8);
  return value.find('/') == std::string::npos ? value : "";
}

class Collector {
 public:
  explicit Collector(BindingMapping* out) : out_(out) {}
  void Resource(const std::string& type, const std::string& id) {
    Add("r:" + type + "/" + id, ResourceEntity(type, id));
    if (type == "Patient" && !id.empty()) Patient(id);
  }
  void Patient(const std::string& id) {
    if (!id.empty()) Add("p:" + id, PatientEntity(id));
  }
  void Query(const std::string& type, const std::string& query) {
    json entity = {{"what", {{"display", type.empty() ? "search" : type}}},
                   {"type", codes::EntityType("2", "System Object")},
                   {"role", codes::ObjectRole("24", "Query")},
                   {"query", Base64Encode(query)}};
    if (IsResourceTypeName(type)) entity["what"]["type"] = type;
    Add("q:" + query, std::move(entity));
  }

 private:
  void Add(const std::string& key, json entity) {
    if (out_->entities.size() >= kMaxBindingEntities || !seen_.insert(key).second) return;
    out_->entities.push_back(std::move(entity));
  }
  BindingMapping* out_;
  std::set<std::string> seen_;
};

std::string ParamValue(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// "Type?name=value&..." from a search's arguments, and the patients it names.
std::string SearchQuery(const std::string& type, const json& params, Collector& c) {
  std::string query = type + "?";
  bool first = true;
  for (const auto& [name, value] : params.items()) {
    json values = value.is_array() ? value : json::array({value});
    for (const auto& v : values) {
      std::string text = ParamValue(v);
      if (name == "patient" || name == "subject" || (type == "Patient" && name == "_id"))
        for (size_t start = 0; start <= text.size();) {
          size_t comma = text.find(',', start);
          c.Patient(PatientIdOf(text.substr(start, comma - start)));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      if (!first) query += '&';
      query += PercentEncode(name);
      query += '=';
      query += PercentEncode(text, ",|:");
      first = false;
    }
  }
  if (query.size() > kMaxQueryBytes) query.resize(kMaxQueryBytes);
  return query;
}

// The patient a resource body names in subject or patient.
void PatientsOfBody(const json& resource, Collector& c) {
  for (const char* field : {"subject", "patient"}) {
    std::string ref = resource.contains(field) ? Str(resource[field], "reference") : "";
    if (ref.rfind("Patient/", 0) == 0) c.Patient(PatientIdOf(ref));
  }
}

void MapTransaction(const json& args, Collector& c) {
  const json* entries = args.contains("entries") ? &args["entries"] : nullptr;
  if (entries && entries->is_object() && entries->contains("entry")) entries = &(*entries)["entry"];
  if (!entries || !entries->is_array()) return;
  for (const auto& entry : *entries) {
    if (!entry.is_object()) continue;
    std::string url = entry.contains("request") ? Str(entry["request"], "url") : "";
    url = url.substr(0, url.find('?'));
    size_t slash = url.find('/');
    c.Resource(url.substr(0, slash), slash == std::string::npos ? "" : url.substr(slash + 1));
    if (entry.contains("resource") && entry["resource"].is_object())
      PatientsOfBody(entry["resource"], c);
  }
}

// A FHIR binding (fhir.read, labs.search, ...): true when `op` is one.
bool MapFhir(const std::string& op, const json& args, BindingMapping& out, Collector& c) {
  static const std::set<std::string> kOps = {"read",   "search", "search_bundle", "create",
                                             "update", "delete", "transaction"};
  if (!kOps.count(op) || !args.is_object()) return false;
  std::string type = Str(args, "resource_type");
  const json& resource = args.contains("resource") ? args["resource"] : json();
  if (resource.is_object()) type = Str(resource, "resourceType");
  if (type.empty() && op != "transaction") return false;
  struct Kind {
    const char* interaction;
    const char* action;
  };
  static const std::map<std::string, Kind> kKinds = {{"read", {"read", "R"}},
                                                     {"search", {"search-type", "E"}},
                                                     {"search_bundle", {"search-type", "E"}},
                                                     {"create", {"create", "C"}},
                                                     {"update", {"update", "U"}},
                                                     {"delete", {"delete", "D"}},
                                                     {"transaction", {"transaction", "E"}}};
  const Kind& kind = kKinds.at(op);
  out.subtype.push_back(codes::Interaction(kind.interaction));
  out.action = kind.action;
  if (op == "search" || op == "search_bundle") {
    json params =
        args.contains("params") && args["params"].is_object() ? args["params"] : json::object();
    c.Query(type, SearchQuery(type, params, c));
  } else if (op == "transaction") {
    MapTransaction(args, c);
  } else {
    std::string id = resource.is_object() ? Str(resource, "id") : Str(args, "id");
    c.Resource(type, op == "create" ? "" : id);
    if (resource.is_object()) PatientsOfBody(resource, c);
  }
  return true;
}

std::string ActionOfMethod(const std::string& method) {
  if (method == "GET" || method == "HEAD") return "R";
  if (method == "POST") return "C";
  if (method == "PUT" || method == "PATCH") return "U";
  if (method == "DELETE") return "D";
  return "E";
}

}  // namespace

BindingMapping MapBindingCall(const json& data) {
  BindingMapping out;
  Collector c(&out);
  std::string binding = Str(data, "binding");
  std::string op = binding.substr(binding.rfind('.') + 1);
  out.connector = binding.find('.') != std::string::npos;
  const json& args = data.contains("arguments") ? data["arguments"] : json();
  if (!MapFhir(op, args, out, c)) {
    std::string method = Str(data, "method");
    if (!method.empty()) out.action = ActionOfMethod(method);
  }
  if (!binding.empty()) out.subtype.push_back(codes::Binding(binding));
  return out;
}

}  // namespace ward
