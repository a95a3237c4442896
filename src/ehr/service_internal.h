// Internal to src/ehr: the parsed form of a request shared by the EhrService
// implementation files, and small helpers on it. Not part of the module's API.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "ehr/ehr_service.h"
#include "ehr/url_util.h"

namespace ward::ehr {

enum class ReturnPref { kDefault, kMinimal, kRepresentation, kOutcome };

struct EhrService::Interaction {
  std::string method;
  std::vector<std::string> segments;  // path split on '/'
  QueryParams params;
  std::string base;  // base URL without trailing '/'
  std::string if_match;
  std::string if_none_match;  // "*" on an update: only if the resource does not exist
  std::string if_none_exist;
  ReturnPref ret = ReturnPref::kDefault;
  bool lenient = false;
  std::string body;                          // raw body (HTTP)
  const nlohmann::json* resource = nullptr;  // parsed body (bundle entries)
  std::string preferred_id;                  // id suggestion for a create
  bool in_bundle = false;
};

// W/"<version>"
std::string ETag(int64_t version);

// The id/version/lastUpdated of a stored resource's response headers.
void AddVersionHeaders(const StoredResource& r, const std::string& base, EhrResponse* out);

// A Bundle (searchset or history) built from raw resource texts.
struct BundleEntryText {
  std::string full_url;
  std::string resource;  // raw JSON or "" for none
  std::string extra;     // further members, e.g. "\"search\":{\"mode\":\"match\"}"
};
std::string BundleText(const std::string& type, int64_t now_ms, const int64_t* total,
                       const std::vector<std::pair<std::string, std::string>>& links,
                       const std::vector<BundleEntryText>& entries);

// Replaces every Reference.reference equal to a key of `map` by its value.
void RewriteReferences(nlohmann::json* node, const std::map<std::string, std::string>& map);

// Result lists of searches with more than one page, so that later pages come from
// the same snapshot of matches (stable paging). Least recently used entries are
// dropped beyond `capacity`. Thread-safe.
class EhrService::PageCache {
 public:
  struct Snapshot {
    std::string type;
    std::vector<int64_t> rids;
    std::vector<IncludeSpec> includes;
    std::string total;  // _total as requested
  };
  explicit PageCache(size_t capacity) : capacity_(capacity) {}
  std::string Put(Snapshot snapshot);
  std::shared_ptr<const Snapshot> Get(const std::string& id);

 private:
  std::mutex mu_;
  size_t capacity_;
  std::list<std::string> order_;  // most recent first; guarded by mu_
  std::unordered_map<std::string, std::shared_ptr<const Snapshot>> entries_;  // guarded by mu_
};

// The CapabilityStatement describing exactly what EhrService supports.
std::string BuildCapabilityStatement(const ResourceValidator& validator, int64_t now_ms);

}  // namespace ward::ehr
