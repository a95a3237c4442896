// Constructors of the concrete providers, used by MakeProvider (internal to src/llm).
#pragma once

#include <memory>
#include <string>

#include "llm/provider.h"

namespace ward::llm_internal {

// `base_url` is the API root including the version path, e.g. https://api.openai.com/v1.
std::unique_ptr<LlmProvider> NewOpenAiProvider(const std::string& model,
                                               const std::string& base_url,
                                               const std::string& api_key,
                                               const ProviderOptions& options);

// `base_url` is the API root without the version path, e.g. https://api.anthropic.com.
std::unique_ptr<LlmProvider> NewAnthropicProvider(const std::string& model,
                                                  const std::string& base_url,
                                                  const std::string& api_key,
                                                  const ProviderOptions& options);

// Parses the whole transcript at `path`; InvalidArgument naming file and line.
Result<std::unique_ptr<LlmProvider>> NewScriptedProvider(const std::string& path);

}  // namespace ward::llm_internal
