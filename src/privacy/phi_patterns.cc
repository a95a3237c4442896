#include "privacy/phi_patterns.h"

#include <re2/re2.h>

namespace ward {
namespace {

constexpr const char* kYear = "(?:1[89]|20)\\d{2}";
constexpr const char* kMonth = "(?:0?[1-9]|1[0-2])";
constexpr const char* kDay = "(?:0?[1-9]|[12]\\d|3[01])";
constexpr const char* kMonthName =
    "(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

std::string DatePattern() {
  std::string y = kYear, m = kMonth, d = kDay, name = kMonthName;
  std::string iso = "\\b" + y + "-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])" +
                    "(?:[T ](?:[01]\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d(?:\\.\\d+)?)?" +
                    "(?:Z|[+-](?:[01]\\d|2[0-3]):?[0-5]\\d)?)?";
  // Month or day first (12/31/2019, 31/12/2019), and day-first with dashes.
  std::string us = "\\b" + d + "/" + d + "/(?:" + y + "|\\d{2})\\b";
  std::string dashed = "\\b" + d + "-" + m + "-" + y + "\\b";
  std::string dotted = "\\b" + d + "\\." + m + "\\." + y + "\\b";
  std::string year_dotted = "\\b" + y + "\\.(?:0[1-9]|1[0-2])\\.(?:0[1-9]|[12]\\d|3[01])\\b";
  std::string written = "\\b" + name + "\\.? " + d + "(?:st|nd|rd|th)?,? " + y + "\\b";
  std::string written_eu = "\\b" + d + "[ -]" + name + "\\.?,?[ -]" + y + "\\b";
  std::string python =
      "datetime\\.(?:date|datetime)\\(" + y + ", ?\\d{1,2}, ?\\d{1,2}[^)]{0,60}\\)";
  return iso + "|" + us + "|" + dashed + "|" + dotted + "|" + year_dotted + "|" + written + "|" +
         written_eu + "|" + python;
}

constexpr const char* kPhone =
    "(?:\\+?1[ .-]?)?(?:\\(\\d{3}\\) ?|\\b\\d{3}[ .-])\\d{3}[ .-]\\d{4}\\b|\\+1\\d{10}\\b";
constexpr const char* kSsn = "\\b\\d{3}-\\d{2}-\\d{4}\\b";
constexpr const char* kEmail =
    "\\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}\\b";

RE2::Options Quiet() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(64 << 20);
  return options;
}

}  // namespace

Status CheckIdentifierPattern(const std::string& pattern) {
  if (pattern.empty()) return InvalidArgument("an identifier pattern is empty");
  if (pattern.size() > 1000) return InvalidArgument("an identifier pattern is over 1000 bytes");
  RE2 re(pattern, Quiet());
  if (!re.ok()) return InvalidArgument("identifier pattern '" + pattern + "': " + re.error());
  if (RE2::FullMatch("", re))
    return InvalidArgument("identifier pattern '" + pattern + "' matches the empty text");
  return Status::Ok();
}

PhiPatterns::~PhiPatterns() = default;

Result<std::shared_ptr<const PhiPatterns>> PhiPatterns::Make(
    const std::vector<std::string>& custom) {
  if (custom.empty()) {  // the built-in set, compiled once per process
    static const Result<std::shared_ptr<const PhiPatterns>> kBuiltIn = Compile({});
    return kBuiltIn;
  }
  return Compile(custom);
}

Result<std::shared_ptr<const PhiPatterns>> PhiPatterns::Compile(
    const std::vector<std::string>& custom) {
  std::shared_ptr<PhiPatterns> p(new PhiPatterns());
  std::string all;
  auto add = [&](const std::string& pattern, PhiPatternKind kind) {
    if (!all.empty()) all += "|";
    all += "(" + pattern + ")";
    p->kinds_.push_back(kind);
  };
  // Inner groups must not capture: each alternative is exactly one group.
  add(DatePattern(), PhiPatternKind::kDate);
  add(kSsn, PhiPatternKind::kSsn);
  add(kPhone, PhiPatternKind::kPhone);
  add(kEmail, PhiPatternKind::kEmail);
  for (const std::string& c : custom) {
    WARD_RETURN_IF_ERROR(CheckIdentifierPattern(c));
    add("(?:" + c + ")", PhiPatternKind::kCustom);
  }
  p->all_ = std::make_unique<RE2>(all, Quiet());
  if (!p->all_->ok()) return InvalidArgument("identifier patterns: " + p->all_->error());
  if (p->all_->NumberOfCapturingGroups() != static_cast<int>(p->kinds_.size()))
    return InvalidArgument("identifier patterns must not use capturing groups: write (?:...)");
  return std::shared_ptr<const PhiPatterns>(std::move(p));
}

std::vector<PhiPatterns::Hit> PhiPatterns::FindAll(std::string_view text) const {
  std::vector<Hit> hits;
  int groups = static_cast<int>(kinds_.size()) + 1;
  std::vector<re2::StringPiece> match(groups);
  size_t pos = 0;
  while (pos <= text.size() && all_->Match(re2::StringPiece(text.data(), text.size()), pos,
                                           text.size(), RE2::UNANCHORED, match.data(), groups)) {
    size_t begin = static_cast<size_t>(match[0].data() - text.data());
    size_t length = match[0].size();
    if (length == 0) {  // cannot happen with the checked patterns; never loop
      pos = begin + 1;
      continue;
    }
    PhiPatternKind kind = PhiPatternKind::kCustom;
    for (int g = 1; g < groups; ++g) {
      if (match[g].data() != nullptr) {
        kind = kinds_[g - 1];
        break;
      }
    }
    hits.push_back({begin, length, kind});
    pos = begin + length;
  }
  return hits;
}

}  // namespace ward
