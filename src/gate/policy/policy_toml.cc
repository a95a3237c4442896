// Reads `[[policy.rule]]` tables (and their examples) from TOML. toml++ exceptions
// stop here and become InvalidArgument naming the source, the line, the rule and
// the key.
#include <toml++/toml.h>

#include <set>

#include "gate/policy/policy_rule.h"
#include "util/toml_limits.h"

namespace ward::policy_internal {
namespace {

const std::set<std::string> kOperations = {"read", "write", "delete", "execute", "control"};

// Where in the file a problem is: the source and the rule being read.
struct Where {
  const std::string& source;
  std::string rule;  // "rule 2" or "rule \"name\""
};

Status Bad(const Where& w, const toml::node& node, const std::string& key,
           const std::string& what) {
  std::string line = std::to_string(node.source().begin.line);
  return InvalidArgument(w.source + ":" + line + ": " + w.rule +
                         (key.empty() ? "" : ": \"" + key + "\"") + ": " + what);
}

Result<std::string> ReadString(const Where& w, const std::string& key, const toml::node& node) {
  const auto* s = node.as_string();
  if (!s) return Bad(w, node, key, "must be a string");
  return s->get();
}

// A string or a non-empty list of strings.
Result<std::vector<std::string>> ReadStrings(const Where& w, const std::string& key,
                                             const toml::node& node) {
  if (const auto* s = node.as_string()) return std::vector<std::string>{s->get()};
  const auto* array = node.as_array();
  if (!array || array->empty()) return Bad(w, node, key, "must be a string or a list of strings");
  std::vector<std::string> out;
  for (const auto& item : *array) {
    const auto* s = item.as_string();
    if (!s) return Bad(w, item, key, "must be a string or a list of strings");
    out.push_back(s->get());
  }
  return out;
}

Result<Decision> ReadDecision(const Where& w, const std::string& key, const toml::node& node) {
  WARD_ASSIGN_OR_RETURN(std::string name, ReadString(w, key, node));
  auto d = ParseDecision(name);
  if (!d) return Bad(w, node, key, "must be \"allow\", \"ask\" or \"deny\", not \"" + name + "\"");
  return *d;
}

Status ReadOperations(const Where& w, const toml::node& node, std::vector<std::string>* out) {
  WARD_ASSIGN_OR_RETURN(*out, ReadStrings(w, "operation", node));
  for (const auto& op : *out) {
    if (!kOperations.count(op))
      return Bad(w, node, "operation",
                 "must be read, write, delete, execute or control, not \"" + op + "\"");
  }
  return Status::Ok();
}

Result<bool> ReadBool(const Where& w, const std::string& key, const toml::node& node) {
  const auto* b = node.as_boolean();
  if (!b) return Bad(w, node, key, "must be true or false");
  return b->get();
}

Status ReadMax(const Where& w, const toml::node& node, std::optional<int64_t>* out) {
  const auto* i = node.as_integer();
  if (!i || i->get() < 0) return Bad(w, node, "max", "must be a whole number, 0 or more");
  *out = i->get();
  return Status::Ok();
}

Status ReadCode(const Where& w, const toml::node& node, RuleSpec& rule) {
  WARD_ASSIGN_OR_RETURN(rule.code_pattern, ReadString(w, "code", node));
  auto compiled = CompileCodePattern(rule.code_pattern);
  if (!compiled.ok()) return Bad(w, node, "code", compiled.status().message());
  rule.code = std::move(compiled).value();
  return Status::Ok();
}

// Sets the rule's field for one scalar or list key; false when the key is unknown.
Result<bool> ReadRuleField(const Where& w, const std::string& key, const toml::node& node,
                           RuleSpec& r) {
  if (key == "binding") {
    WARD_ASSIGN_OR_RETURN(r.bindings, ReadStrings(w, key, node));
  } else if (key == "connector") {
    WARD_ASSIGN_OR_RETURN(r.connectors, ReadStrings(w, key, node));
  } else if (key == "operation") {
    WARD_RETURN_IF_ERROR(ReadOperations(w, node, &r.operations));
  } else if (key == "resource_type" || key == "target") {
    if (!r.resource_types.empty())
      return Bad(w, node, key, "give resource_type or target (the same thing), not both");
    WARD_ASSIGN_OR_RETURN(r.resource_types, ReadStrings(w, key, node));
  } else if (key == "reversible") {
    WARD_ASSIGN_OR_RETURN(r.reversible, ReadBool(w, key, node));
  } else if (key == "patient") {
    WARD_ASSIGN_OR_RETURN(r.patients, ReadStrings(w, key, node));
  } else if (key == "code") {
    WARD_RETURN_IF_ERROR(ReadCode(w, node, r));
  } else if (key == "decision") {
    WARD_ASSIGN_OR_RETURN(r.decision, ReadDecision(w, key, node));
  } else if (key == "reason") {
    WARD_ASSIGN_OR_RETURN(r.reason, ReadString(w, key, node));
  } else if (key == "approvers") {
    WARD_ASSIGN_OR_RETURN(r.approvers, ReadString(w, key, node));
  } else if (key == "max") {
    WARD_RETURN_IF_ERROR(ReadMax(w, node, &r.max));
  } else {
    return false;
  }
  return true;
}

// Sets one field of an example's action; false when the key is unknown.
Result<bool> ReadExampleField(const Where& w, const std::string& key, const toml::node& node,
                              RuleExample& ex) {
  std::string* field = key == "kind"            ? &ex.action.kind
                       : key == "binding"       ? &ex.action.binding
                       : key == "connector"     ? &ex.action.connector
                       : key == "operation"     ? &ex.action.operation
                       : key == "resource_type" ? &ex.action.resource_type
                       : key == "target"        ? &ex.action.resource_type
                       : key == "code"          ? &ex.action.code
                                                : nullptr;
  if (field) {
    WARD_ASSIGN_OR_RETURN(*field, ReadString(w, key, node));
  } else if (key == "patient") {
    WARD_ASSIGN_OR_RETURN(ex.action.patients, ReadStrings(w, key, node));
  } else if (key == "reversible") {
    WARD_ASSIGN_OR_RETURN(bool reversible, ReadBool(w, key, node));
    ex.reversible_given = true;
    ex.action.reversible = reversible;
  } else if (key == "decision") {
    WARD_ASSIGN_OR_RETURN(ex.decision, ReadDecision(w, key, node));
  } else if (key != "match") {
    return false;
  }
  return true;
}

// "fhir.read" → "read" etc.; see policy.h.
std::string OperationOf(const std::string& binding) {
  static const std::map<std::string, std::string> kByVerb = {
      {"read", "read"},          {"vread", "read"},      {"search", "read"},
      {"search_bundle", "read"}, {"history", "read"},    {"capabilities", "read"},
      {"query", "read"},         {"get", "read"},        {"create", "write"},
      {"update", "write"},       {"patch", "write"},     {"transaction", "write"},
      {"insert", "write"},       {"post", "write"},      {"put", "write"},
      {"delete", "delete"},      {"execute", "execute"}, {"finish", "control"}};
  auto it = kByVerb.find(binding.substr(binding.rfind('.') + 1));
  return it == kByVerb.end() ? "" : it->second;
}

void FillExampleDefaults(RuleExample& ex) {
  ActionDescriptor& a = ex.action;
  if (a.kind.empty()) a.kind = !a.code.empty() && a.binding.empty() ? "code" : "binding";
  if (a.kind != "binding") return;
  size_t dot = a.binding.find('.');
  if (a.connector.empty() && dot != std::string::npos) a.connector = a.binding.substr(0, dot);
  if (a.operation.empty()) a.operation = OperationOf(a.binding);
  if (!ex.reversible_given) a.reversible = a.operation != "execute";
}

Result<RuleExample> ReadExample(const Where& w, const toml::table& table, size_t index) {
  Where here{w.source, w.rule + " example " + std::to_string(index + 1)};
  RuleExample ex;
  for (const auto& [k, node] : table) {
    std::string key(k.str());
    WARD_ASSIGN_OR_RETURN(bool known, ReadExampleField(here, key, node, ex));
    if (!known) return Bad(here, node, key, "unknown key");
  }
  const auto* match = table.get("match");
  if (!match || !match->as_boolean())
    return Bad(here, table, "match", "is required: true (must match) or false (must not)");
  ex.match = match->as_boolean()->get();
  if (ex.action.kind != "binding" && ex.action.kind != "code" && !ex.action.kind.empty())
    return Bad(here, *table.get("kind"), "kind", "must be \"binding\" or \"code\"");
  FillExampleDefaults(ex);
  return ex;
}

Status ReadExamples(const Where& w, const toml::node& node, RuleSpec& rule) {
  const auto* array = node.as_array();
  if (!array || !array->is_array_of_tables())
    return Bad(w, node, "examples", "must be [[policy.rule.examples]] tables");
  for (size_t i = 0; i < array->size(); ++i) {
    WARD_ASSIGN_OR_RETURN(RuleExample ex, ReadExample(w, *array->get(i)->as_table(), i));
    rule.examples.push_back(std::move(ex));
  }
  return Status::Ok();
}

// The checks that span keys, once every key is read.
Status CheckRule(const Where& w, const toml::table& table, const RuleSpec& rule) {
  if (!table.get("decision")) return Bad(w, table, "decision", "is required (allow, ask or deny)");
  if (rule.decision != Decision::kAllow && rule.reason.empty())
    return Bad(w, table, "reason", "is required when the decision is ask or deny");
  if (!rule.approvers.empty() && rule.decision != Decision::kAsk)
    return Bad(w, *table.get("approvers"), "approvers", "applies only to decision = \"ask\"");
  if (rule.code && rule.HasBindingFields())
    return Bad(w, *table.get("code"), "code",
               "a rule matches either code actions (code) or binding calls (binding, connector, "
               "operation, resource_type, reversible, patient), not both");
  return Status::Ok();
}

Result<RuleSpec> ReadRule(const std::string& source, const toml::table& table, size_t index) {
  RuleSpec rule;
  rule.name = "rule " + std::to_string(index + 1);
  Where w{source, rule.name};
  if (const auto* name = table.get("name")) {
    WARD_ASSIGN_OR_RETURN(rule.name, ReadString(w, "name", *name));
    if (rule.name.empty()) return Bad(w, *name, "name", "must not be empty");
    rule.named = true;
    w.rule = RuleLabel(rule);
  }
  for (const auto& [k, node] : table) {
    std::string key(k.str());
    if (key == "name") continue;
    if (key == "examples") {
      WARD_RETURN_IF_ERROR(ReadExamples(w, node, rule));
      continue;
    }
    WARD_ASSIGN_OR_RETURN(bool known, ReadRuleField(w, key, node, rule));
    if (!known) return Bad(w, node, key, "unknown key");
  }
  WARD_RETURN_IF_ERROR(CheckRule(w, table, rule));
  return rule;
}

// The [policy] table's `rule` array; another array of tables there is a misspelling.
Result<const toml::array*> RuleArray(const std::string& source, const toml::table& root) {
  const auto* policy_node = root.get("policy");
  if (!policy_node) return static_cast<const toml::array*>(nullptr);
  Where w{source, "[policy]"};
  const auto* policy = policy_node->as_table();
  if (!policy) return Bad(w, *policy_node, "", "must be a table");
  for (const auto& [k, node] : *policy) {
    if (k.str() != "rule" && node.is_array_of_tables())
      return Bad(w, node, std::string(k.str()), "unknown table; rules are [[policy.rule]]");
  }
  const auto* rules = policy->get("rule");
  if (!rules) return static_cast<const toml::array*>(nullptr);
  if (!rules->is_array_of_tables())
    return Bad(w, *rules, "rule", "must be [[policy.rule]] tables (an array of tables)");
  return rules->as_array();
}

Status CheckUniqueNames(const std::string& source, const std::vector<RuleSpec>& rules) {
  std::set<std::string> seen;
  for (const auto& r : rules) {
    if (!seen.insert(r.name).second)
      return InvalidArgument(source + ": " + RuleLabel(r) +
                             ": \"name\": another rule has the same name; names must be unique");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<RuleSpec>> ParsePolicyToml(const std::string& text, const std::string& source) {
  WARD_RETURN_IF_ERROR(CheckTomlLimits(text, source));
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(source + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  WARD_ASSIGN_OR_RETURN(const toml::array* array, RuleArray(source, root));
  std::vector<RuleSpec> rules;
  if (!array) return rules;
  for (size_t i = 0; i < array->size(); ++i) {
    WARD_ASSIGN_OR_RETURN(RuleSpec rule, ReadRule(source, *array->get(i)->as_table(), i));
    rules.push_back(std::move(rule));
  }
  WARD_RETURN_IF_ERROR(CheckUniqueNames(source, rules));
  return rules;
}

}  // namespace ward::policy_internal
