// Keeps the conversation within the context budget: when the estimated size is
// over budget, the oldest observations are replaced by a short marker. The system
// prompt, the task and the most recent turns are always kept. Pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "llm/provider.h"

namespace ward {

// Rough token estimate: 1 token per 4 bytes plus a small per-message overhead.
int64_t EstimateTokens(const std::vector<ChatMessage>& messages);

struct ElisionResult {
  int elided = 0;
  int64_t tokens_before = 0;
  int64_t tokens_after = 0;
};

// Elides observations (user messages after the task, and tool results) from the
// oldest, keeping the last `keep_recent` messages intact, until the estimate fits.
ElisionResult FitContext(std::vector<ChatMessage>& messages, int64_t budget_tokens,
                         size_t keep_recent = 4);

}  // namespace ward
