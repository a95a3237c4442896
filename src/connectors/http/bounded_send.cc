#include "connectors/http/bounded_send.h"

#include <string>
#include <utility>

namespace ward {

Result<HttpResponse> SendWithBodyLimit(HttpClient& http, HttpRequest request, size_t max_body_bytes,
                                       const std::string& what) {
  std::string body;
  bool over_limit = false;
  request.stream_all_statuses = true;
  request.on_body_chunk = [&](std::string_view chunk) {
    if (chunk.size() > max_body_bytes - body.size()) {
      over_limit = true;
      return false;
    }
    body.append(chunk);
    return true;
  };
  Result<HttpResponse> response = http.Send(request);
  if (over_limit)
    return ResourceExhausted(what + " exceeds " + std::to_string(max_body_bytes) +
                             " bytes; reading stopped there");
  if (!response.ok()) return response.status();
  response->body = std::move(body);
  return response;
}

}  // namespace ward
