// The "openai" provider: Chat Completions with streaming (any OpenAI-compatible
// server: OpenAI, vLLM, llama.cpp server, Ollama).
#include <map>
#include <nlohmann/json.hpp>

#include "llm/providers.h"
#include "llm/stream_call.h"
#include "util/json_limits.h"

namespace ward::llm_internal {
namespace {

using nlohmann::json;

const char* RoleName(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem:
      return "system";
    case ChatRole::kUser:
      return "user";
    case ChatRole::kAssistant:
      return "assistant";
    case ChatRole::kTool:
      return "tool";
  }
  return "user";
}

json MessageJson(const ChatMessage& message) {
  json out = {{"role", RoleName(message.role)}};
  if (message.role == ChatRole::kTool) {
    out["tool_call_id"] = message.tool_call_id;
    out["content"] = message.content;
    return out;
  }
  if (message.role == ChatRole::kAssistant && !message.tool_calls.empty()) {
    out["content"] = message.content.empty() ? json(nullptr) : json(message.content);
    json calls = json::array();
    for (const ToolCall& call : message.tool_calls) {
      calls.push_back(
          {{"id", call.id},
           {"type", "function"},
           {"function",
            {{"name", call.name},
             {"arguments", call.arguments_json.empty() ? "{}" : call.arguments_json}}}});
    }
    out["tool_calls"] = std::move(calls);
    return out;
  }
  out["content"] = message.content;
  return out;
}

Result<json> SchemaJson(const ToolSpec& tool) {
  if (tool.parameters_schema_json.empty())
    return json{{"type", "object"}, {"properties", json::object()}};
  json schema = ParseJsonOrDiscarded(tool.parameters_schema_json);
  if (schema.is_discarded() || !schema.is_object()) {
    return InvalidArgument("tool '" + tool.name +
                           "' has a parameters schema that is not a JSON object");
  }
  return schema;
}

Result<std::string> BuildBody(const std::string& model, const ChatRequest& request) {
  json body = {{"model", model}, {"stream", true}, {"stream_options", {{"include_usage", true}}}};
  json messages = json::array();
  for (const ChatMessage& message : request.messages) messages.push_back(MessageJson(message));
  body["messages"] = std::move(messages);
  if (!request.tools.empty()) {
    json tools = json::array();
    for (const ToolSpec& tool : request.tools) {
      WARD_ASSIGN_OR_RETURN(json schema, SchemaJson(tool));
      tools.push_back({{"type", "function"},
                       {"function",
                        {{"name", tool.name},
                         {"description", tool.description},
                         {"parameters", std::move(schema)}}}});
    }
    body["tools"] = std::move(tools);
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Assembles content, tool-call deltas (by index), finish_reason and usage.
class OpenAiDecoder : public StreamDecoder {
 public:
  Status OnEvent(const SseEvent& event) override {
    if (event.data == "[DONE]") {
      done_ = true;
      return Status::Ok();
    }
    if (!IsValidUtf8(event.data)) return InvalidArgument("model reply is not valid UTF-8");
    json chunk = ParseJsonOrDiscarded(event.data);
    if (chunk.is_discarded() || !chunk.is_object()) {
      return InvalidArgument("stream event is not a JSON object: " + Excerpt(event.data));
    }
    try {
      return Apply(chunk);
    } catch (const json::exception& e) {
      return InvalidArgument(std::string("unexpected stream event shape: ") + e.what());
    }
  }

  Result<ChatResponse> Finish() override {
    if (!done_ && response_.stop_reason.empty()) {
      return Unavailable("stream ended before the reply was complete (no finish_reason or [DONE])");
    }
    for (auto& [index, call] : calls_) response_.tool_calls.push_back(std::move(call));
    calls_.clear();
    return response_;
  }

 private:
  Status Apply(const json& chunk) {
    if (chunk.contains("error") && !chunk["error"].is_null()) {
      const json& error = chunk["error"];
      std::string message = error.is_object() ? error.value("message", error.dump()) : error.dump();
      return Unavailable("error in stream: " + Excerpt(message));
    }
    if (chunk.contains("usage") && chunk["usage"].is_object()) {
      response_.usage.input_tokens = chunk["usage"].value("prompt_tokens", int64_t{0});
      response_.usage.output_tokens = chunk["usage"].value("completion_tokens", int64_t{0});
    }
    if (!chunk.contains("choices") || !chunk["choices"].is_array()) return Status::Ok();
    for (const json& choice : chunk["choices"]) {
      if (choice.value("index", 0) != 0) continue;
      if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
        response_.stop_reason = choice["finish_reason"].get<std::string>();
      }
      if (choice.contains("delta") && choice["delta"].is_object()) ApplyDelta(choice["delta"]);
    }
    return Status::Ok();
  }

  void ApplyDelta(const json& delta) {
    if (delta.contains("content") && delta["content"].is_string()) {
      response_.content += delta["content"].get<std::string>();
    }
    if (!delta.contains("tool_calls") || !delta["tool_calls"].is_array()) return;
    int position = 0;
    for (const json& part : delta["tool_calls"]) {
      int index = part.contains("index") ? part["index"].get<int>() : position;
      ++position;
      ToolCall& call = calls_[index];
      // id and name come whole in the first delta of a call; later deltas add arguments.
      if (call.id.empty() && part.contains("id") && part["id"].is_string()) {
        call.id = part["id"].get<std::string>();
      }
      if (!part.contains("function") || !part["function"].is_object()) continue;
      const json& function = part["function"];
      if (call.name.empty() && function.contains("name") && function["name"].is_string()) {
        call.name = function["name"].get<std::string>();
      }
      if (function.contains("arguments") && function["arguments"].is_string()) {
        call.arguments_json += function["arguments"].get<std::string>();
      }
    }
  }

  ChatResponse response_;
  std::map<int, ToolCall> calls_;
  bool done_ = false;
};

class OpenAiProvider : public LlmProvider {
 public:
  OpenAiProvider(std::string model, std::string base_url, std::string api_key,
                 const ProviderOptions& options)
      : model_(std::move(model)),
        url_(TrimTrailingSlashes(std::move(base_url)) + "/chat/completions"),
        ctx_(MakeCallContext("openai", options, api_key)) {}

  std::string provider() const override { return "openai"; }
  std::string model() const override { return model_; }

  Result<ChatResponse> Complete(const ChatRequest& request, const CancelToken* cancel) override {
    WireRequest wire;
    wire.url = url_;
    wire.headers = {{"Authorization", "Bearer " + ctx_.secret}};
    WARD_ASSIGN_OR_RETURN(wire.body, BuildBody(model_, request));
    return StreamingCall(
        ctx_, wire, [] { return std::make_unique<OpenAiDecoder>(); }, cancel);
  }

 private:
  std::string model_;
  std::string url_;
  CallContext ctx_;
};

}  // namespace

std::unique_ptr<LlmProvider> NewOpenAiProvider(const std::string& model,
                                               const std::string& base_url,
                                               const std::string& api_key,
                                               const ProviderOptions& options) {
  return std::make_unique<OpenAiProvider>(model, base_url, api_key, options);
}

}  // namespace ward::llm_internal
