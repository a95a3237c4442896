// LlmProvider: one chat-completion call to a language model, in ward's own types.
//
// Implementations: "openai" (Chat Completions, streaming), "anthropic" (Messages,
// streaming) and "scripted" (replays a JSON Lines transcript; for tests and demos,
// always reported as scripted). MakeProvider() builds one from a "provider:model"
// spec. Providers retry transient failures themselves (see RetryPolicy) and return
// a Status naming the provider, HTTP status and a body excerpt when they give up.
// A provider object is used by one session at a time (not thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/cancel.h"
#include "util/clock.h"
#include "util/status.h"

namespace ward {

class HttpClient;

struct ToolCall {
  std::string id;  // provider's id, echoed back with the tool result
  std::string name;
  std::string arguments_json;  // a JSON object as text, exactly as the model produced it
};

enum class ChatRole { kSystem, kUser, kAssistant, kTool };

struct ChatMessage {
  ChatRole role = ChatRole::kUser;
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant messages only
  std::string tool_call_id;          // tool messages only: which call this answers
  std::string tool_name;             // tool messages only
};

struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters_schema_json;  // JSON Schema of the arguments object
};

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total() const { return input_tokens + output_tokens; }
};

struct ChatRequest {
  std::vector<ChatMessage> messages;  // first may be kSystem
  std::vector<ToolSpec> tools;        // empty: no tools offered
  int max_output_tokens = 4096;
};

struct ChatResponse {
  std::string content;  // assistant text (may be empty with tool calls)
  std::vector<ToolCall> tool_calls;
  Usage usage;
  std::string stop_reason;      // provider's own word: "stop", "tool_calls", "end_turn", ...
  std::string request_sha256;   // of the exact request body sent (last attempt)
  std::string response_sha256;  // of the exact response body received
  int attempts = 1;
};

struct RetryPolicy {
  int max_attempts = 4;                  // total tries, first included
  int64_t initial_backoff_ms = 500;      // doubled each retry, with full jitter
  int64_t max_backoff_ms = 20'000;       // cap on one wait (also on Retry-After)
  int64_t request_timeout_ms = 120'000;  // read timeout of one attempt
  int64_t connect_timeout_ms = 10'000;
};

class LlmProvider {
 public:
  virtual ~LlmProvider() = default;
  virtual std::string provider() const = 0;  // "openai", "anthropic", "scripted"
  virtual std::string model() const = 0;
  virtual bool scripted() const { return false; }
  // One model turn. Cancelled when `cancel` fires; other failures after retries.
  virtual Result<ChatResponse> Complete(const ChatRequest& request, const CancelToken* cancel) = 0;
};

struct ProviderOptions {
  HttpClient* http = nullptr;  // not owned; null = the provider makes its own NewHttpClient()
  Clock* clock = nullptr;      // for backoff sleeps; not owned; null = system clock
  RetryPolicy retry;
  // Environment lookup (OPENAI_API_KEY, ...); injected so tests control it.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  uint64_t jitter_seed = 0;  // 0 = random
};

// The providers MakeProvider knows, for error messages: {"openai", "anthropic", "scripted"}.
std::vector<std::string> KnownProviders();

// Builds a provider from "provider:model" (for scripted, "scripted:PATH").
// InvalidArgument for an unknown provider (listing the known ones), a missing API key
// (naming the variable), or a malformed transcript (naming file and line).
Result<std::unique_ptr<LlmProvider>> MakeProvider(const std::string& spec,
                                                  const ProviderOptions& options);

// Reads one string-valued argument of a tool call (e.g. "code" of run_python).
// InvalidArgument when the arguments are not a JSON object or the key is missing
// or not a string.
Result<std::string> ToolCallStringArgument(const ToolCall& call, const std::string& key);

// Reads one argument of any JSON type and returns it as display text: a string
// argument as-is, anything else as compact JSON. Same errors as above.
Result<std::string> ToolCallArgumentText(const ToolCall& call, const std::string& key);

}  // namespace ward
