#include "ehr/search_params.h"

#include <algorithm>
#include <set>

#include "ehr/date_range.h"
#include "ehr/text_fold.h"

namespace ward::ehr {
namespace {

using nlohmann::json;
using P = ParamType;

SearchParamDef Ref(std::string type, std::string name, std::string path, std::string target = "") {
  return {std::move(type), std::move(name), P::kReference, {std::move(path)}, std::move(target)};
}

// Adds `patient` (subject restricted to Patient) and `subject`.
void AddSubject(std::vector<SearchParamDef>* v, const std::string& type) {
  v->push_back(Ref(type, "patient", "subject", "Patient"));
  v->push_back(Ref(type, "subject", "subject"));
  v->push_back(Ref(type, "encounter", "encounter", "Encounter"));
}

std::vector<SearchParamDef> BuildTable() {
  std::vector<SearchParamDef> v = {
      {"*", "_id", P::kToken, {"id"}, ""},
      {"*", "_lastUpdated", P::kDate, {"meta.lastUpdated"}, ""},
      {"Patient", "identifier", P::kToken, {"identifier"}, ""},
      {"Patient", "name", P::kString, {"name"}, ""},
      {"Patient", "family", P::kString, {"name.family"}, ""},
      {"Patient", "given", P::kString, {"name.given"}, ""},
      {"Patient", "birthdate", P::kDate, {"birthDate"}, ""},
      {"Patient", "gender", P::kToken, {"gender"}, ""},
      {"Patient", "address-city", P::kString, {"address.city"}, ""},
      {"Practitioner", "identifier", P::kToken, {"identifier"}, ""},
      {"Practitioner", "name", P::kString, {"name"}, ""},
      {"Practitioner", "family", P::kString, {"name.family"}, ""},
      {"Practitioner", "given", P::kString, {"name.given"}, ""},
      {"Organization", "identifier", P::kToken, {"identifier"}, ""},
      {"Organization", "name", P::kString, {"name", "alias"}, ""},
      {"Observation", "code", P::kToken, {"code"}, ""},
      {"Observation", "category", P::kToken, {"category"}, ""},
      {"Observation", "status", P::kToken, {"status"}, ""},
      {"Observation",
       "date",
       P::kDate,
       {"effectiveDateTime", "effectivePeriod", "effectiveInstant"},
       ""},
      {"Observation", "value-quantity", P::kQuantity, {"valueQuantity"}, ""},
      {"Condition", "code", P::kToken, {"code"}, ""},
      {"Condition", "category", P::kToken, {"category"}, ""},
      {"Condition", "clinical-status", P::kToken, {"clinicalStatus"}, ""},
      {"Condition", "onset-date", P::kDate, {"onsetDateTime", "onsetPeriod"}, ""},
      {"MedicationRequest", "status", P::kToken, {"status"}, ""},
      {"MedicationRequest", "intent", P::kToken, {"intent"}, ""},
      {"MedicationRequest", "authoredon", P::kDate, {"authoredOn"}, ""},
      {"MedicationRequest", "code", P::kToken, {"medicationCodeableConcept"}, ""},
      {"Procedure", "code", P::kToken, {"code"}, ""},
      {"Procedure", "status", P::kToken, {"status"}, ""},
      {"Procedure", "date", P::kDate, {"performedDateTime", "performedPeriod"}, ""},
      {"Encounter", "date", P::kDate, {"period"}, ""},
      {"Encounter", "class", P::kToken, {"class"}, ""},
      {"Encounter", "status", P::kToken, {"status"}, ""},
      {"Encounter", "type", P::kToken, {"type"}, ""},
      {"AllergyIntolerance", "code", P::kToken, {"code"}, ""},
      {"AllergyIntolerance", "clinical-status", P::kToken, {"clinicalStatus"}, ""},
      {"DiagnosticReport", "code", P::kToken, {"code"}, ""},
      {"DiagnosticReport", "status", P::kToken, {"status"}, ""},
      {"DiagnosticReport", "category", P::kToken, {"category"}, ""},
      {"DiagnosticReport", "date", P::kDate, {"effectiveDateTime", "effectivePeriod"}, ""},
      {"ServiceRequest", "code", P::kToken, {"code"}, ""},
      {"ServiceRequest", "status", P::kToken, {"status"}, ""},
      {"ServiceRequest", "authored", P::kDate, {"authoredOn"}, ""},
      {"Immunization", "date", P::kDate, {"occurrenceDateTime"}, ""},
      {"Immunization", "status", P::kToken, {"status"}, ""},
      {"Immunization", "vaccine-code", P::kToken, {"vaccineCode"}, ""},
      {"CarePlan", "status", P::kToken, {"status"}, ""},
      {"Goal", "lifecycle-status", P::kToken, {"lifecycleStatus"}, ""},
  };
  for (const char* t : {"Observation", "Condition", "MedicationRequest", "Procedure",
                        "DiagnosticReport", "ServiceRequest", "CarePlan"}) {
    AddSubject(&v, t);
  }
  v.push_back(Ref("Encounter", "patient", "subject", "Patient"));
  v.push_back(Ref("Encounter", "subject", "subject"));
  v.push_back(Ref("Goal", "patient", "subject", "Patient"));
  v.push_back(Ref("Goal", "subject", "subject"));
  for (const char* t : {"AllergyIntolerance", "Immunization", "Claim", "ExplanationOfBenefit"}) {
    v.push_back(Ref(t, "patient", "patient", "Patient"));
  }
  return v;
}

const std::vector<SearchParamDef>& Table() {
  static const std::vector<SearchParamDef> table = BuildTable();
  return table;
}

// Appends every value found at the dotted `path` below `node`, flattening arrays.
void Collect(const json& node, std::string_view path, std::vector<const json*>* out) {
  if (node.is_array()) {
    for (const auto& item : node) Collect(item, path, out);
    return;
  }
  if (path.empty()) {
    out->push_back(&node);
    return;
  }
  if (!node.is_object()) return;
  size_t dot = path.find('.');
  auto it = node.find(std::string(path.substr(0, dot)));
  if (it == node.end()) return;
  Collect(*it, dot == path.npos ? std::string_view() : path.substr(dot + 1), out);
}

std::string Str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void AddTokens(const std::string& p, const json& v, IndexRows* rows) {
  if (v.is_string()) {
    rows->tokens.push_back({p, "", v.get<std::string>()});
  } else if (v.is_boolean()) {
    rows->tokens.push_back({p, "", v.get<bool>() ? "true" : "false"});
  } else if (v.is_object() && v.contains("coding")) {
    for (const auto& c : v["coding"]) {
      if (c.is_object() && c.contains("code"))
        rows->tokens.push_back({p, Str(c, "system"), Str(c, "code")});
    }
  } else if (v.is_object() && v.contains("value")) {
    rows->tokens.push_back({p, Str(v, "system"), Str(v, "value")});
  } else if (v.is_object() && v.contains("code")) {
    rows->tokens.push_back({p, Str(v, "system"), Str(v, "code")});
  }
}

void AddString(const std::string& p, const json& v, IndexRows* rows) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    rows->strings.push_back({p, FoldForSearch(s), s});
  } else if (v.is_object()) {
    for (const char* key : {"text", "family", "given", "prefix", "suffix", "line", "city",
                            "district", "state", "postalCode", "country"}) {
      auto it = v.find(key);
      if (it == v.end()) continue;
      if (it->is_array()) {
        for (const auto& s : *it) AddString(p, s, rows);
      } else {
        AddString(p, *it, rows);
      }
    }
  }
}

void AddDate(const std::string& p, const json& v, IndexRows* rows) {
  if (v.is_string()) {
    auto r = ParseFhirDate(v.get_ref<const std::string&>());
    if (r.ok()) rows->dates.push_back({p, r->low_ms, r->high_ms});
  } else if (v.is_object() && (v.contains("start") || v.contains("end"))) {
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (auto s = ParseFhirDate(Str(v, "start")); s.ok()) lo = s->low_ms;
    if (auto e = ParseFhirDate(Str(v, "end")); e.ok()) hi = e->high_ms;
    rows->dates.push_back({p, lo, hi});
  }
}

void AddRef(const SearchParamDef& d, const json& v, IndexRows* rows) {
  if (!v.is_object()) return;
  std::string url = Str(v, "reference"), type, id;
  if (url.empty()) return;
  if (!SplitReference(url, &type, &id)) {
    if (d.target.empty()) rows->refs.push_back({d.name, "", "", url});
    return;
  }
  if (!d.target.empty() && type != d.target) return;
  rows->refs.push_back({d.name, type, id, url});
}

void AddQuantity(const std::string& p, const json& v, IndexRows* rows) {
  if (!v.is_object() || !v.contains("value") || !v["value"].is_number()) return;
  std::string code = Str(v, "code");
  rows->quantities.push_back(
      {p, v["value"].get<double>(), Str(v, "system"), code.empty() ? Str(v, "unit") : code});
}

void AddValue(const SearchParamDef& d, const json& v, IndexRows* rows) {
  switch (d.type) {
    case P::kToken:
      return AddTokens(d.name, v, rows);
    case P::kString:
      return AddString(d.name, v, rows);
    case P::kDate:
      return AddDate(d.name, v, rows);
    case P::kReference:
      return AddRef(d, v, rows);
    case P::kQuantity:
      return AddQuantity(d.name, v, rows);
  }
}

bool IsTypeName(std::string_view s) {
  return !s.empty() && s[0] >= 'A' && s[0] <= 'Z' && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c));
  });
}

}  // namespace

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case P::kToken:
      return "token";
    case P::kString:
      return "string";
    case P::kDate:
      return "date";
    case P::kReference:
      return "reference";
    case P::kQuantity:
      return "quantity";
  }
  return "?";
}

const SearchParamDef* FindSearchParam(std::string_view type, std::string_view name) {
  for (const auto& d : Table()) {
    if (d.name == name && (d.resource_type == type || d.resource_type == "*")) return &d;
  }
  return nullptr;
}

std::vector<const SearchParamDef*> SearchParamsFor(std::string_view type) {
  std::vector<const SearchParamDef*> out;
  for (const auto& d : Table()) {
    if (d.resource_type == type) out.push_back(&d);
  }
  return out;
}

std::vector<std::string> TypesWithSearchParams() {
  std::set<std::string> types;
  for (const auto& d : Table()) {
    if (d.resource_type != "*") types.insert(d.resource_type);
  }
  return {types.begin(), types.end()};
}

bool SplitReference(std::string_view ref, std::string* type, std::string* id) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t slash = ref.find('/', start);
    parts.push_back(ref.substr(start, slash == ref.npos ? ref.npos : slash - start));
    if (slash == ref.npos) break;
    start = slash + 1;
  }
  if (parts.size() >= 4 && parts[parts.size() - 2] == "_history") parts.resize(parts.size() - 2);
  if (parts.size() < 2) return false;
  std::string_view t = parts[parts.size() - 2], i = parts.back();
  if (!IsTypeName(t) || i.empty()) return false;
  if (parts.size() > 2 && ref.find("://") == ref.npos) return false;
  *type = std::string(t);
  *id = std::string(i);
  return true;
}

IndexRows ExtractIndexRows(const json& resource) {
  IndexRows rows;
  std::string type = Str(resource, "resourceType");
  std::vector<const json*> values;
  for (const auto& d : Table()) {
    if (d.resource_type != type) continue;
    for (const auto& path : d.paths) {
      values.clear();
      Collect(resource, path, &values);
      for (const json* v : values) AddValue(d, *v, &rows);
    }
  }
  return rows;
}

}  // namespace ward::ehr
