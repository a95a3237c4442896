// EhrService: read, vread, create, update, delete and history.
#include <cstdlib>

#include "ehr/date_range.h"
#include "ehr/ehr_service.h"
#include "ehr/service_internal.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/json_limits.h"

namespace ward::ehr {

using nlohmann::json;

namespace {

// The version number in an If-Match value (W/"3", "3" or 3); -1 when malformed.
int64_t IfMatchVersion(std::string v) {
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  return v.empty() || *end != '\0' ? -1 : n;
}

EhrResponse Gone(const StoredResource& r) {
  EhrResponse out = OutcomeResponse(
      410, "deleted",
      r.type + "/" + r.id + " was deleted (version " + std::to_string(r.version) + ")");
  out.headers.emplace_back("ETag", ETag(r.version));
  return out;
}

EhrResponse ResourceResponse(const StoredResource& r, const std::string& base, int status) {
  EhrResponse out{status, {}, r.json};
  out.last_modified_ms = r.updated_ms;
  AddVersionHeaders(r, base, &out);
  return out;
}

// Parses the request body (or takes the bundle entry's resource) and checks its type.
bool TakeResource(const EhrService::Interaction& in, const std::string& type, json* out,
                  EhrResponse* err) {
  if (in.resource) {
    *out = *in.resource;
  } else {
    auto parsed = ParseJson(in.body);
    if (!parsed.ok()) {
      *err = OutcomeResponse(400, "structure", "body: " + parsed.status().message());
      return false;
    }
    *out = std::move(*parsed);
  }
  if (!out->is_object() || out->value("resourceType", "") != type) {
    *err = OutcomeResponse(400, "invalid", "body must be a " + type + " resource",
                           {type + ".resourceType"});
    return false;
  }
  return true;
}

// True when the body names a version (meta.versionId) other than the current
// one: the client edited a stale copy.
bool StaleVersionInBody(const json& resource, int64_t current) {
  auto meta = resource.find("meta");
  if (meta == resource.end() || !meta->is_object()) return false;
  auto v = meta->find("versionId");
  return v != meta->end() && v->is_string() && v->get<std::string>() != std::to_string(current);
}

std::string NewUuid() {
  std::string h = RandomHex(16);
  h[12] = '4';
  h[16] = "89ab"[std::strtol(h.substr(16, 1).c_str(), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace

EhrResponse EhrService::Read(const Interaction& in, Store::Session& s) {
  const std::string &type = in.segments[0], &id = in.segments[1];
  auto cur = s.Current(type, id);
  if (!cur.ok()) return FromStatus(cur.status());
  if (!*cur) return OutcomeResponse(404, "not-found", type + "/" + id + " is not known");
  if ((*cur)->deleted) return Gone(**cur);
  return ResourceResponse(**cur, in.base, 200);
}

EhrResponse EhrService::VRead(const Interaction& in, Store::Session& s) {
  const std::string &type = in.segments[0], &id = in.segments[1];
  int64_t version = IfMatchVersion(in.segments[3]);
  if (version < 1) return OutcomeResponse(404, "not-found", "no version " + in.segments[3]);
  auto v = s.Version(type, id, version);
  if (!v.ok()) return FromStatus(v.status());
  if (!*v) {
    return OutcomeResponse(404, "not-found",
                           type + "/" + id + " has no version " + std::to_string(version));
  }
  if ((*v)->deleted) return Gone(**v);
  return ResourceResponse(**v, in.base, 200);
}

Result<std::string> EhrService::NewId(Store::Session& s, const std::string& type,
                                      const std::string& preferred) {
  if (!preferred.empty() && IsValidFhirId(preferred)) {
    WARD_ASSIGN_OR_RETURN(auto cur, s.Current(type, preferred));
    if (!cur) return preferred;
  }
  return NewUuid();
}

EhrResponse EhrService::WriteVersion(const Interaction& in, Store::Session& s, json resource,
                                     const std::string& id, int64_t version, int status) {
  StoredResource rec;
  rec.type = resource["resourceType"].get<std::string>();
  rec.id = id;
  rec.version = version;
  rec.updated_ms = options_.clock->NowMillis();
  rec.method = in.method;
  resource["id"] = id;
  json& meta = resource["meta"];
  if (!meta.is_object()) meta = json::object();
  meta["versionId"] = std::to_string(version);
  meta["lastUpdated"] = FormatIso8601(rec.updated_ms);
  rec.json = resource.dump(-1, ' ', false, json::error_handler_t::replace);
  Status st = s.Write(rec, ExtractIndexRows(resource));
  if (!st.ok()) return FromStatus(st);
  EhrResponse out{status, {}, ""};
  out.last_modified_ms = rec.updated_ms;
  if (in.ret == ReturnPref::kOutcome) {
    out.body =
        InformationOutcome(rec.type + "/" + id + " stored as version " + std::to_string(version));
  } else if (in.ret == ReturnPref::kRepresentation ||
             (in.ret == ReturnPref::kDefault && !in.in_bundle)) {
    out.body = rec.json;
  }
  out.headers.emplace_back(
      "Location", in.base + "/" + rec.type + "/" + id + "/_history/" + std::to_string(version));
  out.headers.emplace_back("ETag", ETag(version));
  out.headers.emplace_back("Last-Modified", FormatHttpDate(rec.updated_ms));
  return out;
}

EhrResponse EhrService::Create(const Interaction& in, Store::Session& s) {
  const std::string& type = in.segments[0];
  json resource;
  EhrResponse err;
  if (!TakeResource(in, type, &resource, &err)) return err;
  auto issues = validator_->Validate(resource);
  if (!issues.empty()) return ValidationFailure(422, issues);
  if (!in.if_none_exist.empty()) {
    std::string q = in.if_none_exist;
    if (size_t qm = q.find('?'); qm != std::string::npos) q = q.substr(qm + 1);
    auto rids = MatchRids(s, type, ParseQueryString(q), false);
    if (!rids.ok()) return FromStatus(rids.status().WithContext("If-None-Exist"));
    if (rids->size() > 1) {
      return OutcomeResponse(
          412, "duplicate", "If-None-Exist matches " + std::to_string(rids->size()) + " resources");
    }
    if (rids->size() == 1) {
      auto found = s.FetchByRid(*rids);
      if (!found.ok() || found->empty()) return FromStatus(Internal("matched resource vanished"));
      EhrResponse out = ResourceResponse(found->front(), in.base, 200);
      if (in.in_bundle || in.ret == ReturnPref::kMinimal) out.body.clear();
      out.headers.emplace_back("Location", in.base + "/" + type + "/" + found->front().id +
                                               "/_history/" +
                                               std::to_string(found->front().version));
      return out;
    }
  }
  auto id = NewId(s, type, in.preferred_id);
  if (!id.ok()) return FromStatus(id.status());
  return WriteVersion(in, s, std::move(resource), *id, 1, 201);
}

EhrResponse EhrService::Update(const Interaction& in, Store::Session& s) {
  const std::string &type = in.segments[0], &id = in.segments[1];
  json resource;
  EhrResponse err;
  if (!TakeResource(in, type, &resource, &err)) return err;
  if (!resource.contains("id") || resource["id"] != id) {
    return OutcomeResponse(400, "invalid",
                           "the resource id must equal the id in the URL (" + id + ")",
                           {type + ".id"});
  }
  auto issues = validator_->Validate(resource);
  if (!issues.empty()) return ValidationFailure(422, issues);
  auto cur = s.Current(type, id);
  if (!cur.ok()) return FromStatus(cur.status());
  int64_t current = *cur ? (*cur)->version : 0;
  if (!in.if_match.empty()) {
    bool live = *cur && !(*cur)->deleted;
    if (!live || IfMatchVersion(in.if_match) != current) {
      return OutcomeResponse(412, "conflict",
                             "If-Match " + in.if_match + " does not match the current version " +
                                 (live ? ETag(current) : std::string("(none)")));
    }
  }
  bool create = !*cur || (*cur)->deleted;
  if (in.if_none_match == "*" && !create) {
    return OutcomeResponse(
        412, "conflict",
        "If-None-Match: * but " + type + "/" + id + " exists (version " + ETag(current) + ")");
  }
  if (!create && StaleVersionInBody(resource, current)) {
    return OutcomeResponse(409, "conflict",
                           "meta.versionId " + resource["meta"]["versionId"].dump() +
                               " is not the current version " + std::to_string(current),
                           {type + ".meta.versionId"});
  }
  return WriteVersion(in, s, std::move(resource), id, current + 1, create ? 201 : 200);
}

EhrResponse EhrService::Delete(const Interaction& in, Store::Session& s) {
  const std::string &type = in.segments[0], &id = in.segments[1];
  auto cur = s.Current(type, id);
  if (!cur.ok()) return FromStatus(cur.status());
  bool live = *cur && !(*cur)->deleted;
  if (!in.if_match.empty() && (!live || IfMatchVersion(in.if_match) != (*cur)->version)) {
    return OutcomeResponse(412, "conflict",
                           "If-Match " + in.if_match + " is not the current version");
  }
  if (!live) return EhrResponse{204, {}, ""};
  StoredResource rec = **cur;
  rec.version += 1;
  rec.updated_ms = options_.clock->NowMillis();
  rec.deleted = true;
  rec.method = "DELETE";
  rec.json.clear();
  Status st = s.Write(rec, IndexRows{});
  if (!st.ok()) return FromStatus(st);
  EhrResponse out{204, {}, ""};
  out.headers.emplace_back("ETag", ETag(rec.version));
  return out;
}

namespace {

std::string HistoryExtra(const StoredResource& r) {
  std::string status = r.deleted ? "204 No Content" : r.version == 1 ? "201 Created" : "200 OK";
  std::string url = r.method == "POST" ? r.type : r.type + "/" + r.id;
  return "\"request\":{\"method\":" + json(r.method).dump() + ",\"url\":" + json(url).dump() +
         "},\"response\":{\"status\":" + json(status).dump() +
         ",\"etag\":" + json(ETag(r.version)).dump() +
         ",\"lastModified\":" + json(FormatIso8601(r.updated_ms)).dump() + "}";
}

}  // namespace

EhrResponse EhrService::History(const Interaction& in, Store::Session& s) {
  std::string type = in.segments.size() > 1 ? in.segments[0] : "";
  std::string id = in.segments.size() == 3 ? in.segments[1] : "";
  int64_t since = INT64_MIN, count = options_.limits.default_count;
  for (const auto& [k, v] : in.params) {
    if (k == "_since") {
      auto r = ParseFhirDate(v);
      if (!r.ok()) return FromStatus(r.status().WithContext("_since"));
      since = r->low_ms;
    } else if (k == "_count") {
      count = std::min<int64_t>(std::max(0LL, std::atoll(v.c_str())), options_.limits.max_count);
    } else if (k != "_format" && k != "_pretty" && !in.lenient) {
      return OutcomeResponse(400, "not-supported", "unknown history parameter '" + k + "'");
    }
  }
  auto total = s.CountHistory(type, id, since);
  if (!total.ok()) return FromStatus(total.status());
  if (!id.empty() && *total == 0) {
    return OutcomeResponse(404, "not-found", type + "/" + id + " is not known");
  }
  auto versions = s.History(type, id, since, count);
  if (!versions.ok()) return FromStatus(versions.status());
  std::vector<BundleEntryText> entries;
  for (const auto& r : *versions) {
    entries.push_back({in.base + "/" + r.type + "/" + r.id, r.json, HistoryExtra(r)});
  }
  std::string self =
      in.base + "/" + (type.empty() ? "" : type + "/") + (id.empty() ? "" : id + "/") + "_history";
  return EhrResponse{
      200,
      {},
      BundleText("history", options_.clock->NowMillis(), &*total, {{"self", self}}, entries)};
}

}  // namespace ward::ehr
