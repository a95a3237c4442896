// The "scripted" provider: replays a JSON Lines transcript, one reply per line.
#include <fstream>
#include <nlohmann/json.hpp>

#include "llm/providers.h"
#include "llm/stream_call.h"
#include "util/hash.h"
#include "util/json_limits.h"

namespace ward::llm_internal {
namespace {

using nlohmann::json;

struct ScriptedReply {
  ChatResponse response;  // tool call ids left empty: assigned when replayed
  std::string line;       // the raw line, hashed as the response body
};

Result<ToolCall> ParseToolCall(const json& item) {
  if (!item.is_object()) return InvalidArgument("each tool_calls entry must be an object");
  if (!item.contains("name") || !item["name"].is_string() ||
      item["name"].get<std::string>().empty()) {
    return InvalidArgument("tool call needs a non-empty string \"name\"");
  }
  ToolCall call;
  call.name = item["name"].get<std::string>();
  if (item.contains("id") && item["id"].is_string()) call.id = item["id"].get<std::string>();
  if (!item.contains("arguments") || item["arguments"].is_null()) {
    call.arguments_json = "{}";
  } else if (item["arguments"].is_string()) {
    call.arguments_json = item["arguments"].get<std::string>();  // already JSON text
  } else if (item["arguments"].is_object()) {
    call.arguments_json = item["arguments"].dump();
  } else {
    return InvalidArgument("tool call \"arguments\" must be an object");
  }
  return call;
}

Result<ScriptedReply> ParseLine(const std::string& line) {
  json value = ParseJsonOrDiscarded(line);
  if (value.is_discarded()) return InvalidArgument("not valid JSON");
  if (!value.is_object()) return InvalidArgument("a reply must be a JSON object");
  ScriptedReply reply;
  reply.line = line;
  ChatResponse& r = reply.response;
  if (value.contains("content")) {
    if (!value["content"].is_string()) return InvalidArgument("\"content\" must be a string");
    r.content = value["content"].get<std::string>();
  }
  if (value.contains("tool_calls")) {
    if (!value["tool_calls"].is_array()) return InvalidArgument("\"tool_calls\" must be an array");
    for (const json& item : value["tool_calls"]) {
      WARD_ASSIGN_OR_RETURN(ToolCall call, ParseToolCall(item));
      r.tool_calls.push_back(std::move(call));
    }
  }
  if (value.contains("usage")) {
    const json& usage = value["usage"];
    if (!usage.is_object()) return InvalidArgument("\"usage\" must be an object");
    r.usage.input_tokens = usage.value("input_tokens", int64_t{0});
    r.usage.output_tokens = usage.value("output_tokens", int64_t{0});
  }
  r.stop_reason = r.tool_calls.empty() ? "stop" : "tool_calls";
  return reply;
}

// Canonical JSON (sorted keys, compact) of a request, for request_sha256.
std::string CanonicalRequest(const ChatRequest& request) {
  json messages = json::array();
  for (const ChatMessage& m : request.messages) {
    json calls = json::array();
    for (const ToolCall& c : m.tool_calls) {
      calls.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments_json}});
    }
    messages.push_back({{"role", static_cast<int>(m.role)},
                        {"content", m.content},
                        {"tool_calls", std::move(calls)},
                        {"tool_call_id", m.tool_call_id},
                        {"tool_name", m.tool_name}});
  }
  json tools = json::array();
  for (const ToolSpec& t : request.tools) {
    tools.push_back({{"name", t.name},
                     {"description", t.description},
                     {"parameters", t.parameters_schema_json}});
  }
  json body = {{"messages", std::move(messages)},
               {"tools", std::move(tools)},
               {"max_output_tokens", request.max_output_tokens}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

class ScriptedProvider : public LlmProvider {
 public:
  ScriptedProvider(std::string path, std::vector<ScriptedReply> replies)
      : path_(std::move(path)), replies_(std::move(replies)) {}

  std::string provider() const override { return "scripted"; }
  std::string model() const override { return path_; }
  bool scripted() const override { return true; }

  Result<ChatResponse> Complete(const ChatRequest& request, const CancelToken* cancel) override {
    if (cancel != nullptr && cancel->cancelled()) return Cancelled("scripted: request cancelled");
    if (next_ >= replies_.size()) {
      return ResourceExhausted("scripted transcript " + path_ + " has no reply left: all " +
                               std::to_string(replies_.size()) + " replies were used");
    }
    const ScriptedReply& reply = replies_[next_++];
    ChatResponse response = reply.response;
    for (ToolCall& call : response.tool_calls) {
      if (call.id.empty()) call.id = "call_" + std::to_string(++call_counter_);
    }
    WARD_RETURN_IF_ERROR(ValidateReply(&response));
    response.request_sha256 = Sha256Hex(CanonicalRequest(request));
    response.response_sha256 = Sha256Hex(reply.line);
    response.attempts = 1;
    return response;
  }

 private:
  std::string path_;
  std::vector<ScriptedReply> replies_;
  size_t next_ = 0;
  int call_counter_ = 0;
};

}  // namespace

Result<std::unique_ptr<LlmProvider>> NewScriptedProvider(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read scripted transcript " + path);
  std::vector<ScriptedReply> replies;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    Result<ScriptedReply> reply = ParseLine(line);
    if (!reply.ok()) {
      return InvalidArgument("scripted transcript " + path + ":" + std::to_string(number) + ": " +
                             reply.status().message());
    }
    replies.push_back(std::move(reply).value());
  }
  if (in.bad()) return InvalidArgument("cannot read scripted transcript " + path);
  return std::unique_ptr<LlmProvider>(std::make_unique<ScriptedProvider>(path, std::move(replies)));
}

}  // namespace ward::llm_internal
