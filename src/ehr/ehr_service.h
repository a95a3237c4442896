// EhrService: ward's embedded FHIR R4 server, without sockets.
//
// Handle() takes one EhrRequest (method, path below the base, query, headers,
// body) and returns an EhrResponse; the HTTP adapter (http_adapter.h) only moves
// bytes. Supported: capabilities (GET metadata), read, vread, create (incl.
// If-None-Exist), update (incl. update-as-create), delete, history (instance,
// type, system), search (GET and POST _search, paging), batch and transaction
// bundles, If-Match, Prefer return=minimal|representation|OperationOutcome,
// Prefer handling=lenient|strict, _format=json. Every write is validated (see
// validator.h). Errors are OperationOutcome responses with 400, 404, 405, 406,
// 409, 410, 412, 415 or 422; an unexpected failure is a 500, never an exception.
//
// Thread-safe: any number of threads may call Handle at once (reads run in
// parallel, writes are serialised by the Store). The Store, validator and clock
// must outlive the service.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ehr/outcome.h"
#include "ehr/search_query.h"
#include "ehr/store.h"
#include "ehr/validator.h"
#include "util/clock.h"

namespace ward::ehr {

struct EhrServiceOptions {
  Clock* clock = SystemClock::Default();
  SearchLimits limits;
  size_t page_cache_entries = 256;  // searches whose later pages can still be fetched
};

class EhrService {
 public:
  EhrService(Store* store, const ResourceValidator* validator, EhrServiceOptions options = {});
  ~EhrService();
  EhrService(const EhrService&) = delete;
  EhrService& operator=(const EhrService&) = delete;

  EhrResponse Handle(const EhrRequest& request);

  // Processes a parsed batch or transaction Bundle as if POSTed to the base.
  EhrResponse ProcessBundle(const nlohmann::json& bundle, const std::string& base_url);

  // Everything below is internal to src/ehr (shared by the service's .cc files).
  struct Interaction;
  class PageCache;

 private:
  EhrResponse HandleUnsafe(const EhrRequest& request);
  EhrResponse Dispatch(const Interaction& in, Store::Session* session);
  EhrResponse RunInSession(const Interaction& in, bool write);
  bool IsWrite(const Interaction& in) const;

  // crud.cc
  EhrResponse Read(const Interaction& in, Store::Session& s);
  EhrResponse VRead(const Interaction& in, Store::Session& s);
  EhrResponse Create(const Interaction& in, Store::Session& s);
  EhrResponse Update(const Interaction& in, Store::Session& s);
  EhrResponse Delete(const Interaction& in, Store::Session& s);
  EhrResponse History(const Interaction& in, Store::Session& s);
  EhrResponse WriteVersion(const Interaction& in, Store::Session& s, nlohmann::json resource,
                           const std::string& id, int64_t version, int status);
  Result<std::string> NewId(Store::Session& s, const std::string& type,
                            const std::string& preferred);

  // search_exec.cc
  EhrResponse Search(const Interaction& in, Store::Session& s);
  EhrResponse SearchPage(const Interaction& in, Store::Session& s);
  Result<std::vector<int64_t>> MatchRids(Store::Session& s, const std::string& type,
                                         const QueryParams& params, bool lenient);

  // bundle.cc
  EhrResponse Transaction(const nlohmann::json& bundle, const Interaction& in);
  EhrResponse Batch(const nlohmann::json& bundle, const Interaction& in);

  Store* store_;
  const ResourceValidator* validator_;
  EhrServiceOptions options_;
  std::string capability_;  // CapabilityStatement JSON, built once
  std::unique_ptr<PageCache> pages_;
};

}  // namespace ward::ehr
