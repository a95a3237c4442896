// Policy: which actions may happen without asking, which need a person's approval,
// which are refused — evaluated by the gate for every code action and every binding
// call. Rules come from `[[policy.rule]]` tables in ward.toml or a policy file.
//
// A rule matches on any of: binding (glob, e.g. "fhir.*"), connector (its name, e.g.
// "fhir", "labs", "reporting"), operation (read | write | delete | execute |
// control), resource_type (alias `target`: a FHIR resource type, an SQL table, an
// HTTP route), reversible (true | false: whether the effect can be undone),
// patient, and for code actions a regular expression on the code. Its decision is
// allow, ask or deny, with a reason; optional `approvers` (a role) and `max` (calls
// per session that matched it; past it the call is denied). The strictest matching
// decision wins (deny > ask > allow). With no matching rule: reads and control
// calls are allowed; writes, deletes and executes ask (irreversible ones say so);
// code actions are allowed. Rules may carry `examples` (actions that must match / must
// not match), checked by `ward policy check`.
//
// Matching: every field a rule gives must match (an absent field matches anything);
// a list matches when any entry does. `binding` is a glob ('*' any run of characters,
// '?' one character); the other fields compare exactly. `patient` fails closed: a
// deny or ask rule matches when the call touches any listed patient or an unknown
// one; an allow rule matches only when every patient the call touches is listed,
// none is unknown, and there is at least one. `code` is an ECMAScript regular
// expression searched anywhere in the code (^ and $ match at line ends; no
// back-references; the search is linear in the code's length). A rule with `code` matches only code
// actions; a rule with binding, connector, operation, resource_type or patient
// matches only binding calls; a rule with none of them matches every action. Ties
// between equally strict rules go to the first in file order.
//
// Examples: `[[policy.rule.examples]]` tables with `match = true|false` and the
// action's fields (kind, binding, connector, operation, resource_type or target,
// reversible, patient, code), optionally `decision` — what the whole policy must
// decide for that action with no calls counted yet. An example's kind defaults to
// "code" when it gives only `code`; its connector defaults to the binding's prefix
// ("fhir" for "fhir.read"); its operation defaults from the binding's last name part:
// read, vread, search, search_bundle, history, capabilities, query, get → read;
// create, update, patch, transaction, insert, post, put → write; delete → delete;
// execute → execute; finish → control. `reversible` defaults to true, except for
// execute.
//
// Only the `rule` key of the `[policy]` table is read here; other scalar keys there
// belong to other parts of ward, but another array of tables (a misspelt `rule`)
// is an error.
//
// Immutable after loading; Evaluate is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"

namespace ward {

// What the gate knows about an action when it asks the policy.
struct ActionDescriptor {
  std::string kind;       // "binding" or "code"
  std::string binding;    // kind "binding": "fhir.create", "finish", ...
  std::string connector;  // "fhir", "" for built-ins
  std::string operation;  // "read", "write", "delete", "execute", "control" ("" for code)
  // The target: a FHIR resource type ("Patient"), an SQL table, an HTTP route
  // pattern ("/appointments/{id}"); "" when none.
  std::string resource_type;
  std::string code;  // kind "code": the code
  // The patients whose compartment the call touches (ids), and whether it may touch
  // others that cannot be named (an unfiltered search, an unresolvable reference).
  std::vector<std::string> patients;
  bool patient_unknown = false;
  // Whether the effect can be undone (its connector journals a compensation);
  // always true for reads. An SQL `execute`, or an HTTP write whose route declares
  // no compensation, is not.
  bool reversible = true;
};

enum class Decision { kAllow, kAsk, kDeny };
const char* DecisionName(Decision d);  // "allow", "ask", "deny"

struct PolicyDecision {
  Decision decision = Decision::kAllow;
  std::string rule;  // the deciding rule's name, or "default"
  std::string reason;
  std::string approvers;  // role that may approve, when kAsk ("" = any approver)
  // Every matching rule that has a `max`: when the call goes ahead (allowed, or
  // approved), the gate adds 1 to each of their counters.
  std::vector<std::string> counted;
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
  size_t example_count() const;

 private:
  struct Rule;
  std::vector<std::shared_ptr<const Rule>> rules_;
};

}  // namespace ward
