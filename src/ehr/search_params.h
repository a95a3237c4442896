// The search parameters ward's EHR indexes, and the extraction of their values
// from a resource at write time.
//
// Each parameter has a FHIR search type and the element paths (R4 expressions,
// simplified to dotted paths with choice types spelled out) its values come from.
// `_id` and `_lastUpdated` apply to every type and are answered from the resource
// table, not from index rows. The registry is a constant table; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ward::ehr {

enum class ParamType { kToken, kString, kDate, kReference, kQuantity };

const char* ParamTypeName(ParamType type);  // "token", "string", ...

struct SearchParamDef {
  std::string resource_type;  // "Observation"; "*" for _id and _lastUpdated
  std::string name;           // "value-quantity"
  ParamType type;
  std::vector<std::string> paths;  // "subject", "effectiveDateTime", "name.family"
  std::string target;              // reference params: the only target type kept, or ""
};

// The definition of `name` for `resource_type`, or nullptr when ward does not
// support it.
const SearchParamDef* FindSearchParam(std::string_view resource_type, std::string_view name);

// Parameters defined for `resource_type` (without _id and _lastUpdated).
std::vector<const SearchParamDef*> SearchParamsFor(std::string_view resource_type);

// Resource types with at least one type-specific parameter, sorted.
std::vector<std::string> TypesWithSearchParams();

// Index rows for one resource version.
struct IndexRows {
  struct Token {
    std::string param, system, code;
  };
  struct Text {
    std::string param, norm, raw;
  };
  struct Date {
    std::string param;
    int64_t lo, hi;
  };
  struct Ref {
    std::string param, target_type, target_id, url;
  };
  struct Quantity {
    std::string param;
    double value;
    std::string system, code;
  };
  std::vector<Token> tokens;
  std::vector<Text> strings;
  std::vector<Date> dates;
  std::vector<Ref> refs;
  std::vector<Quantity> quantities;
};

// Extracts the values of every parameter of the resource's type. Values that do
// not parse (e.g. a malformed date) are skipped; validation rejects them earlier.
IndexRows ExtractIndexRows(const nlohmann::json& resource);

// Splits a reference ("Patient/1", "Patient/1/_history/2",
// "http://host/fhir/Patient/1") into type and id; false when it is not of that form.
bool SplitReference(std::string_view reference, std::string* type, std::string* id);

}  // namespace ward::ehr
