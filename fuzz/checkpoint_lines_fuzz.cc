// Fuzzes the published-checkpoint reader (`ward audit verify --checkpoints`): the
// input as a checkpoint file's text, line by line, then each parsed checkpoint's
// wire form parsed again (it must round-trip).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "audit/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ward::ParseCheckpointLines(text, "fuzz");
  if (!parsed.ok()) return 0;
  for (const auto& p : *parsed) {
    auto again = ward::ParseCheckpointLine(ward::CheckpointLine(p.checkpoint));
    if (!again.ok() || ward::CheckpointMessage(*again) != ward::CheckpointMessage(p.checkpoint))
      abort();
  }
  return 0;
}
