// ResourceValidator: checks a FHIR R4 resource (JSON) before it is stored.
//
// Two layers: the R4 JSON Schema for the resource's type (definition
// "#/definitions/<resourceType>", compiled once by JsonSchema), then what that
// schema does not express: complex datatypes must be JSON objects, references must
// be well formed (Type/id[/_history/vid], #local, urn:uuid:, urn:oid:, or an
// absolute http(s) URL), date/dateTime/instant values must be real calendar
// dates, integer types must be integral and in range, and narrative xhtml must be
// a string. Immutable after construction; Validate is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ehr/json_schema.h"
#include "util/status.h"

namespace ward::ehr {

struct ValidationIssue {
  std::string expression;  // FHIRPath-like location, e.g. "Patient.birthDate"
  std::string message;
};

class ResourceValidator {
 public:
  // Reads and compiles the schema file. InvalidArgument/NotFound with the path on
  // failure.
  static Result<std::unique_ptr<ResourceValidator>> LoadFromFile(const std::string& schema_path);
  static Result<std::unique_ptr<ResourceValidator>> FromDocument(const nlohmann::json& schema);

  // The schema that ships with ward, looked up relative to the running binary:
  // <exe_dir>/share/fhir/fhir.r4.schema.json, then
  // <exe_dir>/../share/ward/fhir/fhir.r4.schema.json. NotFound lists both.
  static Result<std::string> FindInstalledSchema(const std::string& exe_dir);

  // True for the 146 R4 resource types.
  bool IsResourceType(std::string_view type) const;
  const std::vector<std::string>& resource_types() const { return resource_types_; }

  // Empty when `resource` is valid.
  std::vector<ValidationIssue> Validate(const nlohmann::json& resource) const;

  ~ResourceValidator();

 private:
  ResourceValidator() = default;
  std::unique_ptr<JsonSchema> schema_;
  std::vector<std::string> resource_types_;  // sorted
  std::unique_ptr<DefinitionHook> hook_;
};

// True when `reference` is a well-formed Reference.reference value; `is_type`
// tells whether a name is a resource type.
bool IsWellFormedReference(std::string_view reference,
                           const std::function<bool(std::string_view)>& is_type);

// True when `id` matches the FHIR id rule [A-Za-z0-9-.]{1,64}.
bool IsValidFhirId(std::string_view id);

}  // namespace ward::ehr
