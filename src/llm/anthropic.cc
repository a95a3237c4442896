// The "anthropic" provider: the Messages API with streaming.
#include <map>
#include <nlohmann/json.hpp>

#include "llm/providers.h"
#include "llm/stream_call.h"
#include "util/json_limits.h"

namespace ward::llm_internal {
namespace {

using nlohmann::json;

json ToolUseInput(const ToolCall& call) {
  json input = ParseJsonOrDiscarded(call.arguments_json.empty() ? "{}" : call.arguments_json);
  if (input.is_discarded() || !input.is_object()) return json::object();
  return input;
}

// The content blocks one ward message becomes, and the role they are sent under.
std::pair<std::string, json> Blocks(const ChatMessage& message) {
  json blocks = json::array();
  if (message.role == ChatRole::kTool) {
    blocks.push_back({{"type", "tool_result"},
                      {"tool_use_id", message.tool_call_id},
                      {"content", message.content}});
    return {"user", std::move(blocks)};
  }
  if (!message.content.empty()) blocks.push_back({{"type", "text"}, {"text", message.content}});
  if (message.role == ChatRole::kAssistant) {
    for (const ToolCall& call : message.tool_calls) {
      blocks.push_back({{"type", "tool_use"},
                        {"id", call.id},
                        {"name", call.name},
                        {"input", ToolUseInput(call)}});
    }
    return {"assistant", std::move(blocks)};
  }
  return {"user", std::move(blocks)};
}

// System messages go to the top-level `system`; consecutive same-role turns merge.
void AddMessages(const ChatRequest& request, json* body) {
  std::string system;
  json messages = json::array();
  for (const ChatMessage& message : request.messages) {
    if (message.role == ChatRole::kSystem) {
      system += (system.empty() ? "" : "\n\n") + message.content;
      continue;
    }
    auto [role, blocks] = Blocks(message);
    if (blocks.empty()) continue;
    if (!messages.empty() && messages.back()["role"] == role) {
      for (json& block : blocks) messages.back()["content"].push_back(std::move(block));
    } else {
      messages.push_back({{"role", role}, {"content", std::move(blocks)}});
    }
  }
  if (!system.empty()) (*body)["system"] = system;
  (*body)["messages"] = std::move(messages);
}

Result<std::string> BuildBody(const std::string& model, const ChatRequest& request) {
  json body = {{"model", model}, {"max_tokens", request.max_output_tokens}, {"stream", true}};
  AddMessages(request, &body);
  if (!request.tools.empty()) {
    json tools = json::array();
    for (const ToolSpec& tool : request.tools) {
      json schema = tool.parameters_schema_json.empty()
                        ? json{{"type", "object"}, {"properties", json::object()}}
                        : ParseJsonOrDiscarded(tool.parameters_schema_json);
      if (schema.is_discarded() || !schema.is_object()) {
        return InvalidArgument("tool '" + tool.name +
                               "' has a parameters schema that is not a JSON object");
      }
      tools.push_back(
          {{"name", tool.name}, {"description", tool.description}, {"input_schema", schema}});
    }
    body["tools"] = std::move(tools);
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

// One content block being streamed.
struct Block {
  std::string type;  // "text", "tool_use", or another kind that is ignored
  std::string text;
  ToolCall call;
  std::string start_input;  // the input object given in content_block_start
};

class AnthropicDecoder : public StreamDecoder {
 public:
  Status OnEvent(const SseEvent& event) override {
    if (!IsValidUtf8(event.data)) return InvalidArgument("model reply is not valid UTF-8");
    json data = ParseJsonOrDiscarded(event.data);
    if (data.is_discarded() || !data.is_object()) {
      return InvalidArgument("stream event is not a JSON object: " + Excerpt(event.data));
    }
    std::string type = event.event;
    try {
      type = data.value("type", event.event);  // throws when "type" is not a string
      return Apply(type, data);
    } catch (const json::exception& e) {
      return InvalidArgument("unexpected '" + type + "' event shape: " + e.what());
    }
  }

  Result<ChatResponse> Finish() override {
    if (!stopped_) return Unavailable("stream ended before message_stop (truncated)");
    for (auto& [index, block] : blocks_) {
      if (block.type == "text") response_.content += block.text;
      if (block.type != "tool_use") continue;
      if (block.call.arguments_json.empty()) block.call.arguments_json = block.start_input;
      response_.tool_calls.push_back(std::move(block.call));
    }
    return response_;
  }

 private:
  // Reads members with at(): a missing one throws (caught by OnEvent), where a
  // const operator[] would read out of bounds.
  Status Apply(const std::string& type, const json& data) {
    if (type == "message_start") {
      ReadUsage(data.at("message").value("usage", json::object()));
    } else if (type == "content_block_start") {
      Block& block = blocks_[data.at("index").get<int>()];
      const json& start = data.at("content_block");
      block.type = start.value("type", "");
      block.text = start.value("text", "");
      block.call.id = start.value("id", "");
      block.call.name = start.value("name", "");
      json input = start.value("input", json::object());
      if (input.is_object() && !input.empty()) block.start_input = input.dump();
    } else if (type == "content_block_delta") {
      Block& block = blocks_[data.at("index").get<int>()];
      const json& delta = data.at("delta");
      std::string kind = delta.value("type", "");
      if (kind == "text_delta") block.text += delta.value("text", "");
      if (kind == "input_json_delta") block.call.arguments_json += delta.value("partial_json", "");
    } else if (type == "message_delta") {
      if (data.contains("delta") && data["delta"].contains("stop_reason") &&
          data["delta"]["stop_reason"].is_string()) {
        response_.stop_reason = data["delta"]["stop_reason"].get<std::string>();
      }
      ReadUsage(data.value("usage", json::object()));
    } else if (type == "message_stop") {
      stopped_ = true;
    } else if (type == "error") {
      return StreamError(data.value("error", json::object()));
    }
    return Status::Ok();  // ping, content_block_stop and unknown events carry nothing we need
  }

  void ReadUsage(const json& usage) {
    if (!usage.is_object()) return;
    if (usage.contains("input_tokens") && usage["input_tokens"].is_number_integer()) {
      response_.usage.input_tokens = usage["input_tokens"].get<int64_t>();
    }
    if (usage.contains("output_tokens") && usage["output_tokens"].is_number_integer()) {
      response_.usage.output_tokens = usage["output_tokens"].get<int64_t>();
    }
  }

  static Status StreamError(const json& error) {
    std::string kind = error.is_object() ? error.value("type", "error") : "error";
    std::string message = error.is_object() ? error.value("message", "") : error.dump();
    std::string text = "stream error " + kind + (message.empty() ? "" : ": " + Excerpt(message));
    if (kind == "overloaded_error" || kind == "api_error") return Unavailable(text);
    return FailedPrecondition(text);
  }

  ChatResponse response_;
  std::map<int, Block> blocks_;
  bool stopped_ = false;
};

class AnthropicProvider : public LlmProvider {
 public:
  AnthropicProvider(std::string model, std::string base_url, std::string api_key,
                    const ProviderOptions& options)
      : model_(std::move(model)),
        url_(TrimTrailingSlashes(std::move(base_url)) + "/v1/messages"),
        ctx_(MakeCallContext("anthropic", options, api_key)) {}

  std::string provider() const override { return "anthropic"; }
  std::string model() const override { return model_; }

  Result<ChatResponse> Complete(const ChatRequest& request, const CancelToken* cancel) override {
    WireRequest wire;
    wire.url = url_;
    wire.headers = {{"x-api-key", ctx_.secret}, {"anthropic-version", "2023-06-01"}};
    WARD_ASSIGN_OR_RETURN(wire.body, BuildBody(model_, request));
    return StreamingCall(
        ctx_, wire, [] { return std::make_unique<AnthropicDecoder>(); }, cancel);
  }

 private:
  std::string model_;
  std::string url_;
  CallContext ctx_;
};

}  // namespace

std::unique_ptr<LlmProvider> NewAnthropicProvider(const std::string& model,
                                                  const std::string& base_url,
                                                  const std::string& api_key,
                                                  const ProviderOptions& options) {
  return std::make_unique<AnthropicProvider>(model, base_url, api_key, options);
}

}  // namespace ward::llm_internal
