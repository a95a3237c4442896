// EhrService: batch and transaction bundles.
//
// A transaction runs in one write session: ids are assigned to POST entries first
// (an entry whose fullUrl is urn:uuid:<uuid> gets that uuid as its id when it is
// free), every Reference.reference naming a fullUrl is rewritten to Type/id, then
// entries run in the R4 order DELETE, POST, PUT, GET. The first failure rolls
// everything back and is returned as an OperationOutcome naming the entry. A batch
// runs each entry in its own session and reports each outcome in its entry.
#include <set>

#include "ehr/ehr_service.h"
#include "ehr/service_internal.h"
#include "util/clock.h"
#include "util/json_limits.h"

namespace ward::ehr {

using nlohmann::json;

namespace {

struct EntryRequest {
  std::string method;
  std::string path;   // e.g. "Patient/123"
  std::string query;  // after '?'
  std::string full_url;
  std::string if_match;
  std::string if_none_match;
  std::string if_none_exist;
  json resource;  // null when absent
};

std::string StrAt(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// Reads entry `i`; InvalidArgument names the entry when it is malformed.
Result<EntryRequest> ReadEntry(const json& entry, size_t i, const std::string& base) {
  std::string where = "Bundle.entry[" + std::to_string(i) + "]";
  if (!entry.is_object() || !entry.contains("request") || !entry["request"].is_object()) {
    return InvalidArgument(where + ".request is missing");
  }
  const json& req = entry["request"];
  EntryRequest e;
  e.method = StrAt(req, "method");
  std::string url = StrAt(req, "url");
  if (e.method.empty() || url.empty())
    return InvalidArgument(where + ".request needs method and url");
  if (!base.empty() && url.rfind(base + "/", 0) == 0) url = url.substr(base.size() + 1);
  size_t qm = url.find('?');
  e.path = url.substr(0, qm);
  e.query = qm == std::string::npos ? "" : url.substr(qm + 1);
  e.full_url = StrAt(entry, "fullUrl");
  e.if_match = StrAt(req, "ifMatch");
  e.if_none_match = StrAt(req, "ifNoneMatch");
  e.if_none_exist = StrAt(req, "ifNoneExist");
  if (entry.contains("resource")) e.resource = entry["resource"];
  if ((e.method == "POST" || e.method == "PUT") && !e.resource.is_object()) {
    return InvalidArgument(where + ".resource is required for " + e.method);
  }
  return e;
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// The response part of a bundle entry.
json EntryFromResponse(const EhrResponse& r) {
  json response = {{"status", StatusLine(r.status)}};
  std::string location = r.Header("Location"), etag = r.Header("ETag");
  if (!location.empty()) response["location"] = location;
  if (!etag.empty()) response["etag"] = etag;
  if (r.last_modified_ms) response["lastModified"] = FormatIso8601(r.last_modified_ms);
  json entry = json::object();
  if (!location.empty()) {
    size_t h = location.find("/_history/");
    entry["fullUrl"] = location.substr(0, h);
  }
  if (!r.body.empty()) {
    json body = ParseJsonOrDiscarded(r.body);
    bool outcome = body.is_object() && body.value("resourceType", "") == "OperationOutcome";
    if (outcome && r.status >= 400) {
      response["outcome"] = body;
    } else if (!body.is_discarded()) {
      entry["resource"] = body;
    }
  }
  entry["response"] = response;
  return entry;
}

// Prefixes the issues of a failed entry's OperationOutcome with the entry.
EhrResponse EntryFailure(const EhrResponse& r, size_t i) {
  std::string where = "Bundle.entry[" + std::to_string(i) + "]";
  json body = ParseJsonOrDiscarded(r.body);
  if (!body.is_object() || !body.contains("issue")) {
    return OutcomeResponse(r.status, "processing", where + " failed");
  }
  for (auto& issue : body["issue"]) {
    issue["diagnostics"] = where + ": " + issue.value("diagnostics", "");
    json expr = issue.value("expression", json::array());
    expr.push_back(where);
    issue["expression"] = expr;
  }
  return EhrResponse{r.status, {}, body.dump()};
}

int MethodRank(const std::string& m) {
  return m == "DELETE" ? 0 : m == "POST" ? 1 : m == "PUT" ? 2 : m == "GET" ? 3 : 4;
}

std::string UuidOf(const std::string& full_url) {
  return full_url.rfind("urn:uuid:", 0) == 0 ? full_url.substr(9) : "";
}

}  // namespace

EhrResponse EhrService::ProcessBundle(const json& bundle, const std::string& base_url) {
  try {
    if (!bundle.is_object() || bundle.value("resourceType", "") != "Bundle") {
      return OutcomeResponse(400, "invalid", "POST to the base takes a Bundle", {"Bundle"});
    }
    std::string type = bundle.value("type", "");
    if (type != "transaction" && type != "batch") {
      return OutcomeResponse(400, "invalid", "Bundle.type must be transaction or batch",
                             {"Bundle.type"});
    }
    if (bundle.contains("entry") && !bundle["entry"].is_array()) {
      return OutcomeResponse(400, "invalid", "Bundle.entry must be an array", {"Bundle.entry"});
    }
    Interaction in;
    in.base = base_url;
    while (!in.base.empty() && in.base.back() == '/') in.base.pop_back();
    in.in_bundle = true;
    return type == "transaction" ? Transaction(bundle, in) : Batch(bundle, in);
  } catch (const std::exception& e) {
    return OutcomeResponse(500, "exception", std::string("internal error: ") + e.what());
  }
}

EhrResponse EhrService::Transaction(const json& bundle, const Interaction& tmpl) {
  const json entries = bundle.value("entry", json::array());
  std::vector<EntryRequest> reqs;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto e = ReadEntry(entries[i], i, tmpl.base);
    if (!e.ok()) return FromStatus(e.status());
    reqs.push_back(std::move(*e));
  }
  auto session = store_->BeginWrite();
  if (!session.ok()) return FromStatus(session.status());
  Store::Session& s = *session;
  std::map<std::string, std::string> id_map;
  std::vector<std::string> ids(reqs.size());
  std::set<std::string> assigned;
  for (size_t i = 0; i < reqs.size(); ++i) {
    EntryRequest& e = reqs[i];
    if (e.method == "POST" && e.if_none_exist.empty()) {
      std::string pref = UuidOf(e.full_url);
      if (assigned.count(e.path + "/" + pref)) pref.clear();
      auto id = NewId(s, e.path, pref);
      if (!id.ok()) return FromStatus(id.status());
      ids[i] = *id;
      assigned.insert(e.path + "/" + *id);
      if (!e.full_url.empty()) id_map[e.full_url] = e.path + "/" + *id;
    } else if (e.method == "POST") {
      auto rids = MatchRids(s, e.path, ParseQueryString(e.if_none_exist), false);
      if (!rids.ok())
        return FromStatus(rids.status().WithContext("Bundle.entry[" + std::to_string(i) + "]"));
      if (rids->size() == 1 && !e.full_url.empty()) {
        auto found = s.FetchByRid(*rids);
        if (found.ok() && !found->empty()) id_map[e.full_url] = e.path + "/" + found->front().id;
      }
    } else if (e.method == "PUT" && !e.full_url.empty()) {
      id_map[e.full_url] = e.path;
    }
  }
  for (auto& e : reqs) {
    if (e.resource.is_object()) RewriteReferences(&e.resource, id_map);
  }
  std::vector<size_t> order(reqs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return MethodRank(reqs[a].method) < MethodRank(reqs[b].method);
  });
  std::vector<json> out(reqs.size());
  for (size_t i : order) {
    const EntryRequest& e = reqs[i];
    if (MethodRank(e.method) > 3) {
      return EntryFailure(OutcomeResponse(405, "not-supported", e.method + " is not supported"), i);
    }
    Interaction in = tmpl;
    in.method = e.method;
    in.segments = Segments(e.path);
    in.params = ParseQueryString(e.query);
    in.if_match = e.if_match;
    in.if_none_match = e.if_none_match;
    in.if_none_exist = e.if_none_exist;
    in.resource = e.resource.is_object() ? &e.resource : nullptr;
    in.preferred_id = ids[i];
    if (in.segments.empty()) return EntryFailure(OutcomeResponse(400, "invalid", "empty url"), i);
    EhrResponse r = Dispatch(in, &s);
    if (r.status >= 400) return EntryFailure(r, i);
    out[i] = EntryFromResponse(r);
  }
  Status st = s.Commit();
  if (!st.ok()) return FromStatus(st);
  json response = {{"resourceType", "Bundle"}, {"type", "transaction-response"}, {"entry", out}};
  return EhrResponse{200, {}, response.dump(-1, ' ', false, json::error_handler_t::replace)};
}

EhrResponse EhrService::Batch(const json& bundle, const Interaction& tmpl) {
  const json entries = bundle.value("entry", json::array());
  json out = json::array();
  for (size_t i = 0; i < entries.size(); ++i) {
    auto e = ReadEntry(entries[i], i, tmpl.base);
    EhrResponse r;
    if (!e.ok()) {
      r = FromStatus(e.status());
    } else if (MethodRank(e->method) > 3) {
      r = OutcomeResponse(405, "not-supported", e->method + " is not supported");
    } else {
      Interaction in = tmpl;
      in.method = e->method;
      in.segments = Segments(e->path);
      in.params = ParseQueryString(e->query);
      in.if_match = e->if_match;
      in.if_none_match = e->if_none_match;
      in.if_none_exist = e->if_none_exist;
      in.resource = e->resource.is_object() ? &e->resource : nullptr;
      r = in.segments.empty() ? OutcomeResponse(400, "invalid", "empty url")
                              : RunInSession(in, e->method != "GET");
    }
    out.push_back(EntryFromResponse(r));
  }
  json response = {{"resourceType", "Bundle"}, {"type", "batch-response"}, {"entry", out}};
  return EhrResponse{200, {}, response.dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace ward::ehr
