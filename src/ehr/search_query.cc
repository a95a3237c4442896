#include "ehr/search_query.h"

#include <cmath>
#include <cstdlib>
#include <set>

#include "ehr/date_range.h"
#include "ehr/text_fold.h"

namespace ward::ehr {
namespace {

using P = ParamType;

// Splits on unescaped `sep`, undoing the FHIR escapes \, \| \$ \\.
std::vector<std::string> SplitEscaped(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out.back().push_back(s[++i]);
    } else if (s[i] == sep) {
      out.emplace_back();
    } else {
      out.back().push_back(s[i]);
    }
  }
  return out;
}

// Splits on unescaped `sep` but keeps escapes, for a later SplitEscaped.
std::vector<std::string> SplitRaw(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out.back() += s.substr(i, 2);
      ++i;
    } else if (s[i] == sep) {
      out.emplace_back();
    } else {
      out.back().push_back(s[i]);
    }
  }
  return out;
}

bool AllowedModifier(const SearchParamDef& d, const std::string& m) {
  if (m.empty() || m == "missing") return true;
  switch (d.type) {
    case P::kToken:
      return m == "not" && d.name != "_id";
    case P::kString:
      return m == "exact" || m == "contains";
    case P::kReference:
      return !m.empty() && m[0] >= 'A' && m[0] <= 'Z';
    default:
      return false;
  }
}

Status ParseSort(const std::string& type, const std::string& value, SearchSpec* spec) {
  for (const auto& key : SplitEscaped(value, ',')) {
    bool desc = !key.empty() && key[0] == '-';
    std::string name = desc ? key.substr(1) : key;
    const SearchParamDef* d = FindSearchParam(type, name);
    if (!d) return InvalidArgument("_sort: unknown parameter '" + name + "' for " + type);
    spec->sort.push_back({d, desc});
  }
  return Status::Ok();
}

Status ParseInclude(const std::string& type, const std::string& value, SearchSpec* spec) {
  auto parts = SplitEscaped(value, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0] != type) {
    return InvalidArgument("_include must be " + type + ":<reference parameter>[:<type>]");
  }
  const SearchParamDef* d = FindSearchParam(type, parts[1]);
  if (!d || d->type != P::kReference) {
    return InvalidArgument("_include: '" + parts[1] + "' is not a reference parameter of " + type);
  }
  spec->includes.push_back({parts[1], parts.size() == 3 ? parts[2] : d->target});
  return Status::Ok();
}

Result<int64_t> ParseCount(const std::string& v, const SearchLimits& limits) {
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 0) return InvalidArgument("_count must be a number >= 0");
  return std::min<int64_t>(n, limits.max_count);
}

// Handles the result parameters; false when `name` is not one of them.
Result<bool> ParseResultParam(const std::string& type, const std::string& name,
                              const std::string& value, const SearchLimits& limits,
                              SearchSpec* spec) {
  if (name == "_count") {
    WARD_ASSIGN_OR_RETURN(spec->count, ParseCount(value, limits));
  } else if (name == "_sort") {
    WARD_RETURN_IF_ERROR(ParseSort(type, value, spec));
  } else if (name == "_include") {
    WARD_RETURN_IF_ERROR(ParseInclude(type, value, spec));
  } else if (name == "_summary") {
    if (value != "count" && value != "false") {
      return InvalidArgument("_summary supports only 'count' and 'false'");
    }
    spec->summary_count = value == "count";
  } else if (name == "_total") {
    if (value != "none" && value != "estimate" && value != "accurate") {
      return InvalidArgument("_total must be none, estimate or accurate");
    }
    spec->total = value;
  } else if (name == "_format" || name == "_pretty") {
    return true;  // accepted by the service, nothing to search
  } else {
    return false;
  }
  if (name != "_count") spec->self_params.emplace_back(name, value);
  return true;
}

}  // namespace

Result<SearchSpec> ParseSearch(const std::string& type, const QueryParams& params, bool lenient,
                               const SearchLimits& limits) {
  SearchSpec spec;
  spec.type = type;
  spec.count = limits.default_count;
  for (const auto& [key, value] : params) {
    WARD_ASSIGN_OR_RETURN(bool handled, ParseResultParam(type, key, value, limits, &spec));
    if (handled) continue;
    size_t colon = key.find(':');
    std::string name = key.substr(0, colon);
    std::string modifier = colon == key.npos ? "" : key.substr(colon + 1);
    const SearchParamDef* d = FindSearchParam(type, name);
    Status problem;
    if (!d) {
      problem = InvalidArgument("unknown search parameter '" + name + "' for " + type);
    } else if (!AllowedModifier(*d, modifier)) {
      problem = InvalidArgument("modifier ':" + modifier + "' is not supported on '" + name + "'");
    } else if (modifier == "missing" && value != "true" && value != "false") {
      problem = InvalidArgument(key + " must be true or false");
    }
    if (!problem.ok()) {
      if (lenient) continue;
      return problem;
    }
    spec.clauses.push_back({d, modifier, SplitRaw(value, ',')});
    spec.self_params.emplace_back(key, value);
  }
  spec.self_params.emplace_back("_count", std::to_string(spec.count));
  return spec;
}

namespace {

struct Prefixed {
  std::string prefix = "eq";
  std::string rest;
};

Prefixed SplitPrefix(const std::string& v) {
  static const std::set<std::string> kPrefixes = {"eq", "ne", "gt", "lt", "ge",
                                                  "le", "sa", "eb", "ap"};
  if (v.size() > 2 && kPrefixes.count(v.substr(0, 2))) return {v.substr(0, 2), v.substr(2)};
  return {"eq", v};
}

// Condition over a target range [lo, hi] for one prefixed date value.
Result<std::string> DateCond(const std::string& value, const std::string& lo, const std::string& hi,
                             int64_t now_ms, std::vector<SqlValue>* b) {
  Prefixed p = SplitPrefix(value);
  auto parsed = ParseFhirDate(p.rest);
  if (!parsed.ok()) return parsed.status();
  int64_t slo = parsed->low_ms, shi = parsed->high_ms;
  auto contains = [&] {
    b->push_back(slo);
    b->push_back(shi);
    return "(" + lo + " >= ? AND " + hi + " <= ?)";
  };
  const std::string& x = p.prefix;
  if (x == "eq") return contains();
  if (x == "ne") return "NOT " + contains();
  if (x == "gt" || x == "ge") {
    b->push_back(shi);
    std::string above = hi + " > ?";
    return x == "gt" ? above : "(" + above + " OR " + contains() + ")";
  }
  if (x == "lt" || x == "le") {
    b->push_back(slo);
    std::string below = lo + " < ?";
    return x == "lt" ? below : "(" + below + " OR " + contains() + ")";
  }
  if (x == "sa") {
    b->push_back(shi);
    return lo + " > ?";
  }
  if (x == "eb") {
    b->push_back(slo);
    return hi + " < ?";
  }
  // ap: overlap with the value widened by 10% of its distance from now (>= 1 day).
  int64_t mid = slo + (shi - slo) / 2;
  int64_t margin = std::max<int64_t>(std::llabs(now_ms - mid) / 10, 86'400'000);
  b->push_back(shi + margin);
  b->push_back(slo - margin);
  return "(" + lo + " <= ? AND " + hi + " >= ?)";
}

std::string TokenCond(const std::string& value, std::vector<SqlValue>* b) {
  auto parts = SplitEscaped(value, '|');
  if (parts.size() == 1) {
    b->push_back(parts[0]);
    return "code = ?";
  }
  const std::string& system = parts[0];
  std::string code = parts[1];
  for (size_t i = 2; i < parts.size(); ++i) code += "|" + parts[i];
  if (code.empty()) {
    b->push_back(system);
    return "system = ?";
  }
  b->push_back(system);
  b->push_back(code);
  return "(system = ? AND code = ?)";
}

std::string StringCond(const std::string& raw, const std::string& modifier,
                       std::vector<SqlValue>* b) {
  std::string value = SplitEscaped(raw, '\x01')[0];  // undo escapes only
  if (modifier == "exact") {
    b->push_back(value);
    return "raw = ?";
  }
  std::string norm = FoldForSearch(value);
  if (modifier == "contains") {
    b->push_back(norm);
    return "instr(norm, ?) > 0";
  }
  b->push_back(norm);
  b->push_back(norm + "\xff");
  return "(norm >= ? AND norm < ?)";
}

std::string RefCond(const std::string& raw, const std::string& modifier, std::vector<SqlValue>* b) {
  std::string value = SplitEscaped(raw, '\x01')[0];
  std::string type = modifier, id = value, t, i;
  if (SplitReference(value, &t, &i)) {
    if (!type.empty() && type != t) return "0";
    type = t;
    id = i;
  }
  b->push_back(id);
  if (type.empty()) return "tid = ?";
  b->push_back(type);
  return "(tid = ? AND ttype = ?)";
}

Result<std::string> QuantityCond(const std::string& raw, std::vector<SqlValue>* b) {
  auto parts = SplitEscaped(raw, '|');
  Prefixed p = SplitPrefix(parts[0]);
  char* end = nullptr;
  double n = std::strtod(p.rest.c_str(), &end);
  if (p.rest.empty() || *end != '\0') return InvalidArgument("bad number '" + p.rest + "'");
  size_t dot = p.rest.find('.');
  int decimals = dot == std::string::npos ? 0 : static_cast<int>(p.rest.size() - dot - 1);
  double half = 0.5 * std::pow(10.0, -decimals);
  std::string cond;
  const std::string& x = p.prefix;
  if (x == "eq" || x == "ne") {
    b->push_back(n - half);
    b->push_back(n + half);
    cond = std::string(x == "ne" ? "NOT " : "") + "(value >= ? AND value < ?)";
  } else if (x == "ap") {
    b->push_back(n - std::fabs(n) * 0.1);
    b->push_back(n + std::fabs(n) * 0.1);
    cond = "(value >= ? AND value <= ?)";
  } else {
    b->push_back(n);
    cond = std::string("value ") +
           (x == "gt" || x == "sa"   ? ">"
            : x == "lt" || x == "eb" ? "<"
            : x == "ge"              ? ">="
                                     : "<=") +
           " ?";
  }
  if (parts.size() >= 2 && !parts[1].empty()) {
    b->push_back(parts[1]);
    cond += " AND system = ?";
  }
  if (parts.size() >= 3 && !parts[2].empty()) {
    b->push_back(parts[2]);
    cond += " AND code = ?";
  }
  return "(" + cond + ")";
}

const char* IndexTable(ParamType t) {
  switch (t) {
    case P::kToken:
      return "idx_token";
    case P::kString:
      return "idx_string";
    case P::kDate:
      return "idx_date";
    case P::kReference:
      return "idx_ref";
    case P::kQuantity:
      return "idx_quantity";
  }
  return "";
}

Result<std::string> ValueCond(const SearchClause& c, const std::string& v, int64_t now_ms,
                              std::vector<SqlValue>* b) {
  switch (c.def->type) {
    case P::kToken:
      return TokenCond(v, b);
    case P::kString:
      return StringCond(v, c.modifier, b);
    case P::kDate:
      return DateCond(v, "lo", "hi", now_ms, b);
    case P::kReference:
      return RefCond(v, c.modifier, b);
    case P::kQuantity:
      return QuantityCond(v, b);
  }
  return Internal("unknown parameter type");
}

// Conditions on the resources table itself: _id and _lastUpdated.
Result<std::string> ResourceColumnClause(const SearchClause& c, int64_t now_ms,
                                         std::vector<SqlValue>* b) {
  std::string out;
  for (const auto& v : c.values) {
    std::string cond;
    if (c.def->name == "_id") {
      b->push_back(SplitEscaped(v, '\x01')[0]);
      cond = "r.id = ?";
    } else {
      WARD_ASSIGN_OR_RETURN(cond, DateCond(v, "r.updated_ms", "r.updated_ms", now_ms, b));
    }
    out += (out.empty() ? "" : " OR ") + cond;
  }
  return "(" + out + ")";
}

Result<std::string> ClauseSql(const SearchSpec& spec, const SearchClause& c, int64_t now_ms,
                              std::vector<SqlValue>* b) {
  if (c.def->resource_type == "*") {
    if (c.modifier == "missing") return std::string(c.values[0] == "true" ? "0" : "1");
    return ResourceColumnClause(c, now_ms, b);
  }
  std::string sub =
      std::string("SELECT rid FROM ") + IndexTable(c.def->type) + " WHERE type = ? AND param = ?";
  b->push_back(spec.type);
  b->push_back(c.def->name);
  if (c.modifier == "missing") {
    return "r.rid " + std::string(c.values[0] == "true" ? "NOT IN" : "IN") + " (" + sub + ")";
  }
  std::string ors;
  for (const auto& v : c.values) {
    auto cond = ValueCond(c, v, now_ms, b);
    if (!cond.ok()) return cond.status().WithContext(c.def->name);
    ors += (ors.empty() ? "" : " OR ") + *cond;
  }
  bool negate = c.modifier == "not";
  return "r.rid " + std::string(negate ? "NOT IN" : "IN") + " (" + sub + " AND (" + ors + "))";
}

std::string SortExpr(const SortKey& k, std::vector<SqlValue>* b) {
  const SearchParamDef& d = *k.def;
  if (d.name == "_id") return "r.id";
  if (d.name == "_lastUpdated") return "r.updated_ms";
  const char* agg = k.descending ? "MAX" : "MIN";
  std::string col;
  switch (d.type) {
    case P::kToken:
      col = "code";
      break;
    case P::kString:
      col = "norm";
      break;
    case P::kDate:
      col = k.descending ? "hi" : "lo";
      break;
    case P::kReference:
      col = "tid";
      break;
    case P::kQuantity:
      col = "value";
      break;
  }
  b->push_back(d.name);
  return std::string("(SELECT ") + agg + "(" + col + ") FROM " + IndexTable(d.type) +
         " WHERE rid = r.rid AND param = ?)";
}

}  // namespace

Result<SqlQuery> BuildSearchSql(const SearchSpec& spec, int64_t now_ms) {
  SqlQuery q;
  std::string columns = "r.rid", order;
  for (size_t i = 0; i < spec.sort.size(); ++i) {
    std::string k = "k" + std::to_string(i);
    columns += ", " + SortExpr(spec.sort[i], &q.binds) + " AS " + k;
    order += k + " IS NULL, " + k + (spec.sort[i].descending ? " DESC, " : " ASC, ");
  }
  std::string where = " WHERE r.type = ? AND r.deleted = 0";
  q.binds.push_back(spec.type);
  for (const auto& c : spec.clauses) {
    WARD_ASSIGN_OR_RETURN(std::string cond, ClauseSql(spec, c, now_ms, &q.binds));
    where += " AND " + cond;
  }
  q.sql = "SELECT " + columns + " FROM resources r" + where + " ORDER BY " + order + "r.rid";
  return q;
}

}  // namespace ward::ehr
