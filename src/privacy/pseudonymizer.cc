#include "privacy/pseudonymizer.h"

#include <algorithm>
#include <cctype>

#include "privacy/spelling_variants.h"
#include "privacy/spellings.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

std::string Fold(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Too short or too plain to be told apart from ordinary text.
bool Unusable(std::string_view value) {
  size_t meaningful = 0;
  for (char c : value)
    if (!std::isspace(static_cast<unsigned char>(c))) ++meaningful;
  if (meaningful < 2) return true;
  return AllDigits(value) && value.size() < 4;
}

// The token at text[pos] ("[[" KIND "_" N ["." field [N]] "]]"), or 0.
size_t TokenLengthAt(std::string_view text, size_t pos) {
  if (text.compare(pos, 2, "[[") != 0) return 0;
  size_t i = pos + 2;
  size_t start = i;
  while (i < text.size() && text[i] >= 'A' && text[i] <= 'Z') ++i;
  if (i == start || i >= text.size() || text[i] != '_') return 0;
  start = ++i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == start) return 0;
  if (i < text.size() && text[i] == '.') {
    start = ++i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  }
  if (text.compare(i, 2, "]]") != 0) return 0;
  return i + 2 - pos;
}

// Where the tokens in `text` are: [begin, end) pairs, in order.
std::vector<std::pair<size_t, size_t>> TokenSpans(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t open = text.find("[["); open != std::string_view::npos;
       open = text.find("[[", open + 1)) {
    if (size_t len = TokenLengthAt(text, open); len > 0) {
      spans.emplace_back(open, open + len);
      open += len - 1;
    }
  }
  return spans;
}

const char* GenericKind(IdentifierField field) {
  switch (field) {
    case IdentifierField::kName:
    case IdentifierField::kMaidenName:
    case IdentifierField::kGiven:
    case IdentifierField::kFamily:
      return "NAME";
    case IdentifierField::kSsn:
      return "SSN";
    case IdentifierField::kPhone:
      return "PHONE";
    case IdentifierField::kEmail:
      return "EMAIL";
    case IdentifierField::kUrl:
    case IdentifierField::kTelecom:
      return "CONTACT";
    case IdentifierField::kAddress:
    case IdentifierField::kCity:
    case IdentifierField::kDistrict:
    case IdentifierField::kPostalCode:
    case IdentifierField::kGeo:
      return "ADDRESS";
    case IdentifierField::kBirthDate:
    case IdentifierField::kDeathDate:
      return "DATE";
    case IdentifierField::kPhoto:
    case IdentifierField::kAttachment:
      return "ATTACHMENT";
    default:
      return "ID";
  }
}

const char* PatternKind(PhiPatternKind kind) {
  switch (kind) {
    case PhiPatternKind::kDate:
      return "DATE";
    case PhiPatternKind::kPhone:
      return "PHONE";
    case PhiPatternKind::kSsn:
      return "SSN";
    case PhiPatternKind::kEmail:
      return "EMAIL";
    case PhiPatternKind::kCustom:
      return "ID";
  }
  return "ID";
}

const char* PatternCategory(PhiPatternKind kind) {
  switch (kind) {
    case PhiPatternKind::kDate:
      return "date";
    case PhiPatternKind::kPhone:
    case PhiPatternKind::kEmail:
      return "telecom";
    default:
      return "identifier";
  }
}

}  // namespace

const char* PrivacyModeName(PrivacyMode mode) {
  switch (mode) {
    case PrivacyMode::kOff:
      return "off";
    case PrivacyMode::kPseudonymise:
      return "pseudonymise";
    case PrivacyMode::kStrict:
      return "strict";
  }
  return "off";
}

Result<PrivacyMode> ParsePrivacyMode(std::string_view name) {
  if (name == "off") return PrivacyMode::kOff;
  if (name == "pseudonymise" || name == "pseudonymize") return PrivacyMode::kPseudonymise;
  if (name == "strict") return PrivacyMode::kStrict;
  return InvalidArgument("privacy mode must be \"off\", \"pseudonymise\" or \"strict\", not \"" +
                         std::string(name) + "\"");
}

const std::vector<std::string>& DefaultStrictAllow() {
  static const std::vector<std::string> kAllow = {"*.resourceType",
                                                  "*.id",
                                                  "*.status",
                                                  "*.intent",
                                                  "*.category",
                                                  "*.code",
                                                  "*.class",
                                                  "*.type",
                                                  "*.gender",
                                                  "*.valueQuantity",
                                                  "*.valueCodeableConcept",
                                                  "*.interpretation",
                                                  "*.referenceRange",
                                                  "*.component.code",
                                                  "*.component.valueQuantity",
                                                  "*.effectiveDateTime",
                                                  "*.issued",
                                                  "*.authoredOn",
                                                  "*.onsetDateTime",
                                                  "*.recordedDate",
                                                  "*.clinicalStatus",
                                                  "*.verificationStatus",
                                                  "*.medicationCodeableConcept",
                                                  "*.dosageInstruction.timing",
                                                  "*.dosageInstruction.doseAndRate",
                                                  "*.subject.reference",
                                                  "*.patient.reference",
                                                  "*.encounter.reference",
                                                  "*.period",
                                                  "Bundle.type",
                                                  "Bundle.total",
                                                  "Bundle.link",
                                                  "Bundle.entry.fullUrl",
                                                  "Bundle.entry.search"};
  return kAllow;
}

int64_t SubstitutionCounts::total() const {
  int64_t n = 0;
  for (const auto& [category, count] : by_category) n += count;
  return n;
}

std::string SubstitutionCounts::ToJson() const {
  json out = json::object();
  for (const auto& [category, count] : by_category) out[category] = count;
  out["total"] = total();
  return DumpJson(out);
}

void SubstitutionCounts::Add(const SubstitutionCounts& other) {
  for (const auto& [category, count] : other.by_category) by_category[category] += count;
}

Result<std::unique_ptr<Pseudonymizer>> Pseudonymizer::Create(const PrivacyOptions& options) {
  std::unique_ptr<Pseudonymizer> p(new Pseudonymizer(options));
  if (p->options_.strict_allow.empty()) p->options_.strict_allow = DefaultStrictAllow();
  WARD_ASSIGN_OR_RETURN(p->patterns_, PhiPatterns::Make(options.identifier_patterns));
  return p;
}

void Pseudonymizer::AddVariant(const std::string& variant, const std::string& token) {
  if (Unusable(variant)) return;
  auto [it, added] = folded_token_.emplace(Fold(variant), token);
  if (!added) return;
  variants_.push_back(variant);
  variant_token_.push_back(token);
  matcher_stale_ = true;
}

std::string Pseudonymizer::NewOwnedToken(const std::string& owner, IdentifierField field) {
  auto slash = owner.find('/');
  std::string kind = owner.compare(0, slash, "Patient") == 0 ? "PATIENT" : "PERSON";
  auto [it, added] = owners_.emplace(owner, 0);
  if (added) it->second = ++owner_kind_counts_[kind];
  std::string base = kind + "_" + std::to_string(it->second);
  if (field == IdentifierField::kId) return base;
  base += ".";
  base += IdentifierFieldName(field);
  int n = ++owner_field_counts_[base];
  return n == 1 ? base : base + std::to_string(n);
}

std::string Pseudonymizer::NewGenericToken(const std::string& kind) {
  return kind + "_" + std::to_string(++generic_counts_[kind]);
}

const std::string& Pseudonymizer::Register(const std::string& value, const std::string& token_base,
                                           const std::string& category) {
  std::string token = "[[" + token_base + "]]";
  auto [it, added] = token_value_.emplace(token, TokenInfo{value, category});
  std::vector<std::string> spellings = CaseSpellings(value);
  spellings.insert(spellings.begin(), value);
  for (const std::string& s : spellings) {
    AddVariant(s, token);
    for (const std::string& v : SpellingVariants(s, ValueShape::kText)) AddVariant(v, token);
    for (const std::string& v : EscapedSpellings(s)) AddVariant(v, token);
  }
  // The shape comes from the token: "DATE_3", "PATIENT_1.birthDate", "PATIENT_2.phone2".
  std::string_view kind = token_base;
  if (auto dot = kind.find('.'); dot != std::string_view::npos) kind = kind.substr(dot + 1);
  while (!kind.empty() && std::isdigit(static_cast<unsigned char>(kind.back())))
    kind.remove_suffix(1);
  if (auto under = kind.find('_'); under != std::string_view::npos) kind = kind.substr(0, under);
  ValueShape shape = (kind == "DATE" || kind == "birthDate" || kind == "deathDate")
                         ? ValueShape::kDate
                     : (kind == "PHONE" || kind == "phone") ? ValueShape::kPhone
                     : (kind == "SSN" || kind == "ssn")     ? ValueShape::kSsn
                                                            : ValueShape::kText;
  for (const std::string& v : SpellingVariants(value, shape)) AddVariant(v, token);
  return it->first;
}

void Pseudonymizer::Learn(std::string_view json_text) {
  // "resourceType" bare: also a resource held as JSON text inside a string.
  if (!active() || json_text.find("resourceType") == std::string_view::npos) return;
  json value = ParseJsonOrDiscarded(json_text);
  if (value.is_discarded()) return;
  LearnJson(value);
  LearnEmbedded(value);
}

namespace {
bool LooksLikeEmbeddedResource(const std::string& s) {
  size_t first = s.find_first_not_of(" \t\r\n");
  return first != std::string::npos && (s[first] == '{' || s[first] == '[') &&
         s.find("\"resourceType\"") != std::string::npos;
}
}  // namespace

// A resource returned as JSON text (an SQL json column, a text/plain body): one
// level deep, parsed within the usual limits.
void Pseudonymizer::LearnEmbedded(const json& value) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (!LooksLikeEmbeddedResource(s)) return;
    json inner = ParseJsonOrDiscarded(s);
    if (!inner.is_discarded()) LearnJson(inner);
  } else if (value.is_array() || value.is_object()) {
    for (const json& item : value) LearnEmbedded(item);
  }
}

void Pseudonymizer::LearnJson(const json& value) {
  if (!active()) return;
  std::vector<FoundIdentifier> found;
  CollectIdentifiers(value, &found);
  for (const FoundIdentifier& f : found) {
    if (Unusable(f.value)) continue;
    auto known = folded_token_.find(Fold(f.value));
    const std::string* token = known != folded_token_.end() ? &known->second : nullptr;
    if (!token) {
      std::string base =
          f.owner.empty() ? NewGenericToken(GenericKind(f.field)) : NewOwnedToken(f.owner, f.field);
      token = &Register(f.value, base, IdentifierCategory(f.field));
    }
    std::string t = *token;
    for (const std::string& v : f.variants) AddVariant(v, t);
  }
  if (options_.mode == PrivacyMode::kStrict) LearnStrict(value, "");
}

// Strict: every string of a resource outside the allowed element paths is a
// value the model does not need to read.
void Pseudonymizer::LearnStrict(const json& value, const std::string& path) {
  auto allowed = [&](const std::string& p) {
    for (const std::string& rule : options_.strict_allow) {
      std::string_view r = rule, candidate = p;
      if (r.rfind("*.", 0) == 0) {
        auto dot = candidate.find('.');
        if (dot == std::string_view::npos) continue;
        candidate = candidate.substr(dot + 1);
        r = r.substr(2);
      }
      if (candidate.size() >= r.size() && candidate.compare(0, r.size(), r) == 0 &&
          (candidate.size() == r.size() || candidate[r.size()] == '.'))
        return true;
    }
    return false;
  };
  if (value.is_array()) {
    for (const json& item : value) LearnStrict(item, path);
  } else if (value.is_object()) {
    std::string base = path;
    if (auto type = value.find("resourceType"); type != value.end() && type->is_string())
      base = type->get<std::string>();
    for (const auto& [key, item] : value.items())
      LearnStrict(item, base.empty() ? key : base + "." + key);
  } else if (value.is_string() && !path.empty() && path.find('.') != std::string::npos &&
             !allowed(path)) {
    const std::string& s = value.get_ref<const std::string&>();
    if (!Unusable(s) && folded_token_.count(Fold(s)) == 0)
      Register(s, NewGenericToken("VALUE"), "other");
  }
}

std::string Pseudonymizer::ReplaceKnown(std::string_view text, SubstitutionCounts* counts) {
  if (matcher_stale_) {
    matcher_ = LiteralMatcher::Build(variants_);
    matcher_stale_ = false;
  }
  auto matches = matcher_.FindAll(text);
  if (matches.empty()) return std::string(text);
  std::vector<std::pair<size_t, size_t>> tokens = TokenSpans(text);
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  size_t next_token = 0;
  for (const auto& m : matches) {
    // Never inside a token already in the text (a value "Date" must not break
    // [[DATE_1]]).
    while (next_token < tokens.size() && tokens[next_token].second <= m.begin) ++next_token;
    if (next_token < tokens.size() && tokens[next_token].first < m.begin + m.length) continue;
    out.append(text, at, m.begin - at);
    const std::string& token = variant_token_[m.pattern];
    out += token;
    if (counts) ++counts->by_category[token_value_[token].category];
    at = m.begin + m.length;
  }
  out.append(text, at);
  return out;
}

std::string Pseudonymizer::ReplacePatterns(std::string_view text, SubstitutionCounts* counts) {
  auto hits = patterns_->FindAll(text);
  if (hits.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (const auto& h : hits) {
    if (h.begin < at) continue;
    // Never inside a token already written.
    size_t open = text.rfind("[[", h.begin);
    if (open != std::string_view::npos) {
      size_t len = TokenLengthAt(text, open);
      if (len > 0 && open + len > h.begin) continue;
    }
    std::string value(text.substr(h.begin, h.length));
    auto known = folded_token_.find(Fold(value));
    std::string token =
        known != folded_token_.end()
            ? known->second
            : Register(value, NewGenericToken(PatternKind(h.kind)), PatternCategory(h.kind));
    out.append(text, at, h.begin - at);
    out += token;
    if (counts) ++counts->by_category[token_value_[token].category];
    at = h.begin + h.length;
  }
  out.append(text, at);
  return out;
}

std::string Pseudonymizer::Pseudonymise(std::string_view text, SubstitutionCounts* counts) {
  if (!active()) return std::string(text);
  return ReplacePatterns(ReplaceKnown(text, counts), counts);
}

std::string Pseudonymizer::PseudonymiseTask(std::string_view task, SubstitutionCounts* counts) {
  if (!active()) return std::string(task);
  std::string out;
  size_t at = 0;
  for (size_t open = task.find("[["); open != std::string_view::npos;
       open = task.find("[[", open + 2)) {
    if (open < at || TokenLengthAt(task, open) > 0) continue;
    size_t close = task.find("]]", open + 2);
    if (close == std::string_view::npos) break;
    std::string marked(task.substr(open + 2, close - open - 2));
    if (marked.empty() || marked.size() > 200 || marked.find('\n') != std::string::npos ||
        marked.find("[[") != std::string::npos)
      continue;
    auto known = folded_token_.find(Fold(marked));
    std::string token;
    if (known != folded_token_.end()) {
      token = known->second;
    } else {
      auto hits = patterns_->FindAll(marked);
      bool date = hits.size() == 1 && hits[0].length == marked.size() &&
                  hits[0].kind == PhiPatternKind::kDate;
      bool id = marked.find(' ') == std::string::npos &&
                std::any_of(marked.begin(), marked.end(),
                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      const char* kind = date ? "DATE" : id ? "ID" : "NAME";
      token = Register(marked, NewGenericToken(kind), date ? "date" : id ? "identifier" : "name");
      // A full name marked whole: code splits it for a search ("given", "family"),
      // and an error or a link may echo one part.
      if (!date && !id) RegisterNameParts(marked);
    }
    out.append(task, at, open - at);
    out += token;
    if (counts) ++counts->by_category[token_value_[token].category];
    at = close + 2;
  }
  out.append(task, at);
  return Pseudonymise(out, counts);
}

void Pseudonymizer::RegisterNameParts(const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t end = name.find(' ', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    if (end - start < name.size() && !Unusable(part) && folded_token_.count(Fold(part)) == 0)
      Register(part, NewGenericToken("NAME"), "name");
    start = end + 1;
  }
}

std::string Pseudonymizer::ReIdentifyWith(std::string_view text, bool escape_for_code) const {
  if (!active() || text.find("[[") == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (size_t open = text.find("[["); open != std::string_view::npos;
       open = text.find("[[", open + 1)) {
    if (open < at) continue;
    size_t len = TokenLengthAt(text, open);
    if (len == 0) continue;
    auto it = token_value_.find(std::string(text.substr(open, len)));
    if (it == token_value_.end()) continue;
    out.append(text, at, open - at);
    out += escape_for_code ? PythonLiteralEscaped(it->second.value) : it->second.value;
    at = open + len;
  }
  out.append(text, at);
  return out;
}

std::string Pseudonymizer::ReIdentify(std::string_view text) const {
  return ReIdentifyWith(text, false);
}

std::string Pseudonymizer::ReIdentifyCode(std::string_view code) const {
  return ReIdentifyWith(code, true);
}

namespace {
void ReIdentifyStrings(json& value, const Pseudonymizer& p) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.find("[[") != std::string::npos) value = p.ReIdentify(s);
  } else if (value.is_array() || value.is_object()) {
    for (auto& item : value) ReIdentifyStrings(item, p);
  }
}
}  // namespace

Result<std::string> Pseudonymizer::ReIdentifyJson(std::string_view json_text) const {
  if (!active() || json_text.find("[[") == std::string_view::npos) return std::string(json_text);
  WARD_ASSIGN_OR_RETURN(json value, ParseJson(json_text));
  ReIdentifyStrings(value, *this);
  return DumpJson(value);
}

}  // namespace ward
