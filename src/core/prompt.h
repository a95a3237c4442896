// Prompt building: the system prompt (how to act, the bindings with their
// signatures and docstrings) and the task message. Pure functions.
#pragma once

#include <string>
#include <vector>

#include "protocol/op.h"
#include "sandbox/guest.h"

namespace ward {

std::string BuildSystemPrompt(AgentMode mode, const std::vector<BindingInfo>& bindings,
                              const std::string& now_iso8601);

std::string BuildTaskMessage(const std::string& task);

// Appended to the system prompt when identifiers reach the model as tokens
// (privacy/pseudonymizer.h): what tokens are and how to use them.
std::string PseudonymTokensNote();

// The correction sent when a reply holds no action.
std::string NoActionCorrection(AgentMode mode);

}  // namespace ward
