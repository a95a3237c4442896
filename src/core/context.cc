#include "core/context.h"

namespace ward {

namespace {
constexpr const char* kElided = "[observation elided to fit the context budget]";
}

int64_t EstimateTokens(const std::vector<ChatMessage>& messages) {
  int64_t bytes = 0;
  for (const auto& m : messages) {
    bytes += static_cast<int64_t>(m.content.size()) + 16;
    for (const auto& c : m.tool_calls) bytes += static_cast<int64_t>(c.arguments_json.size()) + 16;
  }
  return bytes / 4;
}

ElisionResult FitContext(std::vector<ChatMessage>& messages, int64_t budget, size_t keep_recent) {
  ElisionResult r;
  r.tokens_before = EstimateTokens(messages);
  r.tokens_after = r.tokens_before;
  if (budget <= 0 || r.tokens_before <= budget) return r;
  // Index 0 is the system prompt and 1 the task; everything after is the dialogue.
  size_t first = 2;
  size_t stop = messages.size() > keep_recent ? messages.size() - keep_recent : 0;
  for (size_t i = first; i < stop && r.tokens_after > budget; ++i) {
    ChatMessage& m = messages[i];
    bool observation = m.role == ChatRole::kTool || m.role == ChatRole::kUser;
    if (!observation || m.content == kElided) continue;
    m.content = kElided;
    ++r.elided;
    r.tokens_after = EstimateTokens(messages);
  }
  return r;
}

}  // namespace ward
