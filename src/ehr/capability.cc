// The CapabilityStatement served at GET [base]/metadata.
#include "ehr/search_params.h"
#include "ehr/service_internal.h"
#include "util/clock.h"

namespace ward::ehr {

using nlohmann::json;

namespace {

json SearchParamsJson(const std::string& type) {
  json params = json::array(
      {{{"name", "_id"}, {"type", "token"}}, {{"name", "_lastUpdated"}, {"type", "date"}}});
  for (const SearchParamDef* d : SearchParamsFor(type)) {
    params.push_back({{"name", d->name}, {"type", ParamTypeName(d->type)}});
  }
  return params;
}

json ResourceJson(const std::string& type) {
  json interactions = json::array();
  for (const char* code : {"read", "vread", "update", "delete", "history-instance", "history-type",
                           "create", "search-type"}) {
    interactions.push_back({{"code", code}});
  }
  json includes = json::array();
  for (const SearchParamDef* d : SearchParamsFor(type)) {
    if (d->type == ParamType::kReference) includes.push_back(type + ":" + d->name);
  }
  json r = {{"type", type},
            {"interaction", interactions},
            {"versioning", "versioned-update"},  // If-Match on update and delete
            {"readHistory", true},
            {"updateCreate", true},
            {"conditionalCreate", true},
            {"conditionalRead", "not-supported"},
            {"conditionalUpdate", false},
            {"conditionalDelete", "not-supported"},
            {"searchParam", SearchParamsJson(type)}};
  if (!includes.empty()) r["searchInclude"] = includes;
  return r;
}

}  // namespace

std::string BuildCapabilityStatement(const ResourceValidator& validator, int64_t now_ms) {
  json resources = json::array();
  for (const auto& type : validator.resource_types()) resources.push_back(ResourceJson(type));
  json rest = {
      {"mode", "server"},
      {"documentation",
       "Search: comma = OR, repeated parameter = AND; _count, _sort, _include, _summary=count, "
       "_total; string :exact/:contains, token :not, reference :[type], any :missing. "
       "Prefer: return=minimal|representation|OperationOutcome, handling=strict|lenient."},
      {"resource", resources},
      {"interaction",
       json::array(
           {{{"code", "transaction"}}, {{"code", "batch"}}, {{"code", "history-system"}}})}};
  json cs = {{"resourceType", "CapabilityStatement"},
             {"status", "active"},
             {"date", FormatIso8601(now_ms)},
             {"publisher", "ward"},
             {"kind", "instance"},
             {"software", {{"name", "ward ehr"}, {"version", WARD_VERSION}}},
             {"implementation", {{"description", "ward's embedded FHIR R4 server (SQLite)"}}},
             {"fhirVersion", "4.0.1"},
             {"format", json::array({"json", "application/fhir+json"})},
             {"rest", json::array({rest})}};
  return cs.dump();
}

}  // namespace ward::ehr
