// Policy: which actions may happen without asking, which need a person's approval,
// which are refused — evaluated by the gate for every code action and every binding
// call. Rules come from `[[policy.rule]]` tables in ward.toml or a policy file.
//
// A rule matches on any of: binding (glob, e.g. "fhir.*"), connector, operation
// (read | write | delete | control), resource_type, patient, and for code actions a
// regular expression on the code. Its decision is allow, ask or deny, with a reason;
// optional `approvers` (a role) and `max` (calls per session that matched it; past
// it the call is denied). The strictest matching decision wins (deny > ask > allow).
// With no matching rule: reads and control calls are allowed, writes and deletes ask,
// code actions are allowed. Rules may carry `examples` (actions that must match / must
// not match), checked by `ward policy check`.
//
// Immutable after loading; Evaluate is thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "util/status.h"

namespace ward {

// What the gate knows about an action when it asks the policy.
struct ActionDescriptor {
  std::string kind;           // "binding" or "code"
  std::string binding;        // kind "binding": "fhir.create", "finish", ...
  std::string connector;      // "fhir", "" for built-ins
  std::string operation;      // "read", "write", "delete", "control" ("" for code)
  std::string resource_type;  // "Patient", "" when none
  std::string patient;        // the patient compartment the call touches, "" when unknown
  std::string code;           // kind "code": the code
};

enum class Decision { kAllow, kAsk, kDeny };
const char* DecisionName(Decision d);  // "allow", "ask", "deny"

struct PolicyDecision {
  Decision decision = Decision::kAllow;
  std::string rule;       // the deciding rule's name, or "default"
  std::string reason;
  std::string approvers;  // role that may approve, when kAsk ("" = any approver)
};

// Calls per session that each rule (by name) has already matched; the gate keeps it.
using RuleCounters = std::map<std::string, int>;

class Policy {
 public:
  // The built-in default (no rules).
  Policy() = default;
  // Parses `[[policy.rule]]` tables from TOML text. InvalidArgument naming
  // `source` and the rule (index or name) and what is wrong.
  static Result<Policy> FromToml(const std::string& toml_text, const std::string& source);
  static Result<Policy> FromFile(const std::string& path);

  PolicyDecision Evaluate(const ActionDescriptor& action, const RuleCounters& counters) const;

  // Checks every rule's examples; returns one line per failure, naming the rule.
  std::vector<std::string> CheckExamples() const;
  size_t rule_count() const;

 private:
  struct Rule;
  std::vector<std::shared_ptr<const Rule>> rules_;
};

}  // namespace ward
