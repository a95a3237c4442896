// Internal to the policy module: a parsed rule, how it matches an action, and the
// TOML reader that builds rules. Not for use outside src/gate/policy/.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "gate/policy/policy.h"

namespace ward::policy_internal {

// One `[[policy.rule.examples]]` table.
struct RuleExample {
  bool match = true;
  ActionDescriptor action;
  bool reversible_given = false;     // else it defaults from the operation
  std::optional<Decision> decision;  // what the whole policy must decide, when given
};

// One `[[policy.rule]]` table. Empty lists mean "any".
struct RuleSpec {
  std::string name;                   // as written, or "rule N" (1-based, file order)
  bool named = false;                 // the file gave the name
  std::vector<std::string> bindings;  // globs
  std::vector<std::string> connectors;
  std::vector<std::string> operations;
  std::vector<std::string> resource_types;
  std::optional<bool> reversible;  // absent: either
  std::vector<std::string> patients;
  std::string code_pattern;                // as written; empty = none
  std::shared_ptr<const std::regex> code;  // compiled code_pattern
  Decision decision = Decision::kAllow;
  std::string reason;
  std::string approvers;
  std::optional<int64_t> max;
  std::vector<RuleExample> examples;

  bool HasBindingFields() const;
};

// '*' matches any run of characters (dots included), '?' exactly one.
bool GlobMatch(const std::string& pattern, const std::string& text);

// Whether `rule`'s conditions all hold for `action` (ignores `max`).
bool RuleMatches(const RuleSpec& rule, const ActionDescriptor& action);

// "rule 3" or "rule \"no-deletes\"": how messages name a rule.
std::string RuleLabel(const RuleSpec& rule);

// Compiles a code pattern; InvalidArgument with the regex library's reason.
Result<std::shared_ptr<const std::regex>> CompileCodePattern(const std::string& pattern);

// Parses the `[[policy.rule]]` tables of a TOML document, in file order, with
// every rule's examples. InvalidArgument naming `source`, the rule and the key.
Result<std::vector<RuleSpec>> ParsePolicyToml(const std::string& text, const std::string& source);

// "allow" | "ask" | "deny" → Decision; nullopt for anything else.
std::optional<Decision> ParseDecision(const std::string& name);

}  // namespace ward::policy_internal
