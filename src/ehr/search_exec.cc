// EhrService: running searches, paging and _include.
#include "ehr/ehr_service.h"
#include "ehr/service_internal.h"
#include "util/hash.h"

namespace ward::ehr {

using nlohmann::json;

std::string EhrService::PageCache::Put(Snapshot snapshot) {
  std::string id = RandomHex(12);
  std::lock_guard<std::mutex> lock(mu_);
  order_.push_front(id);
  entries_[id] = std::make_shared<const Snapshot>(std::move(snapshot));
  while (order_.size() > capacity_) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
  return id;
}

std::shared_ptr<const EhrService::PageCache::Snapshot> EhrService::PageCache::Get(
    const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  order_.remove(id);
  order_.push_front(id);
  return it->second;
}

Result<std::vector<int64_t>> EhrService::MatchRids(Store::Session& s, const std::string& type,
                                                   const QueryParams& params, bool lenient) {
  WARD_ASSIGN_OR_RETURN(SearchSpec spec, ParseSearch(type, params, lenient, options_.limits));
  WARD_ASSIGN_OR_RETURN(SqlQuery q, BuildSearchSql(spec, options_.clock->NowMillis()));
  return s.SelectRids(q.sql, q.binds);
}

namespace {

struct PageRequest {
  std::string type;
  const std::vector<int64_t>* rids;
  const std::vector<IncludeSpec>* includes;
  int64_t offset;
  int64_t count;
  const int64_t* total;  // nullptr: leave out
  std::vector<std::pair<std::string, std::string>> links;
};

// Builds one page of a searchset from the matching rids.
Result<std::string> BuildPage(Store::Session& s, const std::string& base, int64_t now_ms,
                              const PageRequest& p) {
  size_t begin = std::min<size_t>(p.offset, p.rids->size());
  size_t end = std::min<size_t>(begin + p.count, p.rids->size());
  std::vector<int64_t> page(p.rids->begin() + begin, p.rids->begin() + end);
  WARD_ASSIGN_OR_RETURN(auto found, s.FetchByRid(page));
  std::vector<BundleEntryText> entries;
  for (const auto& r : found) {
    entries.push_back(
        {base + "/" + r.type + "/" + r.id, r.json, "\"search\":{\"mode\":\"match\"}"});
  }
  std::vector<std::pair<std::string, std::string>> seen;
  for (const auto& inc : *p.includes) {
    WARD_ASSIGN_OR_RETURN(auto targets, s.ReferenceTargets(page, inc.param, inc.target_type));
    for (const auto& [type, id] : targets) {
      if (std::find(seen.begin(), seen.end(), std::make_pair(type, id)) != seen.end()) continue;
      seen.emplace_back(type, id);
      WARD_ASSIGN_OR_RETURN(auto cur, s.Current(type, id));
      if (!cur || cur->deleted) continue;
      entries.push_back(
          {base + "/" + type + "/" + id, cur->json, "\"search\":{\"mode\":\"include\"}"});
    }
  }
  return BundleText("searchset", now_ms, p.total, p.links, entries);
}

std::string PageLink(const std::string& base, const std::string& type, const std::string& id,
                     int64_t offset, int64_t count) {
  return base + "/" + type + "?_getpages=" + id + "&_getpagesoffset=" + std::to_string(offset) +
         "&_count=" + std::to_string(count);
}

}  // namespace

EhrResponse EhrService::Search(const Interaction& in, Store::Session& s) {
  const std::string& type = in.segments[0];
  for (const auto& [k, v] : in.params) {
    if (k == "_getpages") return SearchPage(in, s);
  }
  auto spec = ParseSearch(type, in.params, in.lenient, options_.limits);
  if (!spec.ok()) return FromStatus(spec.status());
  auto q = BuildSearchSql(*spec, options_.clock->NowMillis());
  if (!q.ok()) return FromStatus(q.status());
  auto rids = s.SelectRids(q->sql, q->binds);
  if (!rids.ok()) return FromStatus(rids.status());
  int64_t total = static_cast<int64_t>(rids->size());
  PageRequest p{type, &*rids, &spec->includes, 0, spec->count, &total, {}};
  if (spec->total == "none") p.total = nullptr;
  p.links.emplace_back("self", in.base + "/" + type + "?" + BuildQueryString(spec->self_params));
  if (spec->summary_count) p.count = 0;
  if (p.count > 0 && total > p.count) {
    std::string id = pages_->Put({type, *rids, spec->includes, spec->total});
    p.links.emplace_back("next", PageLink(in.base, type, id, p.count, p.count));
  }
  auto body = BuildPage(s, in.base, options_.clock->NowMillis(), p);
  if (!body.ok()) return FromStatus(body.status());
  return EhrResponse{200, {}, std::move(*body)};
}

EhrResponse EhrService::SearchPage(const Interaction& in, Store::Session& s) {
  std::string id;
  int64_t offset = 0, count = options_.limits.default_count;
  for (const auto& [k, v] : in.params) {
    if (k == "_getpages") id = v;
    if (k == "_getpagesoffset") offset = std::max(0LL, std::atoll(v.c_str()));
    if (k == "_count")
      count = std::clamp<int64_t>(std::atoll(v.c_str()), 1, options_.limits.max_count);
  }
  auto snap = pages_->Get(id);
  if (!snap)
    return OutcomeResponse(410, "not-found", "search " + id + " has expired; search again");
  int64_t total = static_cast<int64_t>(snap->rids.size());
  PageRequest p{snap->type, &snap->rids, &snap->includes, offset, count, &total, {}};
  if (snap->total == "none") p.total = nullptr;
  p.links.emplace_back("self", PageLink(in.base, snap->type, id, offset, count));
  if (offset > 0) {
    p.links.emplace_back(
        "previous", PageLink(in.base, snap->type, id, std::max<int64_t>(0, offset - count), count));
  }
  if (offset + count < total) {
    p.links.emplace_back("next", PageLink(in.base, snap->type, id, offset + count, count));
  }
  auto body = BuildPage(s, in.base, options_.clock->NowMillis(), p);
  if (!body.ok()) return FromStatus(body.status());
  return EhrResponse{200, {}, std::move(*body)};
}

}  // namespace ward::ehr
