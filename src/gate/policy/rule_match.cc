// How one rule matches one action: globs, lists, the code pattern.
#include <algorithm>

#include "gate/policy/policy_rule.h"

namespace ward::policy_internal {
namespace {

bool AnyEquals(const std::vector<std::string>& allowed, const std::string& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// See policy.h: restrictive rules match any listed or unknown patient, allow rules
// only a fully known set inside their list.
bool PatientsMatch(const RuleSpec& rule, const ActionDescriptor& action) {
  if (rule.patients.empty()) return true;
  auto listed = [&](const std::string& p) {
    return std::find(rule.patients.begin(), rule.patients.end(), p) != rule.patients.end();
  };
  if (rule.decision == Decision::kAllow)
    return !action.patient_unknown && !action.patients.empty() &&
           std::all_of(action.patients.begin(), action.patients.end(), listed);
  return action.patient_unknown ||
         std::any_of(action.patients.begin(), action.patients.end(), listed);
}

bool AnyGlob(const std::vector<std::string>& globs, const std::string& value) {
  if (globs.empty()) return true;
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return GlobMatch(g, value); });
}

// Searches the code; a pattern the regex engine cannot finish counts as a match,
// so a rule meant to catch something fails towards its decision, not away from it.
// The compiled pattern starts with [\s\S]* (see CompileCodePattern), so one anchored
// pass finds a match anywhere.
bool CodeMatches(const std::regex& pattern, const std::string& code) {
  try {
    return std::regex_search(code, pattern, std::regex_constants::match_continuous);
  } catch (const std::regex_error&) {
    return true;
  }
}

}  // namespace

bool RuleSpec::HasBindingFields() const {
  return !bindings.empty() || !connectors.empty() || !operations.empty() ||
         !resource_types.empty() || reversible.has_value() || !patients.empty();
}

bool GlobMatch(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0;
  size_t star = std::string::npos, resume = 0;  // last '*' seen, and where it resumes in text
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool RuleMatches(const RuleSpec& rule, const ActionDescriptor& action) {
  if (rule.code) {
    return action.kind == "code" && CodeMatches(*rule.code, action.code);
  }
  if (!rule.HasBindingFields()) return true;
  return action.kind == "binding" && AnyGlob(rule.bindings, action.binding) &&
         AnyEquals(rule.connectors, action.connector) &&
         AnyEquals(rule.operations, action.operation) &&
         AnyEquals(rule.resource_types, action.resource_type) &&
         (!rule.reversible || *rule.reversible == action.reversible) && PatientsMatch(rule, action);
}

std::string RuleLabel(const RuleSpec& rule) {
  return rule.named ? "rule \"" + rule.name + "\"" : rule.name;
}

Result<std::shared_ptr<const std::regex>> CompileCodePattern(const std::string& pattern) {
  // libstdc++'s default matcher recurses once per character (a long code action can
  // exhaust the stack) and retries from every position (quadratic). Its polynomial
  // mode runs in bounded stack and refuses back-references; with a leading [\s\S]*
  // one anchored pass covers every start: linear in the code's length.
  auto flags = std::regex::ECMAScript | std::regex::multiline;  // ^ and $ at each line
#ifdef __GLIBCXX__
  flags |= std::regex_constants::__polynomial;
#endif
  try {
    std::regex alone(pattern, flags);  // so "a)(b" is refused, not completed by the wrapper
    return std::make_shared<const std::regex>("[\\s\\S]*(?:" + pattern + ")", flags);
  } catch (const std::regex_error& e) {
    return InvalidArgument(std::string("bad regular expression: ") + e.what());
  }
}

std::optional<Decision> ParseDecision(const std::string& name) {
  if (name == "allow") return Decision::kAllow;
  if (name == "ask") return Decision::kAsk;
  if (name == "deny") return Decision::kDeny;
  return std::nullopt;
}

}  // namespace ward::policy_internal
