// Parsing a FHIR search (the query parameters of GET [type]?... or POST
// [type]/_search) into a SearchSpec, and turning that into SQL over the Store's
// index tables.
//
// Semantics follow R4 search: comma-separated values are OR, a repeated parameter
// is AND; token (code, system|code, |code, system|; :not, :missing), string
// (accent- and case-insensitive prefix; :exact, :contains, :missing), date (eq ne
// lt gt le ge sa eb ap on ranges), reference (id, Type/id, absolute URL; :Type,
// :missing), quantity ([prefix]number[|system|code]). Result parameters: _count,
// _sort, _include, _summary=count, _total. An unknown parameter or modifier is an
// InvalidArgument unless `lenient`, in which case it is ignored and left out of
// the self link. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ehr/search_params.h"
#include "ehr/store.h"
#include "ehr/url_util.h"
#include "util/status.h"

namespace ward::ehr {

struct SearchClause {
  const SearchParamDef* def = nullptr;
  std::string modifier;             // "", "exact", "contains", "not", "missing", or a type
  std::vector<std::string> values;  // OR-ed
};

struct SortKey {
  const SearchParamDef* def = nullptr;
  bool descending = false;
};

struct IncludeSpec {
  std::string param;        // reference parameter of the searched type
  std::string target_type;  // "" = any
};

struct SearchSpec {
  std::string type;
  std::vector<SearchClause> clauses;  // AND-ed
  std::vector<SortKey> sort;
  std::vector<IncludeSpec> includes;
  int64_t count = 0;
  bool summary_count = false;
  std::string total;        // "", "none", "estimate" or "accurate"
  QueryParams self_params;  // parameters that took effect, for the self link
};

struct SearchLimits {
  int64_t default_count = 50;
  int64_t max_count = 1000;
};

// Parses `params` for a search on `type`. InvalidArgument names the parameter.
Result<SearchSpec> ParseSearch(const std::string& type, const QueryParams& params, bool lenient,
                               const SearchLimits& limits);

struct SqlQuery {
  std::string sql;  // selects rids of matching current resources, in result order
  std::vector<SqlValue> binds;
};

// Builds the SQL for `spec`. `now_ms` anchors the `ap` prefix on dates.
// InvalidArgument when a value does not parse (e.g. a malformed date).
Result<SqlQuery> BuildSearchSql(const SearchSpec& spec, int64_t now_ms);

}  // namespace ward::ehr
