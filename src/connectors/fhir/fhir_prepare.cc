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

PreparedCall Refuse(const std::string& type, const std::string& message) {
  PreparedCall p;
  p.refusal = GuestCallReply{false, "", type, message};
  return p;
}

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

// The stored version of a resource an update or delete is about to change.
Result<Current> Stored(FhirClient* client, const std::string& type, const std::string& id) {
  return ReadCurrent(client, type, id);
}

PatientSet PatientsOf(const std::string& json_text) {
  if (json_text.empty()) return {};
  return PatientsOfResource(ParseJsonOrDiscarded(json_text));
}

// An update or delete of type/id: its stored version (whose patients count too).
std::optional<PreparedCall> Change(FhirClient* client, const std::string& binding,
                                   const std::string& type, const std::string& id,
                                   const json* after, PreparedAction* out) {
  auto stored = Stored(client, type, id);
  if (!stored.ok()) return Refuse("FhirError", binding + "(): " + stored.status().message());
  PatientSet patients = PatientsOf(stored->json);
  if (type == "Patient") patients.Add(id);
  if (after) patients.Merge(PatientsOfResource(*after));
  *out = Action(binding, type, id, patients);
  out->version = stored->version;
  if (!stored->json.empty()) out->before = stored->json;
  if (after) out->after = Dump(*after);
  return std::nullopt;
}

PreparedCall PrepareSearch(const json& args, const std::string& binding) {
  if (std::string e = CheckTypeAndId(args, binding.c_str(), false); !e.empty())
    return Refuse("ValueError", e);
  auto params = SearchParams(args.contains("params") ? args["params"] : json::object());
  if (!params.ok()) return Refuse("ValueError", binding + "(): " + params.status().message());
  std::string type = args["resource_type"];
  return Single(Action(binding, type, "", PatientsOfSearch(type, *params)));
}

// A read of a compartment type other than Patient: whose it is shows only in the
// resource, so it is read here (the handler checks that it still names no one else).
PreparedCall PrepareRead(FhirClient* client, const json& args) {
  if (std::string e = CheckTypeAndId(args, "fhir.read", true); !e.empty())
    return Refuse("ValueError", e);
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

PreparedCall PrepareCreate(const json& args) {
  if (std::string e = CheckResource(args, "fhir.create", false); !e.empty())
    return Refuse("ValueError", e);
  const json& res = args["resource"];
  PatientSet patients = PatientsOfResource(res);
  if (res.value("resourceType", "") == "Patient") patients.ids.clear();  // a new patient
  PreparedAction a = Action("fhir.create", res["resourceType"].get<std::string>(), "", patients);
  a.after = Dump(res);
  return Single(std::move(a));
}

PreparedCall PrepareUpdate(FhirClient* client, const json& args) {
  if (std::string e = CheckResource(args, "fhir.update", true); !e.empty())
    return Refuse("ValueError", e);
  const json& res = args["resource"];
  PreparedAction a;
  if (auto refused = Change(client, "fhir.update", res["resourceType"].get<std::string>(),
                            res["id"].get<std::string>(), &res, &a))
    return *refused;
  return Single(std::move(a));
}

PreparedCall PrepareDelete(FhirClient* client, const json& args) {
  if (std::string e = CheckTypeAndId(args, "fhir.delete", true); !e.empty())
    return Refuse("ValueError", e);
  PreparedAction a;
  if (auto refused = Change(client, "fhir.delete", args["resource_type"].get<std::string>(),
                            args["id"].get<std::string>(), nullptr, &a))
    return *refused;
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
std::optional<json> GuestBundle(const json& args) {
  const json& entries = args.contains("entries") ? args["entries"] : json();
  if (entries.is_array())
    return json{{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries}};
  if (entries.is_object() && entries.value("resourceType", "") == "Bundle") {
    std::string type = entries.value("type", "");
    if ((type == "transaction" || type == "batch") &&
        (!entries.contains("entry") || entries["entry"].is_array()))
      return entries;
  }
  return std::nullopt;
}

const char* kEntryShape =
    "fhir.transaction(): each entry must be {'resource': {...}, 'request': {'method': 'POST', "
    "'url': 'Type'}} or method PUT/DELETE/GET with url 'Type/id' (GET also 'Type?query'); ";

// One entry as the action it is; a refusal for a shape ward does not take.
std::optional<PreparedCall> PrepareEntry(FhirClient* client, const json& entry,
                                         const LocalReferences& local, PreparedAction* out) {
  auto bad = [](const std::string& why) { return Refuse("ValueError", kEntryShape + why); };
  if (!entry.is_object() || !entry.contains("request") || !entry["request"].is_object())
    return bad("an entry has no request");
  const json& req = entry["request"];
  for (const auto& [key, value] : req.items())
    if (key != "method" && key != "url" && key != "ifNoneExist")
      return bad("request." + key + " is not accepted (ward sets ifMatch itself)");
  if (!req.contains("method") || !req["method"].is_string() || !req.contains("url") ||
      !req["url"].is_string())
    return bad("request needs a method and a url, both strings");
  std::string method = req["method"], url = req["url"];
  size_t query = url.find('?');
  std::string path = url.substr(0, query);
  std::string type = path.substr(0, path.find('/'));
  std::string id = path.find('/') == std::string::npos ? "" : path.substr(path.find('/') + 1);
  if (!IsKnownResourceType(type)) return bad("unknown resource type in url");
  if (!id.empty() && !IsFhirId(id)) return bad("the url's id is not a FHIR id");
  bool has_resource = entry.contains("resource");
  if (method == "GET") {
    if (has_resource) return bad("a GET entry has no resource");
    if (!id.empty() && query != std::string::npos) return bad("GET 'Type/id' takes no query");
    *out = id.empty() ? Action("fhir.search", type, "",
                               PatientsOfSearch(type, query == std::string::npos
                                                          ? FhirSearchParams{}
                                                          : QueryParams(url.substr(query + 1))))
                      : Action("fhir.read", type, id, PatientsOfRead(type, id));
    return std::nullopt;
  }
  if (query != std::string::npos) return bad("conditional " + method + " is not accepted");
  if (method != "POST" && req.contains("ifNoneExist")) return bad("ifNoneExist is for POST");
  json wrapped = {{"resource", has_resource ? entry["resource"] : json()}};
  if (method == "POST") {
    if (!id.empty()) return bad("POST takes url 'Type'");
    if (std::string e = CheckResource(wrapped, "fhir.transaction", false); !e.empty())
      return bad(e);
    if (entry["resource"]["resourceType"] != type) return bad("resource type differs from url");
    PatientSet patients = PatientsOfResource(entry["resource"], local);
    if (type == "Patient") patients.ids.clear();  // a new patient
    *out = Action("fhir.create", type, "", patients);
    out->after = Dump(entry["resource"]);
    return std::nullopt;
  }
  if (id.empty()) return bad(method + " needs url 'Type/id'");
  if (method == "PUT") {
    if (std::string e = CheckResource(wrapped, "fhir.transaction", true); !e.empty()) return bad(e);
    const json& res = entry["resource"];
    if (res["resourceType"] != type || res["id"] != id) return bad("resource differs from url");
    PreparedAction a;
    if (auto refused = Change(client, "fhir.update", type, id, nullptr, &a)) return refused;
    PatientSet patients = PatientsOfResource(res, local);
    for (const auto& p : a.descriptor.patients) patients.Add(p);
    if (a.descriptor.patient_unknown) patients.MarkUnknown();
    PreparedAction merged = Action("fhir.update", type, id, patients);
    merged.version = a.version;
    merged.before = a.before;
    merged.after = Dump(res);
    *out = std::move(merged);
    return std::nullopt;
  }
  if (method == "DELETE") {
    if (has_resource) return bad("a DELETE entry has no resource");
    if (auto refused = Change(client, "fhir.delete", type, id, nullptr, out)) return refused;
    return std::nullopt;
  }
  return bad("method " + QuoteModelText(method) + " is not accepted");
}

PreparedCall PrepareTransaction(FhirClient* client, const json& args) {
  auto bundle = GuestBundle(args);
  if (!bundle)
    return Refuse("ValueError",
                  "fhir.transaction(): entries must be a list of Bundle entries "
                  "({'resource': ..., 'request': {'method': ..., 'url': ...}}) or a Bundle of "
                  "type transaction or batch");
  const json entries = bundle->value("entry", json::array());
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
  PreparedCall p;
  PatientSet all;
  p.actions.emplace_back();  // the bundle as a whole, filled in below
  for (const auto& e : entries) {
    PreparedAction a;
    if (auto refused = PrepareEntry(client, e, local, &a)) return *refused;
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

}  // namespace

PreparedCall Prepare(FhirClient* client, const std::string& binding, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, binding.c_str(), &failure);
  if (!args) return Refuse(failure.reply.error_type, failure.reply.error_message);
  if (binding == "fhir.read") return PrepareRead(client, *args);
  if (binding == "fhir.search" || binding == "fhir.search_bundle")
    return PrepareSearch(*args, binding);
  if (binding == "fhir.create") return PrepareCreate(*args);
  if (binding == "fhir.update") return PrepareUpdate(client, *args);
  if (binding == "fhir.delete") return PrepareDelete(client, *args);
  if (binding == "fhir.transaction") return PrepareTransaction(client, *args);
  return Refuse("BindingError", "there is no fhir binding " + QuoteModelText(binding));
}

json TransactionBundle(const json& args, const PreparedCall& prepared) {
  json bundle = *GuestBundle(args);
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
