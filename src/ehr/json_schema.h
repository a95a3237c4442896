// JsonSchema: a compiled validator for the subset of JSON Schema draft-06 that the
// FHIR R4 schema uses: $ref (to "#/definitions/<name>"), type, properties,
// additionalProperties (boolean), required, enum, const, pattern, items and oneOf.
// A oneOf whose alternatives are all named in the document's top-level
// "discriminator" (OpenAPI style: propertyName + mapping) is decided by that
// property instead of by trying every alternative.
//
// One deliberate extension for FHIR: `pattern` is also matched against the JSON
// text of number and boolean values (FHIR's patterns define their lexical form,
// e.g. an integer must not be written 1.5). The DefinitionHook runs only when the
// value passed the definition's own keywords.
//
// Compile once (it takes the parsed document), then call Validate from any number
// of threads: a compiled JsonSchema is immutable. Other keywords (description,
// $schema, id) are ignored; an unknown keyword that constrains values makes
// Compile fail so nothing is silently unchecked.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ward::ehr {

struct SchemaIssue {
  std::string path;     // e.g. "Patient.name[0].given[1]"
  std::string message;  // e.g. "expected a string"
};

// Checks the schema cannot express, run whenever a value is validated against a
// named definition. Implementations must be thread-safe.
class DefinitionHook {
 public:
  virtual ~DefinitionHook() = default;
  // `has_properties` tells whether the definition declares properties (a complex
  // type). Appends any problems to `issues`.
  virtual void Check(std::string_view definition, bool has_properties, const nlohmann::json& value,
                     const std::string& path, std::vector<SchemaIssue>* issues) const = 0;
};

class JsonSchema {
 public:
  ~JsonSchema();
  JsonSchema(const JsonSchema&) = delete;
  JsonSchema& operator=(const JsonSchema&) = delete;

  // Compiles every entry of `doc["definitions"]`. InvalidArgument on a dangling
  // $ref, a bad pattern or an unsupported keyword.
  static Result<std::unique_ptr<JsonSchema>> Compile(const nlohmann::json& doc);

  bool HasDefinition(std::string_view name) const;

  // Validates `value` against "#/definitions/<definition>", appending at most
  // `max_issues` issues in total. Returns true when no issue was added.
  bool Validate(std::string_view definition, const nlohmann::json& value, const std::string& path,
                const DefinitionHook* hook, std::vector<SchemaIssue>* issues,
                size_t max_issues = 20) const;

 private:
  struct Impl;
  explicit JsonSchema(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<JsonSchema>> CompileUnsafe(const nlohmann::json& doc);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ward::ehr
