#include "ehr/validator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "ehr/date_range.h"

namespace ward::ehr {
namespace {

using nlohmann::json;

bool AllOf(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }
bool IsHexLower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHexLower(s[i])) return false;
  }
  return true;
}

bool IsOid(std::string_view s) {
  if (s.size() < 3 || (s[0] < '0' || s[0] > '2') || s[1] != '.') return false;
  size_t start = 2;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view arc = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (arc.empty() || !AllOf(arc, IsDigit) || (arc.size() > 1 && arc[0] == '0')) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

class FhirHook : public DefinitionHook {
 public:
  explicit FhirHook(const ResourceValidator* v) : v_(v) {}

  void Check(std::string_view def, bool has_properties, const json& value, const std::string& path,
             std::vector<SchemaIssue>* out) const override {
    if (has_properties && !value.is_object()) {
      out->push_back({path, "expected an object (" + std::string(def) + "), found " +
                                std::string(value.type_name())});
      return;
    }
    if (def == "Reference") return CheckReference(value, path, out);
    if (def == "date" || def == "dateTime" || def == "instant") return CheckDate(value, path, out);
    if (def == "integer" || def == "positiveInt" || def == "unsignedInt")
      return CheckInteger(def, value, path, out);
    if (def == "xhtml" && (!value.is_string() || value.get_ref<const std::string&>().empty()))
      out->push_back({path, "narrative div must be a non-empty xhtml string"});
  }

 private:
  void CheckReference(const json& value, const std::string& path,
                      std::vector<SchemaIssue>* out) const {
    auto it = value.find("reference");
    if (it == value.end() || !it->is_string()) return;
    auto is_type = [this](std::string_view t) { return v_->IsResourceType(t); };
    if (!IsWellFormedReference(it->get_ref<const std::string&>(), is_type)) {
      out->push_back({path + ".reference", "malformed reference " + it->dump()});
    }
  }

  static void CheckDate(const json& value, const std::string& path, std::vector<SchemaIssue>* out) {
    if (!value.is_string()) return;  // the schema's type check reports it
    auto r = ParseFhirDate(value.get_ref<const std::string&>());
    if (!r.ok()) out->push_back({path, r.status().message()});
  }

  static void CheckInteger(std::string_view def, const json& value, const std::string& path,
                           std::vector<SchemaIssue>* out) {
    if (!value.is_number()) return;
    double d = value.get<double>();
    double min = def == "positiveInt" ? 1 : def == "unsignedInt" ? 0 : -2147483648.0;
    if (std::floor(d) != d || d < min || d > 2147483647.0) {
      out->push_back({path, "value " + value.dump() + " is not a valid " + std::string(def)});
    }
  }

  const ResourceValidator* v_;
};

}  // namespace

bool IsValidFhirId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return AllOf(id, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '.';
  });
}

bool IsWellFormedReference(std::string_view ref,
                           const std::function<bool(std::string_view)>& is_type) {
  if (ref.empty()) return false;
  if (ref[0] == '#') return ref.find(' ') == std::string_view::npos;
  if (ref.rfind("urn:uuid:", 0) == 0) return IsUuid(ref.substr(9));
  if (ref.rfind("urn:oid:", 0) == 0) return IsOid(ref.substr(8));
  if (ref.rfind("http://", 0) == 0 || ref.rfind("https://", 0) == 0) {
    return ref.size() > 8 && std::none_of(ref.begin(), ref.end(), [](char c) {
             return c == ' ' || c == '\t' || c == '\n' || c == '\r';
           });
  }
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t slash = ref.find('/', start);
    parts.push_back(ref.substr(start, slash == ref.npos ? ref.npos : slash - start));
    if (slash == ref.npos) break;
    start = slash + 1;
  }
  if (parts.size() != 2 && parts.size() != 4) return false;
  if (!is_type(parts[0]) || !IsValidFhirId(parts[1])) return false;
  return parts.size() == 2 || (parts[2] == "_history" && IsValidFhirId(parts[3]));
}

ResourceValidator::~ResourceValidator() = default;

Result<std::unique_ptr<ResourceValidator>> ResourceValidator::FromDocument(const json& doc) {
  std::unique_ptr<ResourceValidator> v(new ResourceValidator());
  WARD_ASSIGN_OR_RETURN(v->schema_, JsonSchema::Compile(doc));
  if (!doc.contains("discriminator") || !doc["discriminator"].contains("mapping"))
    return InvalidArgument("schema has no resourceType discriminator");
  for (const auto& [type, ref] : doc["discriminator"]["mapping"].items()) {
    v->resource_types_.push_back(type);
  }
  std::sort(v->resource_types_.begin(), v->resource_types_.end());
  v->hook_ = std::make_unique<FhirHook>(v.get());
  return v;
}

Result<std::unique_ptr<ResourceValidator>> ResourceValidator::LoadFromFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open FHIR schema " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  json doc = json::parse(buf.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("FHIR schema " + path + " is not valid JSON");
  auto v = FromDocument(doc);
  if (!v.ok()) return v.status().WithContext(path);
  return v;
}

Result<std::string> ResourceValidator::FindInstalledSchema(const std::string& exe_dir) {
  namespace fs = std::filesystem;
  const fs::path candidates[] = {fs::path(exe_dir) / "share/fhir/fhir.r4.schema.json",
                                 fs::path(exe_dir) / "../share/ward/fhir/fhir.r4.schema.json"};
  std::error_code ec;
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c, ec)) return c.lexically_normal().string();
  }
  return NotFound("FHIR schema not found at " + candidates[0].string() + " or " +
                  candidates[1].lexically_normal().string());
}

bool ResourceValidator::IsResourceType(std::string_view type) const {
  return std::binary_search(resource_types_.begin(), resource_types_.end(), type);
}

std::vector<ValidationIssue> ResourceValidator::Validate(const json& resource) const {
  std::vector<ValidationIssue> out;
  if (!resource.is_object()) return {{"", "a resource must be a JSON object"}};
  auto rt = resource.find("resourceType");
  if (rt == resource.end() || !rt->is_string()) return {{"", "resourceType is missing"}};
  const std::string& type = rt->get_ref<const std::string&>();
  if (!IsResourceType(type)) return {{"", "unknown resourceType '" + type + "'"}};
  std::vector<SchemaIssue> issues;
  schema_->Validate(type, resource, type, hook_.get(), &issues);
  for (auto& i : issues) out.push_back({std::move(i.path), std::move(i.message)});
  return out;
}

}  // namespace ward::ehr
