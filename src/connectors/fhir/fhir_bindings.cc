#include "connectors/fhir/fhir_bindings.h"

#include <nlohmann/json.hpp>

#include "util/hash.h"

namespace ward {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The audit details every FHIR call records.
AuditData CallAudit(const FhirResponse& r, const std::vector<std::string>& ids) {
  AuditData a;
  a.Set("method", r.method).Set("url", r.url).Set("http_status", r.status);
  a.SetStrings("resource_ids", ids);
  a.Set("body_sha256", Sha256Hex(r.body));
  return a;
}

std::string ResourceRef(const json& resource) {
  if (!resource.is_object()) return "";
  return resource.value("resourceType", "") + "/" + resource.value("id", "");
}

// Parses a JSON response body; an error outcome for the guest when it is not JSON.
Result<json> ParseBody(const FhirResponse& r) {
  json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded())
    return InvalidArgument("the FHIR server answered " + r.method + " " + r.url +
                           " with a body that is not JSON");
  return body;
}

BindingOutcome HttpFailure(const FhirResponse& r) {
  std::string path = r.url;
  BindingOutcome out =
      BindingFailure("FhirError", "HTTP " + std::to_string(r.status) + " from " + r.method + " " +
                                      path + ": " + OperationOutcomeText(r.body));
  out.audit = CallAudit(r, {});
  return out;
}

BindingOutcome TransportFailure(const Status& s) {
  return BindingFailure("FhirError", "the FHIR server could not be reached: " + s.message());
}

// Parses the arguments object; nullopt with an error outcome in *failure when malformed.
std::optional<json> Args(const std::string& args_json, const char* binding,
                         BindingOutcome* failure) {
  json args = json::parse(args_json, nullptr, false);
  if (args.is_discarded() || !args.is_object()) {
    *failure = BindingFailure("TypeError", std::string(binding) + "(): malformed arguments");
    return std::nullopt;
  }
  return args;
}

// Validates resource_type (and id when `with_id`); empty string when fine.
std::string CheckTypeAndId(const json& args, const char* binding, bool with_id) {
  const json& type = args.contains("resource_type") ? args["resource_type"] : json();
  if (!type.is_string() || !IsResourceTypeName(type.get<std::string>()))
    return std::string(binding) +
           "(): resource_type must be a FHIR resource type such as "
           "'Patient', got " +
           Dump(type);
  if (!with_id) return "";
  const json& id = args.contains("id") ? args["id"] : json();
  if (!id.is_string() || !IsFhirId(id.get<std::string>()))
    return std::string(binding) +
           "(): id must be a FHIR id (letters, digits, '-', '.'; at most "
           "64), got " +
           Dump(id);
  return "";
}

// Search parameters from the guest's **params: str/int/float/bool values, lists for AND.
Result<FhirSearchParams> SearchParams(const json& params) {
  FhirSearchParams out;
  if (params.is_null()) return out;
  for (const auto& [name, value] : params.items()) {
    auto add = [&](const json& v) -> Status {
      if (v.is_string()) {
        out.push_back({name, v.get<std::string>()});
      } else if (v.is_number() || v.is_boolean()) {
        out.push_back({name, Dump(v)});
      } else {
        return InvalidArgument("search parameter " + name +
                               " must be a string or number (a list repeats it, meaning AND; "
                               "commas inside one value mean OR), got " +
                               Dump(v));
      }
      return Status::Ok();
    };
    if (value.is_array()) {
      for (const auto& v : value) WARD_RETURN_IF_ERROR(add(v));
    } else {
      WARD_RETURN_IF_ERROR(add(value));
    }
  }
  return out;
}

std::string NextLink(const json& bundle) {
  if (!bundle.contains("link") || !bundle["link"].is_array()) return "";
  for (const auto& l : bundle["link"])
    if (l.value("relation", "") == "next") return l.value("url", "");
  return "";
}

// Runs a search (first page) and returns its parsed bundle or a failure outcome.
std::variant<json, BindingOutcome> FirstPage(FhirClient* client, const json& args,
                                             const char* binding, FhirResponse* response) {
  if (std::string e = CheckTypeAndId(args, binding, false); !e.empty())
    return BindingFailure("ValueError", e);
  auto params = SearchParams(args.value("params", json::object()));
  if (!params.ok())
    return BindingFailure("ValueError", std::string(binding) + "(): " + params.status().message());
  auto r = client->Search(args["resource_type"].get<std::string>(), *params);
  if (!r.ok()) return TransportFailure(r.status());
  *response = *r;
  if (r->status >= 400) return HttpFailure(*r);
  auto body = ParseBody(*r);
  if (!body.ok()) return BindingFailure("FhirError", body.status().message());
  return *body;
}

BindingOutcome Search(FhirClient* client, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.search", &failure);
  if (!args) return failure;
  FhirResponse first;
  auto page = FirstPage(client, *args, "fhir.search", &first);
  if (auto* f = std::get_if<BindingOutcome>(&page)) return *f;
  json bundle = std::get<json>(page);
  const auto& cfg = client->config();
  json resources = json::array();
  std::vector<std::string> ids, warnings;
  std::string body_hashes;
  for (int pages = 1;; ++pages) {
    for (const auto& e : bundle.value("entry", json::array())) {
      if (!e.contains("resource")) continue;
      if (e.contains("search") && e["search"].value("mode", "match") == "include") continue;
      if (static_cast<int>(resources.size()) >= cfg.max_resources) break;
      resources.push_back(e["resource"]);
      ids.push_back(ResourceRef(e["resource"]));
    }
    std::string next = NextLink(bundle);
    if (next.empty()) break;
    if (static_cast<int>(resources.size()) >= cfg.max_resources || pages >= cfg.max_pages) {
      warnings.push_back("stopped after " + std::to_string(pages) + " pages and " +
                         std::to_string(resources.size()) +
                         " resources; more matches exist (narrow the search, or use _count "
                         "and fhir.search_bundle to page yourself)");
      break;
    }
    auto r = client->FetchPage(next);
    if (!r.ok()) {
      warnings.push_back("stopped early: " + r.status().message());
      break;
    }
    if (r->status >= 400) return HttpFailure(*r);
    auto parsed = ParseBody(*r);
    if (!parsed.ok()) return BindingFailure("FhirError", parsed.status().message());
    bundle = *parsed;
  }
  BindingOutcome out = BindingValue(Dump(resources));
  out.reply.warnings = warnings;
  out.audit = CallAudit(first, ids);
  out.audit.Set("complete", warnings.empty());
  return out;
}

BindingOutcome SearchBundle(FhirClient* client, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.search_bundle", &failure);
  if (!args) return failure;
  FhirResponse first;
  auto page = FirstPage(client, *args, "fhir.search_bundle", &first);
  if (auto* f = std::get_if<BindingOutcome>(&page)) return *f;
  const json& bundle = std::get<json>(page);
  std::vector<std::string> ids;
  for (const auto& e : bundle.value("entry", json::array()))
    if (e.contains("resource")) ids.push_back(ResourceRef(e["resource"]));
  BindingOutcome out = BindingValue(first.body);
  out.audit = CallAudit(first, ids);
  return out;
}

BindingOutcome Read(FhirClient* client, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.read", &failure);
  if (!args) return failure;
  if (std::string e = CheckTypeAndId(*args, "fhir.read", true); !e.empty())
    return BindingFailure("ValueError", e);
  std::string type = (*args)["resource_type"], id = (*args)["id"];
  auto r = client->Read(type, id);
  if (!r.ok()) return TransportFailure(r.status());
  if (r->status >= 400) return HttpFailure(*r);
  BindingOutcome out = BindingValue(r->body);
  out.audit = CallAudit(*r, {type + "/" + id});
  return out;
}

// The resource argument of create/update: an object with a valid resourceType.
std::string CheckResource(const json& args, const char* binding, bool need_id) {
  const json& res = args.contains("resource") ? args["resource"] : json();
  if (!res.is_object())
    return std::string(binding) + "(): resource must be a dict (a FHIR resource)";
  const json& type = res.contains("resourceType") ? res["resourceType"] : json();
  if (!type.is_string() || !IsResourceTypeName(type.get<std::string>()))
    return std::string(binding) + "(): resource needs a resourceType such as 'Patient'";
  if (need_id &&
      (!res.contains("id") || !res["id"].is_string() || !IsFhirId(res["id"].get<std::string>())))
    return std::string(binding) + "(): resource needs a valid id to update";
  return "";
}

BindingOutcome Write(FhirClient* client, const std::string& args_json, bool update) {
  const char* name = update ? "fhir.update" : "fhir.create";
  BindingOutcome failure;
  auto args = Args(args_json, name, &failure);
  if (!args) return failure;
  if (std::string e = CheckResource(*args, name, update); !e.empty())
    return BindingFailure("ValueError", e);
  const json& res = (*args)["resource"];
  std::string type = res["resourceType"];
  auto r = update ? client->Update(type, res["id"].get<std::string>(), Dump(res))
                  : client->Create(type, Dump(res));
  if (!r.ok()) return TransportFailure(r.status());
  if (r->status >= 400) return HttpFailure(*r);
  json body = json::parse(r->body, nullptr, false);
  std::string value = body.is_object() ? r->body : "null";
  std::string ref = body.is_object() ? ResourceRef(body) : r->location;
  BindingOutcome out = BindingValue(value);
  out.audit = CallAudit(*r, {ref});
  out.audit.Set("etag", r->etag);
  return out;
}

BindingOutcome Delete(FhirClient* client, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.delete", &failure);
  if (!args) return failure;
  if (std::string e = CheckTypeAndId(*args, "fhir.delete", true); !e.empty())
    return BindingFailure("ValueError", e);
  std::string type = (*args)["resource_type"], id = (*args)["id"];
  auto r = client->Delete(type, id);
  if (!r.ok()) return TransportFailure(r.status());
  if (r->status >= 400) return HttpFailure(*r);
  BindingOutcome out = BindingValue("null");
  out.audit = CallAudit(*r, {type + "/" + id});
  return out;
}

BindingOutcome Transaction(FhirClient* client, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.transaction", &failure);
  if (!args) return failure;
  const json& entries = args->contains("entries") ? (*args)["entries"] : json();
  json bundle;
  if (entries.is_object() && entries.value("resourceType", "") == "Bundle") {
    bundle = entries;
  } else if (entries.is_array()) {
    bundle = {{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries}};
  } else {
    return BindingFailure(
        "ValueError",
        "fhir.transaction(): entries must be a list of Bundle entries "
        "({'resource': ..., 'request': {'method': ..., 'url': ...}}) or a Bundle");
  }
  auto r = client->Transaction(Dump(bundle));
  if (!r.ok()) return TransportFailure(r.status());
  if (r->status >= 400) return HttpFailure(*r);
  std::vector<std::string> ids;
  json body = json::parse(r->body, nullptr, false);
  if (body.is_object())
    for (const auto& e : body.value("entry", json::array()))
      if (e.contains("response")) ids.push_back(e["response"].value("location", ""));
  BindingOutcome out = BindingValue(body.is_object() ? r->body : "null");
  out.audit = CallAudit(*r, ids);
  return out;
}

Binding Make(const char* name, const char* signature, const char* op, const char* doc,
             std::function<BindingOutcome(const std::string&)> fn) {
  return Binding{name, signature, doc, op,
                 [fn](const BindingContext&, const std::string& args) { return fn(args); }};
}

}  // namespace

std::string OperationOutcomeText(const std::string& body) {
  json oo = json::parse(body, nullptr, false);
  if (oo.is_discarded() || !oo.is_object() || oo.value("resourceType", "") != "OperationOutcome")
    return body.substr(0, 300);
  std::string out;
  for (const auto& issue : oo.value("issue", json::array())) {
    std::string text = issue.value("severity", "error") + "/" + issue.value("code", "unknown");
    std::string detail = issue.value("diagnostics", "");
    if (detail.empty() && issue.contains("details")) detail = issue["details"].value("text", "");
    if (!detail.empty()) text += ": " + detail;
    if (issue.contains("expression") && issue["expression"].is_array() &&
        !issue["expression"].empty())
      text += " (at " + issue["expression"][0].get<std::string>() + ")";
    out += (out.empty() ? "" : "; ") + text;
  }
  return out.empty() ? "OperationOutcome without issues" : out;
}

std::vector<Binding> MakeFhirBindings(FhirClient* c) {
  return {
      Make("fhir.read", "read(resource_type, id)", "read",
           "Read one resource by type and id, e.g. fhir.read('Patient', '123'). Returns a dict. "
           "Raises FhirError (with the server's OperationOutcome) if it does not exist.",
           [c](const std::string& a) { return Read(c, a); }),
      Make("fhir.search", "search(resource_type, **params)", "read",
           "Search with FHIR R4 search parameters; returns a list of resource dicts, following "
           "the server's next links (up to a limit; a note on stderr says when it stopped "
           "early). Examples: fhir.search('Patient', family='Smith', birthdate='ge1970'); "
           "fhir.search('Observation', patient='123', code='http://loinc.org|4548-4', "
           "_sort='-date', _count=1). A list value repeats the parameter (AND); commas inside "
           "one value mean OR.",
           [c](const std::string& a) { return Search(c, a); }),
      Make("fhir.search_bundle", "search_bundle(resource_type, **params)", "read",
           "Like fhir.search but returns the first page as the raw searchset Bundle dict "
           "(with total and links), for paging yourself or _summary=count.",
           [c](const std::string& a) { return SearchBundle(c, a); }),
      Make("fhir.create", "create(resource)", "write",
           "Create a resource (a dict with resourceType); the server assigns the id. Returns the "
           "stored resource with its id and meta.versionId.",
           [c](const std::string& a) { return Write(c, a, false); }),
      Make("fhir.update", "update(resource)", "write",
           "Replace a resource (a dict with resourceType and id) with this content. Returns the "
           "stored resource with its new meta.versionId.",
           [c](const std::string& a) { return Write(c, a, true); }),
      Make("fhir.delete", "delete(resource_type, id)", "delete",
           "Delete a resource by type and id. Returns None.",
           [c](const std::string& a) { return Delete(c, a); }),
      Make("fhir.transaction", "transaction(entries)", "write",
           "Submit a transaction: a list of Bundle entries, each {'resource': {...}, "
           "'request': {'method': 'POST'|'PUT'|'DELETE', 'url': 'Patient' or 'Patient/1'}} "
           "(fullUrl 'urn:uuid:...' may be used for references between entries). All or "
           "nothing. Returns the transaction-response Bundle.",
           [c](const std::string& a) { return Transaction(c, a); }),
  };
}

}  // namespace ward
