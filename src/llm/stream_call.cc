#include "llm/stream_call.h"

#include "llm/retry.h"
#include "util/hash.h"

namespace ward::llm_internal {
namespace {

std::string Scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "[redacted]");
  }
  return text;
}

Status HttpStatusError(int status, const std::string& body) {
  std::string message = "HTTP " + std::to_string(status);
  std::string excerpt = Excerpt(body);
  if (!excerpt.empty()) message += ": " + excerpt;
  if (status == 401 || status == 403) return PermissionDenied(message);
  if (IsRetryableHttpStatus(status)) return Unavailable(message);
  return InvalidArgument(message);
}

int64_t RetryAfterOf(const HttpResponse& response, Clock* clock) {
  std::string ms = response.Header("retry-after-ms");
  if (!ms.empty() && ms.size() < 10 && ms.find_first_not_of("0123456789") == std::string::npos) {
    return std::stoll(ms);
  }
  return ParseRetryAfter(response.Header("retry-after"), clock->NowMillis());
}

Attempt Failure(Status status, bool retryable, int64_t retry_after_ms = -1) {
  Attempt a;
  a.status = std::move(status);
  a.retryable = retryable;
  a.retry_after_ms = retry_after_ms;
  return a;
}

Attempt StreamOnce(CallContext& ctx, const WireRequest& wire, StreamDecoder& decoder,
                   const CancelToken* cancel) {
  HttpRequest req;
  req.method = "POST";
  req.url = wire.url;
  req.headers = wire.headers;
  req.headers.emplace_back("Accept", "text/event-stream");
  req.body = wire.body;
  req.connect_timeout_ms = ctx.retry.connect_timeout_ms;
  req.read_timeout_ms = ctx.retry.request_timeout_ms;
  req.cancel = cancel;
  SseParser parser;
  Status stream_error;
  std::string raw;
  req.on_body_chunk = [&](std::string_view chunk) {
    raw.append(chunk);
    for (const SseEvent& event : parser.Feed(chunk)) {
      stream_error = decoder.OnEvent(event);
      if (!stream_error.ok()) return false;
    }
    return true;
  };
  Result<HttpResponse> sent = ctx.http->Send(req);
  if (!stream_error.ok()) {
    return Failure(stream_error, stream_error.code() == StatusCode::kUnavailable);
  }
  if (!sent.ok()) {
    StatusCode code = sent.status().code();
    return Failure(sent.status(),
                   code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded);
  }
  if (sent->status < 200 || sent->status > 299) {
    return Failure(HttpStatusError(sent->status, sent->body), IsRetryableHttpStatus(sent->status),
                   RetryAfterOf(*sent, ctx.clock));
  }
  Result<ChatResponse> reply = decoder.Finish();
  if (!reply.ok()) {
    return Failure(reply.status(), reply.status().code() == StatusCode::kUnavailable);
  }
  Status valid = ValidateReply(&reply.value());
  if (!valid.ok()) return Failure(valid, false);
  reply->request_sha256 = Sha256Hex(wire.body);
  reply->response_sha256 = Sha256Hex(raw);
  Attempt ok;
  ok.response = std::move(reply).value();
  return ok;
}

}  // namespace

CallContext MakeCallContext(const std::string& provider, const ProviderOptions& options,
                            std::string secret) {
  CallContext ctx;
  ctx.provider = provider;
  ctx.http = options.http;
  if (ctx.http == nullptr) {
    ctx.owned = NewHttpClient();
    ctx.http = ctx.owned.get();
  }
  ctx.clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  ctx.retry = options.retry;
  ctx.rng.seed(options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}());
  ctx.secret = std::move(secret);
  return ctx;
}

Result<ChatResponse> StreamingCall(
    CallContext& ctx, const WireRequest& wire,
    const std::function<std::unique_ptr<StreamDecoder>()>& make_decoder,
    const CancelToken* cancel) {
  auto attempt = [&](int) {
    std::unique_ptr<StreamDecoder> decoder = make_decoder();
    return StreamOnce(ctx, wire, *decoder, cancel);
  };
  Result<ChatResponse> result =
      RunWithRetries(ctx.provider, ctx.retry, ctx.clock, ctx.rng, cancel, attempt);
  if (result.ok()) return result;
  return Status(result.status().code(), Scrub(result.status().message(), ctx.secret));
}

Status ValidateReply(ChatResponse* response) {
  bool valid = IsValidUtf8(response->content);
  for (ToolCall& call : response->tool_calls) {
    if (call.arguments_json.empty()) call.arguments_json = "{}";
    valid = valid && IsValidUtf8(call.arguments_json) && IsValidUtf8(call.name);
  }
  if (!valid) return InvalidArgument("model reply is not valid UTF-8");
  return Status::Ok();
}

std::string Excerpt(std::string_view body, size_t max_bytes) {
  std::string out;
  size_t end = std::min(body.size(), max_bytes);
  if (end < body.size()) {
    // Back off to a character boundary.
    while (end > 0 && (static_cast<unsigned char>(body[end]) & 0xC0) == 0x80) --end;
  }
  out.reserve(end + 3);
  for (size_t i = 0; i < end; ++i) {
    char c = body[i];
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (end < body.size()) out += "...";
  return out;
}

std::string TrimTrailingSlashes(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

}  // namespace ward::llm_internal
