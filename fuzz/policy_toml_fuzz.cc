// Fuzzes the policy file parser (TOML through toml++, then ward's rule reader).
#include <cstddef>
#include <cstdint>
#include <string>

#include "gate/policy/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto policy = ward::Policy::FromToml(text, "fuzz.toml");
  return 0;
}
