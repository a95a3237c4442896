// Fuzzes the pseudonymizer (privacy/pseudonymizer.h) with hostile data: the input
// up to the first NUL byte is learned as a binding's result (JSON from an EHR),
// the rest is text bound for the model and then the model's code. Every step must
// end and never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "privacy/pseudonymizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\0');
  std::string_view learned = input.substr(0, split);
  std::string_view text = split == std::string_view::npos ? "" : input.substr(split + 1);
  ward::PrivacyOptions options;
  options.mode = (size & 1) ? ward::PrivacyMode::kStrict : ward::PrivacyMode::kPseudonymise;
  auto p = ward::Pseudonymizer::Create(options);
  if (!p.ok()) abort();
  (*p)->Learn(learned);
  ward::SubstitutionCounts counts;
  std::string sent = (*p)->Pseudonymise(text, &counts);
  std::string task = (*p)->PseudonymiseTask(text, &counts);
  std::string again = (*p)->Pseudonymise(sent);
  std::string back = (*p)->ReIdentify(sent);
  std::string code = (*p)->ReIdentifyCode(sent);
  auto json = (*p)->ReIdentifyJson(text);
  if (back.size() + code.size() + again.size() + (json.ok() ? json->size() : 0) == SIZE_MAX)
    abort();
  return 0;
}
