// Fuzzes a model provider's streaming reply: the input (after a selector byte) is
// the SSE body an OpenAI- or Anthropic-compatible server sends, delivered in chunks
// of a size the selector also picks. Exercises the SSE parser, the providers' event
// decoders (JSON per event) and the tool-call argument readers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "llm/provider.h"
#include "llm/providers.h"
#include "net/http_client.h"
#include "util/clock.h"

namespace {

class CannedStream : public ward::HttpClient {
 public:
  CannedStream(std::string_view body, size_t chunk) : body_(body), chunk_(chunk) {}
  ward::Result<ward::HttpResponse> Send(const ward::HttpRequest& request) override {
    for (size_t off = 0; off < body_.size(); off += chunk_) {
      if (request.on_body_chunk && !request.on_body_chunk(body_.substr(off, chunk_))) break;
    }
    ward::HttpResponse response;
    response.status = 200;
    response.headers = {{"content-type", "text/event-stream"}};
    return response;
  }

 private:
  std::string_view body_;
  size_t chunk_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t selector = data[0];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  CannedStream http(body, 1 + (selector & 0x7f));
  ward::ManualClock clock;
  ward::ProviderOptions options;
  options.http = &http;
  options.clock = &clock;
  options.retry.max_attempts = 1;
  options.jitter_seed = 1;
  auto provider =
      (selector & 0x80)
          ? ward::llm_internal::NewAnthropicProvider("m", "http://model.fuzz", "k", options)
          : ward::llm_internal::NewOpenAiProvider("m", "http://model.fuzz/v1", "k", options);
  ward::ChatRequest request;
  request.messages.push_back({ward::ChatRole::kUser, "hi"});
  request.tools.push_back(
      {"run_python", "Run code", R"({"type":"object","properties":{"code":{"type":"string"}}})"});
  auto reply = provider->Complete(request, nullptr);
  if (!reply.ok()) return 0;
  for (const auto& call : reply->tool_calls) {
    auto code = ward::ToolCallStringArgument(call, "code");
    auto text = ward::ToolCallArgumentText(call, "answer");
    if (code.ok() && text.ok()) code->size();
  }
  return 0;
}
