// Policy: evaluation (strictest matching rule wins), defaults, example checks.
#include "gate/policy/policy.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "gate/policy/policy_rule.h"

namespace ward {

struct Policy::Rule : policy_internal::RuleSpec {
  explicit Rule(RuleSpec spec) : RuleSpec(std::move(spec)) {}
};

namespace {

using policy_internal::RuleLabel;
using policy_internal::RuleMatches;

int Strictness(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return 0;
    case Decision::kAsk:
      return 1;
    case Decision::kDeny:
      return 2;
  }
  return 2;
}

PolicyDecision DefaultDecision(const ActionDescriptor& action) {
  PolicyDecision out;
  out.rule = "default";
  if (action.kind == "code") {
    out.reason = "code actions are allowed by default";
  } else if (action.operation == "read" || action.operation == "control") {
    out.reason = "reads are allowed by default";
  } else {
    out.decision = Decision::kAsk;
    out.reason = action.operation == "execute" ? "statements need approval by default"
                 : !action.reversible          ? "writes that cannot be undone need approval by "
                                                 "default"
                                               : "writes need approval by default";
  }
  return out;
}

// The rule's own decision for a matching action, with its `max` applied.
PolicyDecision RuleDecision(const policy_internal::RuleSpec& rule, const RuleCounters& counters) {
  PolicyDecision out{rule.decision, rule.name, rule.reason, rule.approvers, {}};
  if (!rule.max) return out;
  auto it = counters.find(rule.name);
  int64_t used = it == counters.end() ? 0 : it->second;
  if (used >= *rule.max) {
    out = {Decision::kDeny,
           rule.name,
           RuleLabel(rule) + " allows at most " + std::to_string(*rule.max) + " calls per session",
           "",
           {}};
  }
  return out;
}

std::string Describe(const ActionDescriptor& a) {
  if (a.kind == "code") {
    std::string first = a.code.substr(0, std::min(a.code.find('\n'), size_t{40}));
    return "code " + first + (first.size() < a.code.size() ? "..." : "");
  }
  std::string out = a.binding.empty() ? "binding call" : a.binding;
  if (!a.connector.empty()) out += " connector=" + a.connector;
  if (!a.operation.empty()) out += " operation=" + a.operation;
  if (!a.resource_type.empty()) out += " resource_type=" + a.resource_type;
  if (!a.reversible) out += " reversible=false";
  for (const auto& p : a.patients) out += " patient=" + p;
  if (a.patient_unknown) out += " patient=(unknown)";
  return out;
}

}  // namespace

const char* DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allow";
    case Decision::kAsk:
      return "ask";
    case Decision::kDeny:
      return "deny";
  }
  return "deny";
}

Result<Policy> Policy::FromToml(const std::string& toml_text, const std::string& source) {
  WARD_ASSIGN_OR_RETURN(auto specs, policy_internal::ParsePolicyToml(toml_text, source));
  Policy policy;
  for (auto& spec : specs) policy.rules_.push_back(std::make_shared<const Rule>(std::move(spec)));
  return policy;
}

Result<Policy> Policy::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read policy file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unavailable("error reading policy file " + path);
  return FromToml(text.str(), path);
}

PolicyDecision Policy::Evaluate(const ActionDescriptor& action,
                                const RuleCounters& counters) const {
  std::optional<PolicyDecision> best;
  std::vector<std::string> counted;
  for (const auto& rule : rules_) {
    if (!RuleMatches(*rule, action)) continue;
    if (rule->max) counted.push_back(rule->name);
    PolicyDecision d = RuleDecision(*rule, counters);
    if (!best || Strictness(d.decision) > Strictness(best->decision)) best = std::move(d);
  }
  PolicyDecision out = best ? std::move(*best) : DefaultDecision(action);
  out.counted = std::move(counted);
  return out;
}

std::vector<std::string> Policy::CheckExamples() const {
  std::vector<std::string> failures;
  for (const auto& rule : rules_) {
    for (size_t i = 0; i < rule->examples.size(); ++i) {
      const auto& ex = rule->examples[i];
      std::string where = RuleLabel(*rule) + ", example " + std::to_string(i + 1) + " (" +
                          Describe(ex.action) + "): ";
      if (RuleMatches(*rule, ex.action) != ex.match) {
        failures.push_back(where + (ex.match ? "should match the rule but does not"
                                             : "should not match the rule but does"));
        continue;
      }
      if (!ex.decision) continue;
      PolicyDecision d = Evaluate(ex.action, {});
      if (d.decision != *ex.decision)
        failures.push_back(where + "the policy decides " + DecisionName(d.decision) + " (by " +
                           d.rule + "), the example expects " + DecisionName(*ex.decision));
    }
  }
  return failures;
}

size_t Policy::rule_count() const { return rules_.size(); }

size_t Policy::example_count() const {
  size_t n = 0;
  for (const auto& rule : rules_) n += rule->examples.size();
  return n;
}

}  // namespace ward
