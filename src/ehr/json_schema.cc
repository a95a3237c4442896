#include "ehr/json_schema.h"

#include <deque>
#include <map>
#include <optional>
#include <regex>
#include <unordered_map>
#include <unordered_set>

namespace ward::ehr {
namespace {

using nlohmann::json;

enum TypeBit : uint8_t {
  kString = 1,
  kNumber = 2,
  kBoolean = 4,
  kArray = 8,
  kObject = 16,
  kInteger = 32,
  kNull = 64
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A `pattern`, matched with ECMAScript search semantics. The whole-string
// character-class patterns FHIR uses for long texts are checked in linear time.
class Pattern {
 public:
  static Result<std::unique_ptr<Pattern>> Make(const std::string& source) {
    auto p = std::make_unique<Pattern>();
    p->source_ = source;
    if (source == "^[ \\r\\n\\t\\S]+$") {
      p->kind_ = Kind::kTextNoOddSpace;
    } else if (source == "^\\S*$") {
      p->kind_ = Kind::kNoSpace;
    } else if (source == "^[^\\s]+(\\s[^\\s]+)*$") {
      p->kind_ = Kind::kSingleSpaced;
    } else if (source == "^(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+$") {
      p->kind_ = Kind::kBase64;
    } else {
      try {
        p->re_ = std::regex(source, std::regex::ECMAScript | std::regex::optimize);
      } catch (const std::regex_error& e) {
        return InvalidArgument("bad pattern '" + source + "': " + e.what());
      }
    }
    return p;
  }

  bool Match(const std::string& s) const {
    switch (kind_) {
      case Kind::kTextNoOddSpace:
        if (s.empty()) return false;
        for (char c : s)
          if (c == '\f' || c == '\v') return false;
        return true;
      case Kind::kNoSpace:
        for (char c : s)
          if (IsSpace(c)) return false;
        return true;
      case Kind::kSingleSpaced:
        return MatchSingleSpaced(s);
      case Kind::kBase64:
        return MatchBase64(s);
      case Kind::kRegex:
        return std::regex_search(s, re_);
    }
    return false;
  }

  const std::string& source() const { return source_; }

 private:
  enum class Kind { kRegex, kTextNoOddSpace, kNoSpace, kSingleSpaced, kBase64 };

  static bool MatchSingleSpaced(const std::string& s) {
    if (s.empty() || IsSpace(s.front()) || IsSpace(s.back())) return false;
    for (size_t i = 1; i < s.size(); ++i)
      if (IsSpace(s[i]) && IsSpace(s[i - 1])) return false;
    return true;
  }

  static bool MatchBase64(const std::string& s) {
    size_t n = 0;
    for (char c : s) {
      if (IsSpace(c)) continue;
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == '+' || c == '/' || c == '=';
      if (!ok) return false;
      ++n;
    }
    return n > 0 && n % 4 == 0;
  }

  std::string source_;
  Kind kind_ = Kind::kRegex;
  std::regex re_;
};

struct Node {
  std::string def_name;  // set on the node of a definition
  std::string ref_name;  // target of $ref, resolved into `ref`
  const Node* ref = nullptr;
  uint8_t types = 0;
  bool has_properties = false;
  std::unordered_map<std::string, const Node*> properties;
  bool additional_allowed = true;
  std::vector<std::string> required;
  std::vector<json> enum_values;
  std::optional<json> const_value;
  const Pattern* pattern = nullptr;
  const Node* items = nullptr;
  std::vector<const Node*> one_of;
  bool discriminated = false;  // every one_of entry is a discriminator mapping target
};

const std::unordered_set<std::string>& IgnoredKeywords() {
  static const std::unordered_set<std::string> k = {"description", "$schema",       "id",
                                                    "title",       "discriminator", "definitions"};
  return k;
}

}  // namespace

struct JsonSchema::Impl {
  std::deque<Node> nodes;
  std::deque<std::unique_ptr<Pattern>> patterns;
  std::map<std::string, const Pattern*> pattern_by_source;
  std::unordered_map<std::string, Node*> definitions;
  std::string discriminator_property;
  std::unordered_map<std::string, const Node*> discriminator_map;  // value -> definition

  Result<Node*> CompileNode(const json& s, const std::string& where);
  Status CompileKeyword(Node* n, const std::string& key, const json& v, const std::string& where);
  Status Resolve();
  void Check(const Node* n, const json& v, const std::string& path, const DefinitionHook* hook,
             std::vector<SchemaIssue>* out, size_t max) const;
  void CheckObject(const Node* n, const json& v, const std::string& path,
                   const DefinitionHook* hook, std::vector<SchemaIssue>* out, size_t max) const;
  void CheckOneOf(const Node* n, const json& v, const std::string& path, const DefinitionHook* hook,
                  std::vector<SchemaIssue>* out, size_t max) const;
};

JsonSchema::JsonSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonSchema::~JsonSchema() = default;

namespace {

Result<uint8_t> TypeBits(const json& t) {
  static const std::map<std::string, uint8_t> kNames = {
      {"string", kString}, {"number", kNumber},   {"boolean", kBoolean}, {"array", kArray},
      {"object", kObject}, {"integer", kInteger}, {"null", kNull}};
  uint8_t bits = 0;
  for (const auto& item : t.is_array() ? t : json::array({t})) {
    auto it = item.is_string() ? kNames.find(item.get<std::string>()) : kNames.end();
    if (it == kNames.end()) return InvalidArgument("bad type " + item.dump());
    bits |= it->second;
  }
  return bits;
}

}  // namespace

Status JsonSchema::Impl::CompileKeyword(Node* n, const std::string& key, const json& v,
                                        const std::string& where) {
  const std::string at = where + "/" + key;
  if (key == "$ref") {
    const std::string prefix = "#/definitions/";
    if (!v.is_string() || v.get<std::string>().rfind(prefix, 0) != 0)
      return InvalidArgument("unsupported $ref at " + at);
    n->ref_name = v.get<std::string>().substr(prefix.size());
  } else if (key == "type") {
    WARD_ASSIGN_OR_RETURN(n->types, TypeBits(v));
  } else if (key == "properties") {
    n->has_properties = true;
    for (const auto& [name, sub] : v.items()) {
      WARD_ASSIGN_OR_RETURN(Node * child, CompileNode(sub, at + "/" + name));
      n->properties[name] = child;
    }
  } else if (key == "additionalProperties") {
    if (!v.is_boolean()) return InvalidArgument("only boolean additionalProperties at " + at);
    n->additional_allowed = v.get<bool>();
  } else if (key == "required") {
    for (const auto& r : v) n->required.push_back(r.get<std::string>());
  } else if (key == "enum") {
    for (const auto& e : v) n->enum_values.push_back(e);
  } else if (key == "const") {
    n->const_value = v;
  } else if (key == "pattern") {
    const std::string src = v.get<std::string>();
    auto it = pattern_by_source.find(src);
    if (it == pattern_by_source.end()) {
      WARD_ASSIGN_OR_RETURN(auto p, Pattern::Make(src));
      it = pattern_by_source.emplace(src, p.get()).first;
      patterns.push_back(std::move(p));
    }
    n->pattern = it->second;
  } else if (key == "items") {
    WARD_ASSIGN_OR_RETURN(Node * child, CompileNode(v, at));
    n->items = child;
  } else if (key == "oneOf") {
    for (size_t i = 0; i < v.size(); ++i) {
      WARD_ASSIGN_OR_RETURN(Node * child, CompileNode(v[i], at + "/" + std::to_string(i)));
      n->one_of.push_back(child);
    }
  } else if (!IgnoredKeywords().count(key)) {
    return InvalidArgument("unsupported keyword '" + key + "' at " + where);
  }
  return Status::Ok();
}

Result<Node*> JsonSchema::Impl::CompileNode(const json& s, const std::string& where) {
  if (!s.is_object()) return InvalidArgument("schema at " + where + " is not an object");
  Node* n = &nodes.emplace_back();
  for (const auto& [key, v] : s.items()) {
    Status st;
    try {
      st = CompileKeyword(n, key, v, where);
    } catch (const json::exception& e) {
      st = InvalidArgument("malformed '" + key + "' at " + where + ": " + e.what());
    }
    WARD_RETURN_IF_ERROR(st);
  }
  return n;
}

Status JsonSchema::Impl::Resolve() {
  std::unordered_set<const Node*> mapped;
  for (const auto& [value, def] : discriminator_map) mapped.insert(def);
  for (Node& n : nodes) {
    if (!n.ref_name.empty()) {
      auto it = definitions.find(n.ref_name);
      if (it == definitions.end()) return InvalidArgument("dangling $ref " + n.ref_name);
      n.ref = it->second;
    }
  }
  for (Node& n : nodes) {
    if (n.one_of.empty() || discriminator_property.empty()) continue;
    n.discriminated = true;
    for (const Node* alt : n.one_of) {
      if (!alt->ref || !mapped.count(alt->ref)) n.discriminated = false;
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<JsonSchema>> JsonSchema::Compile(const json& doc) {
  try {
    return CompileUnsafe(doc);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("malformed schema: ") + e.what());
  }
}

Result<std::unique_ptr<JsonSchema>> JsonSchema::CompileUnsafe(const json& doc) {
  auto impl = std::make_unique<Impl>();
  if (!doc.is_object() || !doc.contains("definitions") || !doc["definitions"].is_object())
    return InvalidArgument("schema has no definitions");
  for (const auto& [name, def] : doc["definitions"].items()) {
    WARD_ASSIGN_OR_RETURN(Node * n, impl->CompileNode(def, "#/definitions/" + name));
    n->def_name = name;
    impl->definitions[name] = n;
  }
  if (doc.contains("discriminator")) {
    const json& d = doc["discriminator"];
    impl->discriminator_property = d.value("propertyName", "");
    const json mapping = d.value("mapping", json::object());
    for (const auto& [value, ref] : mapping.items()) {
      std::string name = ref.get<std::string>().substr(std::string("#/definitions/").size());
      auto it = impl->definitions.find(name);
      if (it == impl->definitions.end()) return InvalidArgument("discriminator maps to " + name);
      impl->discriminator_map[value] = it->second;
    }
  }
  WARD_RETURN_IF_ERROR(impl->Resolve());
  return std::unique_ptr<JsonSchema>(new JsonSchema(std::move(impl)));
}

bool JsonSchema::HasDefinition(std::string_view name) const {
  return impl_->definitions.count(std::string(name)) > 0;
}

bool JsonSchema::Validate(std::string_view definition, const json& value, const std::string& path,
                          const DefinitionHook* hook, std::vector<SchemaIssue>* issues,
                          size_t max_issues) const {
  auto it = impl_->definitions.find(std::string(definition));
  size_t before = issues->size();
  if (it == impl_->definitions.end()) {
    issues->push_back({path, "unknown type '" + std::string(definition) + "'"});
    return false;
  }
  impl_->Check(it->second, value, path, hook, issues, before + max_issues);
  return issues->size() == before;
}

namespace {

bool TypeMatches(uint8_t types, const json& v) {
  if (types == 0) return true;
  if ((types & kString) && v.is_string()) return true;
  if ((types & kNumber) && v.is_number()) return true;
  if ((types & kInteger) && v.is_number_integer()) return true;
  if ((types & kBoolean) && v.is_boolean()) return true;
  if ((types & kArray) && v.is_array()) return true;
  if ((types & kObject) && v.is_object()) return true;
  if ((types & kNull) && v.is_null()) return true;
  return false;
}

std::string TypeNames(uint8_t types) {
  std::string out;
  const std::pair<uint8_t, const char*> kNames[] = {
      {kString, "a string"},   {kNumber, "a number"}, {kInteger, "an integer"},
      {kBoolean, "a boolean"}, {kArray, "an array"},  {kObject, "an object"},
      {kNull, "null"}};
  for (const auto& [bit, name] : kNames) {
    if (types & bit) out += (out.empty() ? "" : " or ") + std::string(name);
  }
  return out;
}

}  // namespace

void JsonSchema::Impl::Check(const Node* n, const json& v, const std::string& path,
                             const DefinitionHook* hook, std::vector<SchemaIssue>* out,
                             size_t max) const {
  if (out->size() >= max) return;
  if (n->ref) return Check(n->ref, v, path, hook, out, max);  // draft-06: $ref wins
  const size_t before = out->size();
  if (!TypeMatches(n->types, v)) {
    out->push_back({path, "expected " + TypeNames(n->types) + ", found " + v.type_name()});
    return;
  }
  if (!n->enum_values.empty()) {
    bool found = false;
    for (const auto& e : n->enum_values) found = found || e == v;
    if (!found) out->push_back({path, "value " + v.dump() + " is not one of the allowed codes"});
  }
  if (n->const_value && *n->const_value != v) {
    out->push_back({path, "expected " + n->const_value->dump() + ", found " + v.dump()});
  }
  if (n->pattern && (v.is_string() || v.is_number() || v.is_boolean())) {
    // FHIR's patterns give the lexical form of numbers and booleans too, so they are
    // matched against the JSON text of those values as well.
    bool ok = v.is_string() ? n->pattern->Match(v.get_ref<const std::string&>())
                            : n->pattern->Match(v.dump());
    if (!ok)
      out->push_back({path, "value " + v.dump() + " does not match " + n->pattern->source()});
  }
  if (v.is_array() && n->items) {
    for (size_t i = 0; i < v.size() && out->size() < max; ++i) {
      Check(n->items, v[i], path + "[" + std::to_string(i) + "]", hook, out, max);
    }
  }
  if (v.is_object()) CheckObject(n, v, path, hook, out, max);
  if (!n->one_of.empty()) CheckOneOf(n, v, path, hook, out, max);
  if (hook && !n->def_name.empty() && out->size() == before) {
    hook->Check(n->def_name, n->has_properties, v, path, out);
  }
}

void JsonSchema::Impl::CheckObject(const Node* n, const json& v, const std::string& path,
                                   const DefinitionHook* hook, std::vector<SchemaIssue>* out,
                                   size_t max) const {
  for (const auto& r : n->required) {
    if (!v.contains(r)) out->push_back({path + "." + r, "required property is missing"});
  }
  if (!n->has_properties) return;
  for (const auto& [key, child] : v.items()) {
    if (out->size() >= max) return;
    auto it = n->properties.find(key);
    if (it != n->properties.end()) {
      Check(it->second, child, path + "." + key, hook, out, max);
    } else if (!n->additional_allowed) {
      out->push_back({path + "." + key, "unknown property '" + key + "'"});
    }
  }
}

void JsonSchema::Impl::CheckOneOf(const Node* n, const json& v, const std::string& path,
                                  const DefinitionHook* hook, std::vector<SchemaIssue>* out,
                                  size_t max) const {
  if (n->discriminated) {
    auto tag = v.is_object() ? v.find(discriminator_property) : v.end();
    if (!v.is_object() || tag == v.end() || !tag->is_string()) {
      out->push_back({path, "expected an object with a string '" + discriminator_property + "'"});
      return;
    }
    auto it = discriminator_map.find(tag->get<std::string>());
    if (it == discriminator_map.end()) {
      out->push_back({path, "unknown " + discriminator_property + " " + tag->dump()});
      return;
    }
    return Check(it->second, v, path, hook, out, max);
  }
  size_t matches = 0;
  for (const Node* alt : n->one_of) {
    std::vector<SchemaIssue> scratch;
    Check(alt, v, path, hook, &scratch, 1);
    matches += scratch.empty();
  }
  if (matches != 1) {
    out->push_back({path, "matches " + std::to_string(matches) + " alternatives, expected one"});
  }
}

}  // namespace ward::ehr
