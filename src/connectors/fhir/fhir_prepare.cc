#include "connectors/fhir/fhir_prepare.h"

#include <cctype>

#include "connectors/fhir/fhir_common.h"
#include "connectors/fhir/fhir_writes.h"
#include "connectors/fhir/patient_compartment.h"
#include "util/json_limits.h"

namespace ward::fhir_internal {
namespace {

constexpr size_t kSummaryEntries = 10;
constexpr size_t kSummaryPatients = 5;

std::string Operation(const std::string& binding) {
  if (binding == "fhir.delete") return "delete";
  if (binding == "fhir.create" || binding == "fhir.update" || binding == "fhir.transaction")
    return "write";
  return "read";
}

// "Patient/123", with a type and an id that have been validated; model text quoted.
std::string ShownResource(const std::string& type, const std::string& id) {
  std::string shown = IsKnownResourceType(type) ? type : QuoteModelText(type);
  if (!id.empty()) shown += "/" + (IsFhirId(id) ? id : QuoteModelText(id));
  return shown;
}

std::string ShownPatients(const ActionDescriptor& d, const std::string& unverified) {
  std::vector<std::string> ids(d.patients.begin(), d.patients.end());
  std::string out;
  for (size_t i = 0; i < ids.size() && i < kSummaryPatients; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > kSummaryPatients)
    out += " and " + std::to_string(ids.size() - kSummaryPatients) + " more";
  if (d.patient_unknown) {
    out += std::string(out.empty() ? "" : ", ") + "unknown patients";
    if (!unverified.empty()) out += " (" + QuoteModelText(unverified) + ")";
  }
  if (out.empty()) return "";
  return (ids.size() == 1 && !d.patient_unknown ? " (patient " : " (patients ") + out + ")";
}

PreparedAction Action(const std::string& binding, const std::string& type, const std::string& id,
                      const PatientSet& patients) {
  PreparedAction a;
  a.descriptor.kind = "binding";
  a.descriptor.binding = binding;
  a.descriptor.connector = "fhir";
  a.descriptor.operation = Operation(binding);
  a.descriptor.resource_type = type;
  a.descriptor.patients.assign(patients.ids.begin(), patients.ids.end());
  a.descriptor.patient_unknown = patients.unknown;
  a.resource = type + (id.empty() ? "" : "/" + id);
  a.summary = binding + " " + ShownResource(type, id);
  bool only_itself = type == "Patient" && patients.ids.size() == 1 && !patients.unknown &&
                     *patients.ids.begin() == id;
  if (!only_itself) a.summary += ShownPatients(a.descriptor, patients.unverified);
  return a;
}

PreparedCall Single(PreparedAction a) {
  PreparedCall p;
  p.summary = a.summary;
  p.actions.push_back(std::move(a));
  return p;
}

PatientSet PatientsOf(const std::string& json_text) {
  if (json_text.empty()) return {};
  return PatientsOfResource(ParseJsonOrDiscarded(json_text));
}

// An update or delete of type/id: its stored version (whose patients count too).
Result<PreparedAction> Change(FhirClient* client, const std::string& binding,
                              const std::string& type, const std::string& id, const json* after) {
  auto stored = ReadCurrent(client, type, id);
  if (!stored.ok()) return GuestError("FhirError", binding + "(): " + stored.status().message());
  PatientSet patients = PatientsOf(stored->json);
  if (type == "Patient") patients.Add(id);
  if (after) patients.Merge(PatientsOfResource(*after));
  PreparedAction a = Action(binding, type, id, patients);
  a.version = stored->version;
  if (!stored->json.empty()) a.before = stored->json;
  if (after) a.after = DumpJson(*after);
  return a;
}

Result<PreparedCall> PrepareSearch(const json& args, const std::string& binding) {
  WARD_RETURN_IF_ERROR(CheckTypeAndId(args, binding.c_str(), false));
  auto params = SearchParams(args.contains("params") ? args["params"] : json::object());
  if (!params.ok()) return GuestError("ValueError", binding + "(): " + params.status().message());
  std::string type = args["resource_type"];
  return Single(Action(binding, type, "", PatientsOfSearch(type, *params)));
}

// A read of a compartment type other than Patient: whose it is shows only in the
// resource, so it is read here (the handler checks that it still names no one else).
Result<PreparedCall> PrepareRead(FhirClient* client, const json& args) {
  WARD_RETURN_IF_ERROR(CheckTypeAndId(args, "fhir.read", true));
  std::string type = args["resource_type"], id = args["id"];
  PatientSet patients = PatientsOfRead(type, id);
  if (patients.unknown && IsInPatientCompartment(type)) {
    auto stored = ReadCurrent(client, type, id);
    json body = stored.ok() ? ParseJsonOrDiscarded(stored->json) : json();
    if (body.is_object() && body.value("resourceType", "") == type && body.value("id", "") == id)
      patients = PatientsOfResource(body);
  }
  return Single(Action("fhir.read", type, id, patients));
}

Result<PreparedCall> PrepareCreate(const json& args) {
  WARD_RETURN_IF_ERROR(CheckResource(args, "fhir.create", false));
  const json& res = args["resource"];
  PatientSet patients = PatientsOfResource(res);
  if (res.value("resourceType", "") == "Patient") patients.ids.clear();  // a new patient
  PreparedAction a = Action("fhir.create", res["resourceType"].get<std::string>(), "", patients);
  a.after = DumpJson(res);
  return Single(std::move(a));
}

Result<PreparedCall> PrepareUpdate(FhirClient* client, const json& args) {
  WARD_RETURN_IF_ERROR(CheckResource(args, "fhir.update", true));
  const json& res = args["resource"];
  WARD_ASSIGN_OR_RETURN(PreparedAction a,
                        Change(client, "fhir.update", res["resourceType"].get<std::string>(),
                               res["id"].get<std::string>(), &res));
  return Single(std::move(a));
}

Result<PreparedCall> PrepareDelete(FhirClient* client, const json& args) {
  WARD_RETURN_IF_ERROR(CheckTypeAndId(args, "fhir.delete", true));
  WARD_ASSIGN_OR_RETURN(PreparedAction a,
                        Change(client, "fhir.delete", args["resource_type"].get<std::string>(),
                               args["id"].get<std::string>(), nullptr));
  return Single(std::move(a));
}

std::string PercentDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(text[i + 1]) &&
               std::isxdigit(text[i + 2])) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

FhirSearchParams QueryParams(const std::string& query) {
  FhirSearchParams out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string pair = query.substr(start, amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      out.push_back({PercentDecode(pair.substr(0, eq)),
                     eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1))});
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

// The Bundle the guest gave (a list of entries, or a transaction/batch Bundle).
Result<json> GuestBundle(const json& args) {
  const json& entries = args.contains("entries") ? args["entries"] : json();
  if (entries.is_array())
    return json{{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries}};
  if (entries.is_object() && entries.value("resourceType", "") == "Bundle") {
    std::string type = entries.value("type", "");
    if ((type == "transaction" || type == "batch") &&
        (!entries.contains("entry") || entries["entry"].is_array()))
      return entries;
  }
  return GuestError("ValueError",
                    "fhir.transaction(): entries must be a list of Bundle entries "
                    "({'resource': ..., 'request': {'method': ..., 'url': ...}}) or a Bundle of "
                    "type transaction or batch");
}

const char* kEntryShape =
    "fhir.transaction(): each entry must be {'resource': {...}, 'request': {'method': 'POST', "
    "'url': 'Type'}} or method PUT/DELETE/GET with url 'Type/id' (GET also 'Type?query'); ";

// A ValueError for an entry ward does not take, saying which shapes it does.
Status BadEntry(const std::string& why) { return GuestError("ValueError", kEntryShape + why); }

// An entry's request, split: "Type/id?query".
struct EntryRequest {
  std::string method, url, type, id;
  size_t query = std::string::npos;  // where '?' is in url
};

Result<EntryRequest> ParseEntryRequest(const json& entry) {
  if (!entry.is_object() || !entry.contains("request") || !entry["request"].is_object())
    return BadEntry("an entry has no request");
  const json& req = entry["request"];
  for (const auto& [key, value] : req.items())
    if (key != "method" && key != "url" && key != "ifNoneExist")
      return BadEntry("request." + key + " is not accepted (ward sets ifMatch itself)");
  if (!req.contains("method") || !req["method"].is_string() || !req.contains("url") ||
      !req["url"].is_string())
    return BadEntry("request needs a method and a url, both strings");
  EntryRequest r{req["method"], req["url"]};
  r.query = r.url.find('?');
  std::string path = r.url.substr(0, r.query);
  r.type = path.substr(0, path.find('/'));
  r.id = path.find('/') == std::string::npos ? "" : path.substr(path.find('/') + 1);
  if (!IsKnownResourceType(r.type)) return BadEntry("unknown resource type in url");
  if (!r.id.empty() && !IsFhirId(r.id)) return BadEntry("the url's id is not a FHIR id");
  return r;
}

Result<PreparedAction> PrepareGetEntry(const json& entry, const EntryRequest& r) {
  if (entry.contains("resource")) return BadEntry("a GET entry has no resource");
  if (r.id.empty())
    return Action("fhir.search", r.type, "",
                  PatientsOfSearch(r.type, r.query == std::string::npos
                                               ? FhirSearchParams{}
                                               : QueryParams(r.url.substr(r.query + 1))));
  if (r.query != std::string::npos) return BadEntry("GET 'Type/id' takes no query");
  return Action("fhir.read", r.type, r.id, PatientsOfRead(r.type, r.id));
}

// The entry's resource checked as fhir.create/update would check it.
Status CheckEntryResource(const json& entry, bool need_id) {
  json wrapped = {{"resource", entry.contains("resource") ? entry["resource"] : json()}};
  Status checked = CheckResource(wrapped, "fhir.transaction", need_id);
  return checked.ok() ? checked : BadEntry(checked.message());
}

Result<PreparedAction> PreparePostEntry(const json& entry, const EntryRequest& r,
                                        const LocalReferences& local) {
  if (!r.id.empty()) return BadEntry("POST takes url 'Type'");
  WARD_RETURN_IF_ERROR(CheckEntryResource(entry, false));
  if (entry["resource"]["resourceType"] != r.type)
    return BadEntry("resource type differs from url");
  PatientSet patients = PatientsOfResource(entry["resource"], local);
  if (r.type == "Patient") patients.ids.clear();  // a new patient
  PreparedAction a = Action("fhir.create", r.type, "", patients);
  a.after = DumpJson(entry["resource"]);
  return a;
}

Result<PreparedAction> PreparePutEntry(FhirClient* client, const json& entry, const EntryRequest& r,
                                       const LocalReferences& local) {
  WARD_RETURN_IF_ERROR(CheckEntryResource(entry, true));
  const json& res = entry["resource"];
  if (res["resourceType"] != r.type || res["id"] != r.id)
    return BadEntry("resource differs from url");
  WARD_ASSIGN_OR_RETURN(PreparedAction stored,
                        Change(client, "fhir.update", r.type, r.id, nullptr));
  PatientSet patients = PatientsOfResource(res, local);
  for (const auto& p : stored.descriptor.patients) patients.Add(p);
  if (stored.descriptor.patient_unknown) patients.MarkUnknown();
  PreparedAction merged = Action("fhir.update", r.type, r.id, patients);
  merged.version = stored.version;
  merged.before = stored.before;
  merged.after = DumpJson(res);
  return merged;
}

// One entry as the action it is; a ValueError for a shape ward does not take.
Result<PreparedAction> PrepareEntry(FhirClient* client, const json& entry,
                                    const LocalReferences& local) {
  WARD_ASSIGN_OR_RETURN(EntryRequest r, ParseEntryRequest(entry));
  if (r.method == "GET") return PrepareGetEntry(entry, r);
  if (r.query != std::string::npos) return BadEntry("conditional " + r.method + " is not accepted");
  if (r.method != "POST" && entry["request"].contains("ifNoneExist"))
    return BadEntry("ifNoneExist is for POST");
  if (r.method == "POST") return PreparePostEntry(entry, r, local);
  if (r.id.empty()) return BadEntry(r.method + " needs url 'Type/id'");
  if (r.method == "PUT") return PreparePutEntry(client, entry, r, local);
  if (r.method == "DELETE") {
    if (entry.contains("resource")) return BadEntry("a DELETE entry has no resource");
    return Change(client, "fhir.delete", r.type, r.id, nullptr);
  }
  return BadEntry("method " + QuoteModelText(r.method) + " is not accepted");
}

// fullUrl → what it will be, for references between entries.
LocalReferences LocalReferencesOf(const json& entries) {
  LocalReferences local;
  for (const auto& e : entries) {
    if (!e.is_object() || !e.contains("fullUrl") || !e["fullUrl"].is_string()) continue;
    const json& req = e.value("request", json::object());
    std::string url = req.is_object() ? req.value("url", "") : "";
    std::string method = req.is_object() ? req.value("method", "") : "";
    std::string type = url.substr(0, url.find_first_of("/?"));
    std::string id =
        method == "PUT" && url.find('/') != std::string::npos ? url.substr(url.find('/') + 1) : "";
    local[e["fullUrl"].get<std::string>()] = LiteralReference{type, id};
  }
  return local;
}

Result<PreparedCall> PrepareTransaction(FhirClient* client, const json& args) {
  WARD_ASSIGN_OR_RETURN(json bundle, GuestBundle(args));
  const json entries = bundle.value("entry", json::array());
  LocalReferences local = LocalReferencesOf(entries);
  PreparedCall p;
  PatientSet all;
  p.actions.emplace_back();  // the bundle as a whole, filled in below
  for (const auto& e : entries) {
    WARD_ASSIGN_OR_RETURN(PreparedAction a, PrepareEntry(client, e, local));
    for (const auto& id : a.descriptor.patients) all.Add(id);
    if (a.descriptor.patient_unknown) all.MarkUnknown();
    p.actions.push_back(std::move(a));
  }
  p.actions[0] = Action("fhir.transaction", "Bundle", "", all);
  p.summary = "fhir.transaction of " + std::to_string(entries.size()) + " entries:";
  for (size_t i = 1; i < p.actions.size() && i <= kSummaryEntries; ++i)
    p.summary += (i == 1 ? " " : "; ") + p.actions[i].summary;
  if (p.actions.size() - 1 > kSummaryEntries)
    p.summary += "; and " + std::to_string(p.actions.size() - 1 - kSummaryEntries) + " more";
  return p;
}

Result<PreparedCall> PrepareChecked(FhirClient* client, const std::string& binding,
                                    const std::string& args_json) {
  WARD_ASSIGN_OR_RETURN(json args, Args(args_json, binding.c_str()));
  if (binding == "fhir.read") return PrepareRead(client, args);
  if (binding == "fhir.search" || binding == "fhir.search_bundle")
    return PrepareSearch(args, binding);
  if (binding == "fhir.create") return PrepareCreate(args);
  if (binding == "fhir.update") return PrepareUpdate(client, args);
  if (binding == "fhir.delete") return PrepareDelete(client, args);
  if (binding == "fhir.transaction") return PrepareTransaction(client, args);
  return GuestError("BindingError", "there is no fhir binding " + QuoteModelText(binding));
}

}  // namespace

PreparedCall Prepare(FhirClient* client, const std::string& binding, const std::string& args_json) {
  auto prepared = PrepareChecked(client, binding, args_json);
  if (!prepared.ok()) return RefusedCall(prepared.status());
  return std::move(prepared).value();
}

json TransactionBundle(const json& args, const PreparedCall& prepared) {
  json bundle = GuestBundle(args).value_or(json());
  if (!bundle.contains("entry")) return bundle;
  for (size_t i = 0; i < bundle["entry"].size() && i + 1 < prepared.actions.size(); ++i) {
    const PreparedAction& a = prepared.actions[i + 1];
    if (a.descriptor.operation == "read") continue;
    json& request = bundle["entry"][i]["request"];
    if (!a.version.empty() && a.before != "null")
      request["ifMatch"] = "W/\"" + a.version + "\"";
    else if (request.value("method", "") == "PUT")
      request["ifNoneMatch"] = "*";  // an update that creates: only if still absent
  }
  return bundle;
}

}  // namespace ward::fhir_internal
