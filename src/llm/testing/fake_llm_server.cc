#include "llm/testing/fake_llm_server.h"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <variant>

namespace ward::testing {
namespace {

using nlohmann::json;

enum class Dialect { kOpenAi, kAnthropic };

// Splits `text` into pieces of about `size` bytes without cutting a UTF-8 character.
std::vector<std::string> Pieces(const std::string& text, size_t size) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.size(), start + size);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

std::string SseEvent(const std::string& name, const json& data, const char* eol) {
  std::string out;
  if (!name.empty()) out += "event: " + name + eol;
  return out + "data: " + data.dump() + eol + eol;
}

std::string CallId(const FakeToolCall& call, const char* prefix, size_t index) {
  return call.id.empty() ? prefix + std::to_string(index + 1) : call.id;
}

// The SSE events of `reply` in the OpenAI dialect; the last `*final_count` are the
// ones a truncated stream leaves out.
std::vector<std::string> OpenAiEvents(const FakeReply& reply, size_t* final_count) {
  const char* eol = "\r\n";
  auto chunk = [](json delta, json finish = nullptr) {
    return json{
        {"id", "chatcmpl-fake"},
        {"object", "chat.completion.chunk"},
        {"model", "fake"},
        {"choices", {{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish}}}}};
  };
  std::vector<std::string> events;
  events.push_back(SseEvent("", chunk({{"role", "assistant"}, {"content", ""}}), eol));
  for (const std::string& piece : Pieces(reply.content, 5)) {
    events.push_back(SseEvent("", chunk({{"content", piece}}), eol));
  }
  for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
    const FakeToolCall& call = reply.tool_calls[i];
    json first = {{"index", i},
                  {"id", CallId(call, "call_", i)},
                  {"type", "function"},
                  {"function", {{"name", call.name}, {"arguments", ""}}}};
    events.push_back(SseEvent("", chunk({{"tool_calls", {first}}}), eol));
    for (const std::string& piece : Pieces(call.arguments_json, 4)) {
      json more = {{"index", i}, {"function", {{"arguments", piece}}}};
      events.push_back(SseEvent("", chunk({{"tool_calls", {more}}}), eol));
    }
  }
  std::string finish = reply.tool_calls.empty() ? "stop" : "tool_calls";
  events.push_back(SseEvent("", chunk(json::object(), finish), eol));
  json usage = {{"id", "chatcmpl-fake"},
                {"object", "chat.completion.chunk"},
                {"choices", json::array()},
                {"usage",
                 {{"prompt_tokens", reply.input_tokens},
                  {"completion_tokens", reply.output_tokens},
                  {"total_tokens", reply.input_tokens + reply.output_tokens}}}};
  events.push_back(SseEvent("", usage, eol));
  events.push_back(std::string("data: [DONE]") + eol + eol);
  *final_count = 3;
  return events;
}

std::vector<std::string> AnthropicEvents(const FakeReply& reply, size_t* final_count) {
  const char* eol = "\n";
  std::vector<std::string> events;
  json start = {{"type", "message_start"},
                {"message",
                 {{"id", "msg_fake"},
                  {"type", "message"},
                  {"role", "assistant"},
                  {"content", json::array()},
                  {"usage", {{"input_tokens", reply.input_tokens}, {"output_tokens", 1}}}}}};
  events.push_back(SseEvent("message_start", start, eol));
  events.push_back(SseEvent("ping", {{"type", "ping"}}, eol));
  int index = 0;
  if (!reply.content.empty()) {
    events.push_back(SseEvent("content_block_start",
                              {{"type", "content_block_start"},
                               {"index", index},
                               {"content_block", {{"type", "text"}, {"text", ""}}}},
                              eol));
    for (const std::string& piece : Pieces(reply.content, 5)) {
      events.push_back(SseEvent("content_block_delta",
                                {{"type", "content_block_delta"},
                                 {"index", index},
                                 {"delta", {{"type", "text_delta"}, {"text", piece}}}},
                                eol));
    }
    events.push_back(
        SseEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}, eol));
    ++index;
  }
  for (size_t i = 0; i < reply.tool_calls.size(); ++i, ++index) {
    const FakeToolCall& call = reply.tool_calls[i];
    json block = {{"type", "tool_use"},
                  {"id", CallId(call, "toolu_", i)},
                  {"name", call.name},
                  {"input", json::object()}};
    events.push_back(SseEvent(
        "content_block_start",
        {{"type", "content_block_start"}, {"index", index}, {"content_block", block}}, eol));
    for (const std::string& piece : Pieces(call.arguments_json, 4)) {
      events.push_back(
          SseEvent("content_block_delta",
                   {{"type", "content_block_delta"},
                    {"index", index},
                    {"delta", {{"type", "input_json_delta"}, {"partial_json", piece}}}},
                   eol));
    }
    events.push_back(
        SseEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}, eol));
  }
  std::string stop = reply.tool_calls.empty() ? "end_turn" : "tool_use";
  events.push_back(SseEvent("message_delta",
                            {{"type", "message_delta"},
                             {"delta", {{"stop_reason", stop}, {"stop_sequence", nullptr}}},
                             {"usage", {{"output_tokens", reply.output_tokens}}}},
                            eol));
  events.push_back(SseEvent("message_stop", {{"type", "message_stop"}}, eol));
  *final_count = 2;
  if (!reply.stream_error_type.empty()) {
    json error = {{"type", "error"},
                  {"error", {{"type", reply.stream_error_type}, {"message", "fake stream error"}}}};
    events.resize(2);
    events.push_back(SseEvent("error", error, eol));
    *final_count = 0;
  }
  return events;
}

// The stream body; for a truncated reply, about half of it, ending inside an event.
std::string StreamBody(Dialect dialect, const FakeReply& reply) {
  size_t final_count = 0;
  std::vector<std::string> events = dialect == Dialect::kOpenAi
                                        ? OpenAiEvents(reply, &final_count)
                                        : AnthropicEvents(reply, &final_count);
  size_t keep = events.size();
  if (reply.truncate) keep = std::max<size_t>(1, (events.size() - final_count) / 2);
  std::string body = ": fake llm server\r\n\r\n";
  for (size_t i = 0; i < keep; ++i) body += events[i];
  if (reply.truncate && keep < events.size())
    body += events[keep].substr(0, events[keep].size() / 2);
  return body;
}

}  // namespace

FakeReply TextReply(std::string content) {
  FakeReply reply;
  reply.content = std::move(content);
  return reply;
}

FakeReply ToolCallReply(std::string name, std::string arguments_json, std::string content) {
  FakeReply reply;
  reply.content = std::move(content);
  reply.tool_calls.push_back({std::move(name), std::move(arguments_json), ""});
  return reply;
}

FakeReply HttpErrorReply(int status, std::string body, std::string retry_after) {
  FakeReply reply;
  reply.http_status = status;
  reply.body = std::move(body);
  reply.retry_after = std::move(retry_after);
  return reply;
}

std::string RecordedRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value;
    }
  }
  return "";
}

struct FakeLlmServer::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<std::variant<FakeReply, Responder>> queue;  // guarded by mu
  std::vector<RecordedRequest> requests;                 // guarded by mu
  uint64_t release_generation = 0;                       // guarded by mu
  bool stopping = false;                                 // guarded by mu

  void Handle(Dialect dialect, const httplib::Request& req, httplib::Response& res);
  bool Next(const RecordedRequest& request, FakeReply* reply);
  bool WaitWhileHeld(uint64_t generation, httplib::DataSink& sink);
};

bool FakeLlmServer::Impl::Next(const RecordedRequest& request, FakeReply* reply) {
  std::variant<FakeReply, Responder> item;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (queue.empty()) return false;
    item = std::move(queue.front());
    queue.pop_front();
  }
  if (auto* fixed = std::get_if<FakeReply>(&item)) {
    *reply = std::move(*fixed);
  } else {
    *reply = std::get<Responder>(item)(request);
  }
  return true;
}

// Waits for Release() (a generation newer than `generation`) or server shutdown,
// sending SSE comments so a client that went away is noticed. False if it went away.
bool FakeLlmServer::Impl::WaitWhileHeld(uint64_t generation, httplib::DataSink& sink) {
  std::unique_lock<std::mutex> lock(mu);
  while (release_generation == generation && !stopping) {
    cv.wait_for(lock, std::chrono::milliseconds(50));
    lock.unlock();
    bool alive = sink.write(": held\r\n\r\n", 10);
    lock.lock();
    if (!alive) return false;
  }
  return true;
}

void FakeLlmServer::Impl::Handle(Dialect dialect, const httplib::Request& req,
                                 httplib::Response& res) {
  RecordedRequest recorded{req.path, {}, req.body};
  for (const auto& [key, value] : req.headers) recorded.headers.emplace_back(key, value);
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu);
    requests.push_back(recorded);
    generation = release_generation;
    cv.notify_all();
  }
  FakeReply reply;
  if (!Next(recorded, &reply)) {
    res.status = 500;
    res.set_content(
        R"({"error":{"message":"fake LLM server: no scripted reply left for this request"}})",
        "application/json");
    return;
  }
  if (reply.http_status != 200) {
    res.status = reply.http_status;
    if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
    res.set_content(reply.body, "application/json");
    return;
  }
  auto body = std::make_shared<std::string>(StreamBody(dialect, reply));
  bool hold = reply.hold;
  res.set_chunked_content_provider("text/event-stream",
                                   [this, body, hold, generation](size_t, httplib::DataSink& sink) {
                                     if (hold && !WaitWhileHeld(generation, sink)) return false;
                                     // Awkward piece sizes: cut inside UTF-8 characters and between
                                     // CR and LF.
                                     static const size_t kSizes[] = {1, 3, 2, 7, 5, 11, 4, 13};
                                     size_t at = 0;
                                     for (size_t i = 0; at < body->size(); ++i) {
                                       size_t n = std::min(kSizes[i % 8], body->size() - at);
                                       if (!sink.write(body->data() + at, n)) return false;
                                       at += n;
                                     }
                                     sink.done();
                                     return true;
                                   });
}

FakeLlmServer::FakeLlmServer() : impl_(std::make_unique<Impl>()) {
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the test
  Impl* impl = impl_.get();
  impl->server.Post("/v1/chat/completions",
                    [impl](const httplib::Request& q, httplib::Response& r) {
                      impl->Handle(Dialect::kOpenAi, q, r);
                    });
  impl->server.Post("/v1/messages", [impl](const httplib::Request& q, httplib::Response& r) {
    impl->Handle(Dialect::kAnthropic, q, r);
  });
  impl->server.set_keep_alive_timeout(1);
  impl->port = impl->server.bind_to_any_port("127.0.0.1");
  if (impl->port <= 0) {
    std::fprintf(stderr, "FakeLlmServer: cannot bind a loopback port\n");
    std::abort();
  }
  impl->thread = std::thread([impl] { impl->server.listen_after_bind(); });
}

FakeLlmServer::~FakeLlmServer() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  impl_->server.stop();
  impl_->thread.join();
}

int FakeLlmServer::port() const { return impl_->port; }
std::string FakeLlmServer::openai_base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + "/v1";
}
std::string FakeLlmServer::anthropic_base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void FakeLlmServer::Push(FakeReply reply) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->queue.emplace_back(std::move(reply));
}

void FakeLlmServer::Push(Responder responder) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->queue.emplace_back(std::move(responder));
}

void FakeLlmServer::Release() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  ++impl_->release_generation;
  impl_->cv.notify_all();
}

bool FakeLlmServer::WaitForRequests(size_t count, int64_t timeout_ms) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                            [&] { return impl_->requests.size() >= count; });
}

std::vector<RecordedRequest> FakeLlmServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

size_t FakeLlmServer::pending_replies() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->queue.size();
}

}  // namespace ward::testing
