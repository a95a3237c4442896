#include "llm/provider.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "llm/providers.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using nlohmann::json;

std::optional<std::string> Lookup(const ProviderOptions& options, const std::string& name) {
  if (options.getenv) return options.getenv(name);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string JoinKnown() {
  std::string out;
  for (const std::string& name : KnownProviders()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// The API key and base URL of a network provider, read from the environment.
struct Endpoint {
  std::string key;
  std::string base_url;
};

Result<Endpoint> ReadEndpoint(const ProviderOptions& options, const std::string& key_var,
                              const std::string& url_var, const std::string& default_url) {
  std::optional<std::string> key = Lookup(options, key_var);
  if (!key || key->empty()) {
    return InvalidArgument("missing API key: set the environment variable " + key_var);
  }
  std::optional<std::string> url = Lookup(options, url_var);
  return Endpoint{*key, url && !url->empty() ? *url : default_url};
}

Result<json> ParseArguments(const ToolCall& call, const std::string& key) {
  json args = ParseJsonOrDiscarded(call.arguments_json.empty() ? "{}" : call.arguments_json);
  if (args.is_discarded() || !args.is_object()) {
    return InvalidArgument("arguments of tool call '" + call.name + "' are not a JSON object");
  }
  if (!args.contains(key)) {
    return InvalidArgument("tool call '" + call.name + "' is missing the argument '" + key + "'");
  }
  return args[key];
}

}  // namespace

std::vector<std::string> KnownProviders() { return {"openai", "anthropic", "scripted"}; }

Result<std::unique_ptr<LlmProvider>> MakeProvider(const std::string& spec,
                                                  const ProviderOptions& options) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    return InvalidArgument("model '" + spec +
                           "' must be given as provider:model (providers: " + JoinKnown() + ")");
  }
  std::string provider = spec.substr(0, colon);
  std::string model = spec.substr(colon + 1);
  if (provider != "openai" && provider != "anthropic" && provider != "scripted") {
    return InvalidArgument("unknown model provider '" + provider +
                           "' (known providers: " + JoinKnown() + ")");
  }
  if (model.empty()) return InvalidArgument("model name is empty in '" + spec + "'");
  if (provider == "scripted") return llm_internal::NewScriptedProvider(model);
  if (provider == "openai") {
    WARD_ASSIGN_OR_RETURN(Endpoint ep, ReadEndpoint(options, "OPENAI_API_KEY", "OPENAI_BASE_URL",
                                                    "https://api.openai.com/v1"));
    return llm_internal::NewOpenAiProvider(model, ep.base_url, ep.key, options);
  }
  WARD_ASSIGN_OR_RETURN(Endpoint ep,
                        ReadEndpoint(options, "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                                     "https://api.anthropic.com"));
  return llm_internal::NewAnthropicProvider(model, ep.base_url, ep.key, options);
}

Result<std::string> ToolCallStringArgument(const ToolCall& call, const std::string& key) {
  WARD_ASSIGN_OR_RETURN(json value, ParseArguments(call, key));
  if (!value.is_string()) {
    return InvalidArgument("argument '" + key + "' of tool call '" + call.name +
                           "' is not a string");
  }
  return value.get<std::string>();
}

Result<std::string> ToolCallArgumentText(const ToolCall& call, const std::string& key) {
  WARD_ASSIGN_OR_RETURN(json value, ParseArguments(call, key));
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ward
