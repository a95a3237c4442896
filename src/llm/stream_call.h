// The shared path of a streaming provider call (internal to src/llm): POST a JSON
// body, feed the SSE reply to a dialect-specific StreamDecoder, classify failures
// for RunWithRetries, hash request and response, and validate the final reply.
// Thread-compatible.
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "llm/provider.h"
#include "net/http_client.h"
#include "net/sse_parser.h"
#include "util/encoding.h"  // IsValidUtf8

namespace ward::llm_internal {

// Turns the events of one streamed reply into a ChatResponse.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // One event. A non-OK status ends the attempt; Unavailable means retryable.
  virtual Status OnEvent(const SseEvent& event) = 0;
  // Called when the body has ended: the reply, or Unavailable if it was truncated.
  virtual Result<ChatResponse> Finish() = 0;
};

// What a provider needs to make calls: injected dependencies and retry state.
struct CallContext {
  std::string provider;               // "openai", "anthropic"
  HttpClient* http = nullptr;         // not owned
  std::unique_ptr<HttpClient> owned;  // set when the provider made its own client
  Clock* clock = nullptr;
  RetryPolicy retry;
  std::mt19937_64 rng;
  std::string secret;  // the API key: scrubbed from every error message
};

// Builds a CallContext from ProviderOptions (default HTTP client and clock when null).
CallContext MakeCallContext(const std::string& provider, const ProviderOptions& options,
                            std::string secret);

struct WireRequest {
  std::string url;
  HttpHeaders headers;
  std::string body;
};

// Sends `wire` with retries; a new decoder from `make_decoder` per attempt.
Result<ChatResponse> StreamingCall(
    CallContext& ctx, const WireRequest& wire,
    const std::function<std::unique_ptr<StreamDecoder>()>& make_decoder, const CancelToken* cancel);

// InvalidArgument "model reply is not valid UTF-8" unless content and tool-call
// arguments are valid UTF-8; also turns empty arguments into "{}".
Status ValidateReply(ChatResponse* response);

// At most `max_bytes` of `body` on one line (cut at a UTF-8 boundary, "..." appended).
std::string Excerpt(std::string_view body, size_t max_bytes = 300);

// `base` without trailing slashes.
std::string TrimTrailingSlashes(std::string base);

}  // namespace ward::llm_internal
