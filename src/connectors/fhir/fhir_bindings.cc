#include "connectors/fhir/fhir_bindings.h"

#include <algorithm>

#include "connectors/fhir/fhir_common.h"
#include "connectors/fhir/fhir_prepare.h"
#include "connectors/fhir/fhir_writes.h"
#include "connectors/fhir/patient_compartment.h"
#include "util/hash.h"
#include "util/json_limits.h"

namespace ward {

using namespace fhir_internal;

namespace {

std::string NextLink(const json& bundle) {
  if (!bundle.contains("link") || !bundle["link"].is_array()) return "";
  for (const auto& l : bundle["link"])
    if (l.value("relation", "") == "next") return l.value("url", "");
  return "";
}

// The first page of a search, parsed. `answered` is the server's answer, if any.
Result<json> FirstPage(FhirClient* client, const std::string& args_json, const char* binding,
                       FhirResponse* answered) {
  WARD_ASSIGN_OR_RETURN(json args, Args(args_json, binding));
  WARD_RETURN_IF_ERROR(CheckTypeAndId(args, binding, false));
  auto params = SearchParams(args.value("params", json::object()));
  if (!params.ok())
    return GuestError("ValueError", std::string(binding) + "(): " + params.status().message());
  WARD_ASSIGN_OR_RETURN(
      FhirResponse r,
      Answered(client->Search(args["resource_type"].get<std::string>(), *params), answered));
  return ParseBody(r);
}

// What fhir.search returns: the matches of every page followed, up to the limits.
struct Matches {
  json resources = json::array();
  std::vector<std::string> ids, warnings;
};

// Follows the next links from `bundle`; `answered` is the last page's answer.
Result<Matches> AllPages(FhirClient* client, json bundle, FhirResponse* answered) {
  const auto& cfg = client->config();
  Matches m;
  for (int pages = 1;; ++pages) {
    for (const auto& e : bundle.value("entry", json::array())) {
      if (!e.contains("resource")) continue;
      if (e.contains("search") && e["search"].value("mode", "match") == "include") continue;
      if (static_cast<int>(m.resources.size()) >= cfg.max_resources) break;
      m.resources.push_back(e["resource"]);
      m.ids.push_back(ResourceRef(e["resource"]));
    }
    std::string next = NextLink(bundle);
    if (next.empty()) break;
    if (static_cast<int>(m.resources.size()) >= cfg.max_resources || pages >= cfg.max_pages) {
      m.warnings.push_back("stopped after " + std::to_string(pages) + " pages and " +
                           std::to_string(m.resources.size()) +
                           " resources; more matches exist (narrow the search, or use _count "
                           "and fhir.search_bundle to page yourself)");
      break;
    }
    auto r = client->FetchPage(next);
    if (!r.ok()) {
      m.warnings.push_back("stopped early: " + r.status().message());
      break;
    }
    WARD_ASSIGN_OR_RETURN(FhirResponse page, Answered(std::move(r), answered));
    WARD_ASSIGN_OR_RETURN(bundle, ParseBody(page));
  }
  return m;
}

BindingOutcome Search(FhirClient* client, const std::string& args_json) {
  FhirResponse first, answered;
  auto page = FirstPage(client, args_json, "fhir.search", &first);
  if (!page.ok()) return FailureOutcome(page.status(), &first);
  auto matches = AllPages(client, std::move(page).value(), &answered);
  if (!matches.ok()) return FailureOutcome(matches.status(), &answered);
  BindingOutcome out = BindingValue(DumpJson(matches->resources));
  out.reply.warnings = matches->warnings;
  out.audit = CallAudit(first, matches->ids);
  out.audit.Set("complete", matches->warnings.empty());
  return out;
}

BindingOutcome SearchBundle(FhirClient* client, const std::string& args_json) {
  FhirResponse first;
  auto bundle = FirstPage(client, args_json, "fhir.search_bundle", &first);
  if (!bundle.ok()) return FailureOutcome(bundle.status(), &first);
  std::vector<std::string> ids;
  for (const auto& e : bundle->value("entry", json::array()))
    if (e.contains("resource")) ids.push_back(ResourceRef(e["resource"]));
  BindingOutcome out = BindingValue(first.body);
  out.audit = CallAudit(first, ids);
  return out;
}

// Whether `body` touches only patients the prepared read was decided on.
bool WithinPrepared(const PreparedCall* prepared, const std::string& body) {
  if (!prepared || prepared->actions.empty()) return true;
  const ActionDescriptor& decided = prepared->actions[0].descriptor;
  if (decided.patient_unknown) return true;
  PatientSet now = PatientsOfResource(ParseJsonOrDiscarded(body));
  if (now.unknown) return false;
  for (const auto& id : now.ids)
    if (std::find(decided.patients.begin(), decided.patients.end(), id) == decided.patients.end())
      return false;
  return true;
}

// The resource a read returns. `answered` is the server's answer, if any.
Result<FhirResponse> ReadChecked(FhirClient* client, const std::string& args_json,
                                 const PreparedCall* prepared, FhirResponse* answered) {
  WARD_ASSIGN_OR_RETURN(json args, Args(args_json, "fhir.read"));
  WARD_RETURN_IF_ERROR(CheckTypeAndId(args, "fhir.read", true));
  std::string type = args["resource_type"], id = args["id"];
  WARD_ASSIGN_OR_RETURN(FhirResponse r, Answered(client->Read(type, id), answered));
  if (type != "Patient" && !WithinPrepared(prepared, r.body))
    return GuestError("ConflictError", type + "/" + id +
                                           " changed while it was being read and now names "
                                           "other patients; nothing is returned");
  return r;
}

BindingOutcome Read(FhirClient* client, const std::string& args_json,
                    const PreparedCall* prepared) {
  FhirResponse answered;
  auto r = ReadChecked(client, args_json, prepared, &answered);
  if (!r.ok()) return FailureOutcome(r.status(), &answered);
  json args = ParseJsonOrDiscarded(args_json);
  BindingOutcome out = BindingValue(r->body);
  out.audit = CallAudit(
      *r, {args["resource_type"].get<std::string>() + "/" + args["id"].get<std::string>()});
  return out;
}

// The errors every fhir binding may raise in the guest.
std::vector<GuestErrorType> FhirErrorTypes() {
  return {{"FhirError", "BindingError",
           "A FHIR server answered with an error; the message carries its OperationOutcome."},
          {"ConflictError", "FhirError",
           "The resource changed since ward read it (and since any approver saw it); nothing "
           "was written. Read it again and decide whether the change still applies."}};
}

Binding Make(FhirClient* client, const char* name, const char* signature, const char* op,
             const char* doc,
             std::function<BindingOutcome(const std::string&, const PreparedCall*)> fn) {
  Binding b{name, signature, doc, op, [fn](const BindingContext& context, const std::string& args) {
              return fn(args, context.prepared);
            }};
  std::string binding = name;
  b.prepare = [client, binding](const std::string& args) { return Prepare(client, binding, args); };
  b.raises = FhirErrorTypes();
  return b;
}

}  // namespace

std::string OperationOutcomeText(const std::string& body) {
  json oo = ParseJsonOrDiscarded(body);
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

namespace {

// "fhir.update Patient/1" → "labs.update Patient/1": every binding name that
// starts the text or follows a space or line break (summaries list entries).
std::string Renamed(const std::string& text, const std::string& name) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    bool word_start = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n';
    if (word_start && text.compare(i, 5, "fhir.") == 0) {
      out += name + ".";
      i += 4;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::vector<Binding> NameFhirBindings(const std::string& name, std::vector<Binding> bindings) {
  if (name == "fhir") return bindings;
  for (Binding& b : bindings) {
    b.name = Renamed(b.name, name);
    if (!b.prepare) continue;
    b.prepare = [name, inner = std::move(b.prepare)](const std::string& args) {
      PreparedCall p = inner(args);
      p.summary = Renamed(p.summary, name);
      for (PreparedAction& a : p.actions) {
        a.descriptor.binding = Renamed(a.descriptor.binding, name);
        a.descriptor.connector = name;
        a.summary = Renamed(a.summary, name);
      }
      return p;
    };
  }
  return bindings;
}

std::vector<Binding> MakeFhirBindings(FhirClient* c, JournalScope* w) {
  return {
      Make(c, "fhir.read", "read(resource_type, id)", "read",
           "Read one resource by type and id, e.g. fhir.read('Patient', '123'). Returns a dict. "
           "Raises FhirError (with the server's OperationOutcome) if it does not exist.",
           [c](const std::string& a, const PreparedCall* p) { return Read(c, a, p); }),
      Make(c, "fhir.search", "search(resource_type, **params)", "read",
           "Search with FHIR R4 search parameters; returns a list of resource dicts, following "
           "the server's next links (up to a limit; a note on stderr says when it stopped "
           "early). Examples: fhir.search('Patient', family='Smith', birthdate='ge1970'); "
           "fhir.search('Observation', patient='123', code='http://loinc.org|4548-4', "
           "_sort='-date', _count=1). A list value repeats the parameter (AND); commas inside "
           "one value mean OR.",
           [c](const std::string& a, const PreparedCall*) { return Search(c, a); }),
      Make(c, "fhir.search_bundle", "search_bundle(resource_type, **params)", "read",
           "Like fhir.search but returns the first page as the raw searchset Bundle dict "
           "(with total and links), for paging yourself or _summary=count.",
           [c](const std::string& a, const PreparedCall*) { return SearchBundle(c, a); }),
      Make(c, "fhir.create", "create(resource)", "write",
           "Create a resource (a dict with resourceType); the server assigns the id. Returns the "
           "stored resource with its id and meta.versionId.",
           [c, w](const std::string& a, const PreparedCall*) { return Create(c, w, a); }),
      Make(c, "fhir.update", "update(resource)", "write",
           "Replace a resource (a dict with resourceType and id) with this content. Returns the "
           "stored resource with its new meta.versionId.",
           [c, w](const std::string& a, const PreparedCall* p) { return Update(c, w, a, p); }),
      Make(c, "fhir.delete", "delete(resource_type, id)", "delete",
           "Delete a resource by type and id. Returns None.",
           [c, w](const std::string& a, const PreparedCall* p) {
             return fhir_internal::Delete(c, w, a, p);
           }),
      Make(c, "fhir.transaction", "transaction(entries)", "write",
           "Submit a transaction: a list of Bundle entries, each {'resource': {...}, "
           "'request': {'method': 'POST'|'PUT'|'DELETE', 'url': 'Patient' or 'Patient/1'}} "
           "(fullUrl 'urn:uuid:...' may be used for references between entries). All or "
           "nothing. Returns the transaction-response Bundle.",
           [c, w](const std::string& a, const PreparedCall* p) {
             return fhir_internal::Transaction(c, w, a, p);
           }),
  };
}

}  // namespace ward
