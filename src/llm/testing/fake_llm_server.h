// FakeLlmServer: a TEST-ONLY loopback HTTP server that imitates the streaming
// OpenAI Chat Completions and Anthropic Messages APIs. Never linked into ward.
//
// It listens on 127.0.0.1 on a free port and answers
//   POST /v1/chat/completions  (OpenAI SSE)   -> base URL openai_base_url()
//   POST /v1/messages          (Anthropic SSE) -> base URL anthropic_base_url()
// from a queue of scripted replies: each request takes the next queued item, which
// is either a fixed FakeReply or a function of the request (so a reply can depend on
// what the client sent, e.g. the previous observation). An empty queue answers
// HTTP 500 with a body saying so. SSE is written in small pieces split at awkward
// byte positions (inside UTF-8 characters, between CR and LF) to exercise parsers.
// Every request is recorded (path, headers, body).
//
// Constructing one ignores SIGPIPE in the (test) process.
//
// Example:
//   ward::testing::FakeLlmServer server;
//   server.Push(ward::testing::HttpErrorReply(429, R"({"error":"slow down"})", "1"));
//   server.Push(ward::testing::ToolCallReply("run_python", R"({"code":"print(6*7)"})"));
//   server.Push([](const ward::testing::RecordedRequest& req) {  // sees the observation
//     return ward::testing::TextReply(req.body.find("42") != std::string::npos ? "ok" : "no");
//   });
//   // run: OPENAI_BASE_URL=server.openai_base_url() OPENAI_API_KEY=x ward run --model openai:m …
//   EXPECT_EQ(server.requests().size(), 3u);
//
// Thread-safety: every public method may be called from any thread while the server
// runs. The destructor releases held replies and stops the server.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ward::testing {

struct FakeToolCall {
  std::string name;
  std::string arguments_json = "{}";  // streamed to the client in several pieces
  std::string id;                     // empty: "call_N" / "toolu_N" is made up
};

struct FakeReply {
  std::string content;
  std::vector<FakeToolCall> tool_calls;
  int64_t input_tokens = 11;
  int64_t output_tokens = 7;
  // When not 200: answer this status with `body` (no stream) and Retry-After if set.
  int http_status = 200;
  std::string body;
  std::string retry_after;
  // Stream about half of the reply, then end the body cleanly before the final
  // events (no finish_reason/[DONE], no message_stop).
  bool truncate = false;
  // Send the response headers, then wait (sending nothing but SSE comments) until
  // Release() is called or the client goes away; then stream the reply. Only for
  // http_status 200.
  bool hold = false;
  // Anthropic only: send an `error` event of this type (e.g. "overloaded_error")
  // instead of the reply.
  std::string stream_error_type;
};

// Builders for the common cases.
FakeReply TextReply(std::string content);
FakeReply ToolCallReply(std::string name, std::string arguments_json, std::string content = "");
FakeReply HttpErrorReply(int status, std::string body, std::string retry_after = "");

struct RecordedRequest {
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
};

class FakeLlmServer {
 public:
  using Responder = std::function<FakeReply(const RecordedRequest& request)>;

  // Starts listening; aborts the test process if no port can be bound.
  FakeLlmServer();
  ~FakeLlmServer();
  FakeLlmServer(const FakeLlmServer&) = delete;
  FakeLlmServer& operator=(const FakeLlmServer&) = delete;

  int port() const;
  std::string openai_base_url() const;     // http://127.0.0.1:PORT/v1
  std::string anthropic_base_url() const;  // http://127.0.0.1:PORT

  void Push(FakeReply reply);
  void Push(Responder responder);  // computed from the request when its turn comes

  // Lets the held replies of requests that arrived before this call proceed.
  void Release();
  // Blocks until `count` requests have arrived or `timeout_ms` passed; true if they did.
  bool WaitForRequests(size_t count, int64_t timeout_ms = 10'000) const;

  std::vector<RecordedRequest> requests() const;
  size_t pending_replies() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ward::testing
