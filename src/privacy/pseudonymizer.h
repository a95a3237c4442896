// Pseudonymizer: keeps direct identifiers away from the model provider, for one
// session (`[privacy] mode`, docs/privacy.md).
//
// Learn() reads what passed through the gate (binding results): the identifiers in
// FHIR resources, by element path (privacy/fhir_identifiers.h). Pseudonymise()
// rewrites text bound for the model: every known value — and its common variants:
// other case, "Family, Given", other date and phone spellings, JSON \u escapes,
// URL encoding, the escapes and cases of privacy/spellings.h — becomes a stable
// token, then identifiers found by shape (privacy/phi_patterns.h: dates, phones,
// SSNs, e-mails, configured formats) do too.
//
// Tokens: [[PATIENT_1]] is the first patient's id, [[PATIENT_1.family]],
// [[PATIENT_1.mrn]], [[PATIENT_1.birthDate]] ... its values (a second value of
// the same field: [[PATIENT_1.given2]]); [[PERSON_n...]] for RelatedPerson and
// Person; [[DATE_n]], [[PHONE_n]], [[SSN_n]], [[EMAIL_n]], [[ID_n]], [[NAME_n]]
// for values found by shape or marked in the task; [[ATTACHMENT_n]] for
// attachment data and URLs. One value, one token, for the whole session; dates
// are tokenised, not shifted (the guest sees real values and computes with them).
//
// The reverse map never leaves the host: ReIdentify*() turn tokens back into
// values in the model's code before it runs, in binding arguments, and in the
// final answer. A token the session never issued is left as it is.
//
// Mode off: every method returns its input unchanged. Not thread-safe: one
// session's thread uses it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "privacy/fhir_identifiers.h"
#include "privacy/literal_matcher.h"
#include "privacy/phi_patterns.h"
#include "util/status.h"

namespace ward {

enum class PrivacyMode { kOff, kPseudonymise, kStrict };

const char* PrivacyModeName(PrivacyMode mode);
// "off", "pseudonymise" (or "pseudonymize"), "strict"; InvalidArgument otherwise.
Result<PrivacyMode> ParsePrivacyMode(std::string_view name);

struct PrivacyOptions {
  PrivacyMode mode = PrivacyMode::kOff;
  // More identifier formats (RE2), tokenised as [[ID_n]].
  std::vector<std::string> identifier_patterns;
  // Strict mode: the element paths ("Observation.valueQuantity", "*.code") whose
  // strings may reach the model; every other string of a resource is tokenised.
  // Empty: the default list (DefaultStrictAllow()).
  std::vector<std::string> strict_allow;
};

// The element paths strict mode lets through when none are configured.
const std::vector<std::string>& DefaultStrictAllow();

// How many values were replaced, by category ("name", "identifier", "date",
// "telecom", "address", "attachment", "other"); never the values.
struct SubstitutionCounts {
  std::map<std::string, int64_t> by_category;
  int64_t total() const;
  void Add(const SubstitutionCounts& other);
  // {"date":2,"name":3,...,"total":5}
  std::string ToJson() const;
};

class Pseudonymizer {
 public:
  // InvalidArgument when an identifier pattern is unusable.
  static Result<std::unique_ptr<Pseudonymizer>> Create(const PrivacyOptions& options);

  PrivacyMode mode() const { return options_.mode; }
  bool active() const { return options_.mode != PrivacyMode::kOff; }

  // Learns the identifiers in a binding's result (JSON text), including resources
  // held as JSON text in its strings (one level). Text that is not JSON, or holds
  // no resource, teaches nothing.
  void Learn(std::string_view json_text);
  void LearnJson(const nlohmann::json& value);

  // `text` with every identifier replaced by its token; adds to `counts` if given.
  std::string Pseudonymise(std::string_view text, SubstitutionCounts* counts = nullptr);
  // As Pseudonymise, for the user's task: a span the user marked as [[...]]
  // (not a token) is an identifier too (a date, an ID, or else a name).
  std::string PseudonymiseTask(std::string_view task, SubstitutionCounts* counts = nullptr);

  // Tokens back to values, as plain text (answers, display).
  std::string ReIdentify(std::string_view text) const;
  // In Python source: a value with quotes, backslashes, line breaks, NUL or
  // braces is escaped (privacy/spellings.h PythonLiteralEscaped) so that it stays
  // one string inside the literal that held the token, an f-string included.
  std::string ReIdentifyCode(std::string_view code) const;
  // In a JSON document (binding arguments): tokens inside its strings. The input
  // unchanged when it holds no token; InvalidArgument when it does not parse.
  Result<std::string> ReIdentifyJson(std::string_view json_text) const;

  size_t known_values() const { return token_value_.size(); }

 private:
  explicit Pseudonymizer(PrivacyOptions options) : options_(std::move(options)) {}

  struct TokenInfo {
    std::string value;     // the canonical value
    std::string category;  // counted under
  };
  // The token of `value`, made (with its variants) when new.
  const std::string& Register(const std::string& value, const std::string& token_base,
                              const std::string& category);
  std::string NewOwnedToken(const std::string& owner, IdentifierField field);
  std::string NewGenericToken(const std::string& kind);
  void AddVariant(const std::string& variant, const std::string& token);
  void LearnStrict(const nlohmann::json& value, const std::string& path);
  void LearnEmbedded(const nlohmann::json& value);
  // Each word of a multi-word name marked in the task, as a name of its own.
  void RegisterNameParts(const std::string& name);
  std::string ReplaceKnown(std::string_view text, SubstitutionCounts* counts);
  std::string ReplacePatterns(std::string_view text, SubstitutionCounts* counts);
  std::string ReIdentifyWith(std::string_view text, bool escape_for_code) const;

  PrivacyOptions options_;
  std::shared_ptr<const PhiPatterns> patterns_;
  std::unordered_map<std::string, std::string> folded_token_;  // folded variant -> token
  std::unordered_map<std::string, TokenInfo> token_value_;     // token -> value
  std::vector<std::string> variants_;                          // matcher patterns
  std::vector<std::string> variant_token_;                     // parallel to variants_
  LiteralMatcher matcher_;
  bool matcher_stale_ = false;
  std::map<std::string, int> owners_;              // "Patient/x" -> n
  std::map<std::string, int> owner_kind_counts_;   // "PATIENT" -> last n
  std::map<std::string, int> owner_field_counts_;  // "PATIENT_1.given" -> count
  std::map<std::string, int> generic_counts_;      // "DATE" -> last n
};

}  // namespace ward
