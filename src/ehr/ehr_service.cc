#include "ehr/ehr_service.h"

#include <exception>

#include "ehr/date_range.h"
#include "ehr/service_internal.h"
#include "ehr/url_util.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/json_limits.h"

namespace ward::ehr {

using nlohmann::json;

namespace {

std::vector<std::string> SplitPath(const std::string& path) {
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

bool AcceptableFormat(const std::string& f) {
  std::string base = f.substr(0, f.find(';'));
  return base == "json" || base == "application/json" || base == "application/fhir+json" ||
         base == "application/json+fhir";
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\""), e = s.find_last_not_of(" \t\"");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Prefer: return=minimal|representation|OperationOutcome, handling=lenient|strict.
void ParsePrefer(const std::string& prefer, EhrService::Interaction* in) {
  size_t start = 0;
  while (start < prefer.size()) {
    size_t end = prefer.find_first_of(",;", start);
    if (end == std::string::npos) end = prefer.size();
    std::string item = prefer.substr(start, end - start);
    size_t eq = item.find('=');
    std::string key = Trim(item.substr(0, eq));
    std::string value = eq == std::string::npos ? "" : Trim(item.substr(eq + 1));
    if (key == "return" && value == "minimal") in->ret = ReturnPref::kMinimal;
    if (key == "return" && value == "representation") in->ret = ReturnPref::kRepresentation;
    if (key == "return" && value == "OperationOutcome") in->ret = ReturnPref::kOutcome;
    if (key == "handling") in->lenient = value == "lenient";
    start = end + 1;
  }
}

EhrResponse MethodNotAllowed(const std::string& method, const std::string& what,
                             const std::string& allow) {
  EhrResponse r = OutcomeResponse(405, "not-supported", method + " is not supported on " + what);
  r.headers.emplace_back("Allow", allow);
  return r;
}

}  // namespace

EhrService::EhrService(Store* store, const ResourceValidator* validator, EhrServiceOptions options)
    : store_(store),
      validator_(validator),
      options_(options),
      capability_(BuildCapabilityStatement(*validator, options.clock->NowMillis())),
      pages_(std::make_unique<PageCache>(options.page_cache_entries)) {}

EhrService::~EhrService() = default;

EhrResponse EhrService::Handle(const EhrRequest& request) {
  try {
    return HandleUnsafe(request);
  } catch (const std::exception& e) {
    return OutcomeResponse(500, "exception", std::string("internal error: ") + e.what());
  } catch (...) {
    return OutcomeResponse(500, "exception", "internal error");
  }
}

EhrResponse EhrService::HandleUnsafe(const EhrRequest& req) {
  Interaction in;
  in.method = req.method == "HEAD" ? "GET" : req.method;
  in.segments = SplitPath(req.path);
  in.params = ParseQueryString(req.query);
  in.base = req.base_url;
  while (!in.base.empty() && in.base.back() == '/') in.base.pop_back();
  for (const auto& [k, v] : in.params) {
    if (k == "_format" && !AcceptableFormat(v)) {
      return OutcomeResponse(406, "not-supported", "only JSON is supported (_format=" + v + ")");
    }
  }
  std::string content_type = req.Header("content-type");
  if (!req.body.empty() && content_type.find("xml") != std::string::npos) {
    return OutcomeResponse(415, "not-supported", "only JSON bodies are supported");
  }
  ParsePrefer(req.Header("prefer"), &in);
  in.if_match = req.Header("if-match");
  in.if_none_match = req.Header("if-none-match");
  in.if_none_exist = req.Header("if-none-exist");
  in.body = req.body;
  if (in.method == "POST" && in.segments.size() == 2 && in.segments[1] == "_search") {
    for (auto& p : ParseQueryString(req.body)) in.params.push_back(std::move(p));
  }
  if (in.segments.size() == 1 && in.segments[0] == "metadata") {
    if (in.method != "GET") return MethodNotAllowed(in.method, "metadata", "GET");
    return EhrResponse{200, {}, capability_};
  }
  if (in.segments.empty() && in.method == "POST") {
    auto bundle = ParseJson(req.body);
    if (!bundle.ok())
      return OutcomeResponse(400, "structure", "body: " + bundle.status().message());
    return ProcessBundle(*bundle, in.base);
  }
  return RunInSession(in, IsWrite(in));
}

bool EhrService::IsWrite(const Interaction& in) const {
  const auto& seg = in.segments;
  if (in.method == "PUT" || in.method == "DELETE") return true;
  return in.method == "POST" && seg.size() == 1;
}

EhrResponse EhrService::RunInSession(const Interaction& in, bool write) {
  // A read or vread is one statement and needs no snapshot transaction.
  bool single = in.method == "GET" && (in.segments.size() == 2 || in.segments.size() == 4) &&
                in.segments[1][0] != '_';
  auto session = write ? store_->BeginWrite() : store_->BeginRead(!single);
  if (!session.ok()) return FromStatus(session.status());
  EhrResponse r = Dispatch(in, &*session);
  if (write && r.status < 400) {
    Status st = session->Commit();
    if (!st.ok()) return FromStatus(st);
  }
  return r;
}

EhrResponse EhrService::Dispatch(const Interaction& in, Store::Session* session) {
  const auto& seg = in.segments;
  const std::string& m = in.method;
  Store::Session& s = *session;
  if (seg.empty()) {
    if (m == "GET" && !in.params.empty() && in.params[0].first == "_getpages") {
      return SearchPage(in, s);
    }
    return MethodNotAllowed(m, "the base (POST a batch or transaction Bundle)", "POST");
  }
  if (seg[0] == "_history") {
    if (seg.size() == 1 && m == "GET") return History(in, s);
    return MethodNotAllowed(m, "_history", "GET");
  }
  if (seg[0][0] == '$' || (seg.size() > 1 && seg.back()[0] == '$')) {
    return OutcomeResponse(501, "not-supported", "operations are not supported: " + seg.back());
  }
  if (!validator_->IsResourceType(seg[0])) {
    return OutcomeResponse(404, "not-found", "unknown resource type '" + seg[0] + "'");
  }
  if (seg.size() == 1) {
    if (m == "GET") return Search(in, s);
    if (m == "POST") return Create(in, s);
    return MethodNotAllowed(m, seg[0] + " (conditional update and delete are not supported)",
                            "GET, POST");
  }
  if (seg.size() == 2 && seg[1] == "_search") {
    if (m == "POST") return Search(in, s);
    return MethodNotAllowed(m, seg[0] + "/_search", "POST");
  }
  if (seg.size() == 2 && seg[1] == "_history") {
    if (m == "GET") return History(in, s);
    return MethodNotAllowed(m, seg[0] + "/_history", "GET");
  }
  if (seg.size() == 2) {
    if (m == "GET") return Read(in, s);
    if (m == "PUT") return Update(in, s);
    if (m == "DELETE") return Delete(in, s);
    return MethodNotAllowed(m, seg[0] + "/" + seg[1], "GET, PUT, DELETE");
  }
  if (seg.size() == 3 && seg[2] == "_history") {
    if (m == "GET") return History(in, s);
    return MethodNotAllowed(m, "instance history", "GET");
  }
  if (seg.size() == 4 && seg[2] == "_history") {
    if (m == "GET") return VRead(in, s);
    return MethodNotAllowed(m, "a version", "GET");
  }
  return OutcomeResponse(404, "not-found", "no such path");
}

std::string ETag(int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

void AddVersionHeaders(const StoredResource& r, const std::string& base, EhrResponse* out) {
  out->headers.emplace_back("ETag", ETag(r.version));
  out->headers.emplace_back("Last-Modified", FormatHttpDate(r.updated_ms));
  out->headers.emplace_back("Content-Location", base + "/" + r.type + "/" + r.id + "/_history/" +
                                                    std::to_string(r.version));
}

std::string BundleText(const std::string& type, int64_t now_ms, const int64_t* total,
                       const std::vector<std::pair<std::string, std::string>>& links,
                       const std::vector<BundleEntryText>& entries) {
  std::string out = "{\"resourceType\":\"Bundle\",\"id\":" + json(RandomHex(16)).dump() +
                    ",\"meta\":{\"lastUpdated\":" + json(FormatIso8601(now_ms)).dump() +
                    "},\"type\":" + json(type).dump();
  if (total) out += ",\"total\":" + std::to_string(*total);
  if (!links.empty()) {
    out += ",\"link\":[";
    for (size_t i = 0; i < links.size(); ++i) {
      out += std::string(i ? "," : "") + "{\"relation\":" + json(links[i].first).dump() +
             ",\"url\":" + json(links[i].second).dump() + "}";
    }
    out += "]";
  }
  if (!entries.empty()) {
    out += ",\"entry\":[";
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      out += std::string(i ? "," : "") + "{\"fullUrl\":" + json(e.full_url).dump();
      if (!e.resource.empty()) out += ",\"resource\":" + e.resource;
      if (!e.extra.empty()) out += "," + e.extra;
      out += "}";
    }
    out += "]";
  }
  return out + "}";
}

void RewriteReferences(json* node, const std::map<std::string, std::string>& map) {
  if (node->is_array()) {
    for (auto& item : *node) RewriteReferences(&item, map);
  } else if (node->is_object()) {
    for (auto& [key, value] : node->items()) {
      if (key == "reference" && value.is_string()) {
        auto it = map.find(value.get<std::string>());
        if (it != map.end()) value = it->second;
      } else {
        RewriteReferences(&value, map);
      }
    }
  }
}

}  // namespace ward::ehr
