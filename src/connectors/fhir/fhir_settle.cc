#include "connectors/fhir/fhir_settle.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "connectors/fhir/fhir_bindings.h"
#include "util/clock.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

constexpr int kMaxHistoryPages = 20;

// One version from a history Bundle.
struct Version {
  std::string type, id, version;
  bool deleted = false;
  bool created = false;
  json resource;  // null for a deletion
};

// What a resource says, without what the server manages (id, meta).
json Content(json resource) {
  if (resource.is_object()) {
    resource.erase("id");
    resource.erase("meta");
  }
  return resource;
}

// A history version as a number; InvalidArgument (its reason for "unknown") when not.
Result<int64_t> VersionNumber(const std::string& v) {
  if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), ::isdigit))
    return InvalidArgument("version '" + v + "' is not a number");
  return static_cast<int64_t>(std::stoll(v));
}

Version ParseVersion(const json& e) {
  Version v;
  const json& req = e.value("request", json::object());
  const json& resp = e.value("response", json::object());
  std::string method = req.is_object() ? req.value("method", "") : "";
  std::string status = resp.is_object() ? resp.value("status", "") : "";
  if (e.contains("resource") && e["resource"].is_object()) v.resource = e["resource"];
  v.deleted = method == "DELETE" || v.resource.is_null();
  v.created = method == "POST" || status.rfind("201", 0) == 0;
  if (resp.is_object()) v.version = VersionFromEtag(resp.value("etag", ""));
  if (v.resource.is_object()) {
    v.type = v.resource.value("resourceType", "");
    v.id = v.resource.value("id", "");
    if (v.version.empty() && v.resource.contains("meta") && v.resource["meta"].is_object())
      v.version = v.resource["meta"].value("versionId", "");
  }
  return v;
}

// Every version a history interaction lists (`path_query` below the base), following
// `next` links. Unavailable when it cannot be read whole; empty when the server does
// not know the resource (404).
Result<std::vector<Version>> History(FhirClient& client, const std::string& path_query) {
  std::vector<Version> out;
  std::string url = client.base_url() + "/" + path_query;
  for (int page = 0; page < kMaxHistoryPages && !url.empty(); ++page) {
    WARD_ASSIGN_OR_RETURN(FhirResponse r, client.FetchPage(url));
    if (r.status == 404 && page == 0) return out;
    if (r.status >= 400)
      return Unavailable("GET " + r.url + ": HTTP " + std::to_string(r.status) + ": " +
                         OperationOutcomeText(r.body));
    json bundle = ParseJsonOrDiscarded(r.body);
    if (!bundle.is_object() || bundle.value("resourceType", "") != "Bundle")
      return Unavailable("GET " + r.url + " did not answer with a Bundle");
    const json entries = bundle.value("entry", json::array());
    for (const auto& e : entries) out.push_back(ParseVersion(e));
    url.clear();
    for (const auto& l : bundle.value("link", json::array()))
      if (l.is_object() && l.value("relation", "") == "next") url = l.value("url", "");
    if (url.empty() && bundle.contains("total") && bundle["total"].is_number_integer() &&
        bundle["total"].get<int64_t>() > static_cast<int64_t>(out.size()))
      return Unavailable("the server listed " + std::to_string(out.size()) + " of " +
                         std::to_string(bundle["total"].get<int64_t>()) + " versions");
  }
  if (!url.empty())
    return Unavailable("the history is longer than " + std::to_string(kMaxHistoryPages) + " pages");
  return out;
}

Settlement Unknown(const JournalEntry& e, const std::string& why) {
  return {Settlement::Outcome::kUnknown,
          "cannot tell whether the session's " + e.operation + " of " + e.target_type +
              (e.target_id.empty() ? "" : "/" + e.target_id) + " happened: " + why,
          e};
}

Settlement DidNotHappen(JournalEntry e, const std::string& why) {
  e.state = JournalState::kFailed;
  std::string what = "the session's " + e.operation + " of " + e.target_type +
                     (e.target_id.empty() ? "" : "/" + e.target_id);
  e.detail = "settled after an interruption: " + what + " did not happen: " + why;
  return {Settlement::Outcome::kDidNotHappen, e.detail, e};
}

Settlement Happened(JournalEntry e, const Version& v, const std::string& why) {
  e.state = JournalState::kDone;
  e.target_id = v.id.empty() ? e.target_id : v.id;
  e.post_version = v.version;
  e.post_image = v.resource.is_null() ? "" : DumpJson(v.resource);
  e.detail = "settled after an interruption: the session's " + e.operation + " of " +
             e.target_type + "/" + e.target_id + " happened: " + why;
  return {Settlement::Outcome::kHappened, e.detail, e};
}

// An update or delete of a known resource.
Settlement SettleVersioned(FhirClient& client, const JournalEntry& e) {
  std::string ref = e.target_type + "/" + e.target_id;
  auto versions = History(client, ref + "/_history?_count=1000");
  if (!versions.ok()) return Unknown(e, "its history: " + versions.status().message());
  json post = Content(ParseJsonOrDiscarded(e.post_image));
  if (e.pre_version.empty()) {  // update-as-create: no If-Match, so any version may be it
    std::optional<Version> first;
    for (const auto& v : *versions) {
      auto n = VersionNumber(v.version);
      if (!n.ok()) return Unknown(e, n.status().message());
      if (!v.deleted && Content(v.resource) == post &&
          (!first || *n < *VersionNumber(first->version)))
        first = v;
    }
    if (first) return Happened(e, *first, "version " + first->version + " has its content");
    return DidNotHappen(e, "no version of " + ref + " has the journaled content");
  }
  auto pre = VersionNumber(e.pre_version);
  if (!pre.ok()) return Unknown(e, pre.status().message());
  std::optional<Version> next;
  for (const auto& v : *versions) {
    auto n = VersionNumber(v.version);
    if (!n.ok()) return Unknown(e, n.status().message());
    if (*n > *pre && (!next || *n < *VersionNumber(next->version))) next = v;
  }
  if (!next)
    return DidNotHappen(e, "the server has no version of " + ref + " after " + e.pre_version);
  std::string after = "version " + next->version + ", the one after " + e.pre_version + ", ";
  if (e.operation == "delete")
    return next->deleted ? Happened(e, *next, after + "is its deletion")
                         : DidNotHappen(e, after +
                                               "is not a deletion, and the delete was sent "
                                               "with If-Match " +
                                               e.pre_version);
  if (next->deleted)
    return DidNotHappen(
        e, after + "is a deletion, and the update was sent with If-Match " + e.pre_version);
  if (Content(next->resource) == post) return Happened(e, *next, after + "has its content");
  return Unknown(e, after +
                        "differs from the journaled resource; it is someone else's write, "
                        "or the session's as the server rewrote it");
}

// A create: its id was never recorded, so the type's recent history is searched.
Settlement SettleCreate(FhirClient& client, const JournalEntry& e) {
  std::string since = FormatIso8601(e.time_ms - kCreateClockSkewMs);
  auto versions =
      History(client, e.target_type + "/_history?_since=" + UrlEncode(since) + "&_count=1000");
  if (!versions.ok())
    return Unknown(e, "the history of " + e.target_type + ": " + versions.status().message());
  json post = Content(ParseJsonOrDiscarded(e.post_image));
  std::vector<Version> created, matching;
  for (const auto& v : *versions) {
    if (!v.created) continue;
    created.push_back(v);
    if (!v.deleted && Content(v.resource) == post) matching.push_back(v);
  }
  std::string window = e.target_type + " created since " + since;
  if (matching.size() == 1)
    return Happened(e, matching[0],
                    matching[0].type + "/" + matching[0].id + " is the only " + window +
                        " with the journaled content");
  if (matching.size() > 1)
    return Unknown(e, std::to_string(matching.size()) + " resources " + window +
                          " have the journaled content");
  if (created.empty()) return DidNotHappen(e, "the server created no " + window);
  return Unknown(e, std::to_string(created.size()) + " resources " + window +
                        " differ from the journaled one; one may be the session's as the "
                        "server rewrote it");
}

}  // namespace

Settlement SettleIntent(FhirClient& client, const JournalEntry& entry) {
  if (entry.operation == "create") return SettleCreate(client, entry);
  if (entry.operation == "update" || entry.operation == "delete")
    return SettleVersioned(client, entry);
  return Unknown(entry, "unknown operation '" + entry.operation + "'");
}

}  // namespace ward
