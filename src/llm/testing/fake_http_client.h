// FakeHttpClient: a TEST-ONLY HttpClient that answers from a queue of canned
// responses and records every request. 2xx bodies are handed to on_body_chunk in
// the given chunks. Not thread-safe (one test thread).
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "net/http_client.h"

namespace ward::testing {

struct CannedResponse {
  Status error;  // not OK: Send() fails with it
  int status = 200;
  HttpHeaders headers;
  std::vector<std::string> chunks;  // the body, in pieces

  static CannedResponse Stream(std::vector<std::string> chunks) {
    CannedResponse r;
    r.chunks = std::move(chunks);
    return r;
  }
  static CannedResponse Http(int status, std::string body, HttpHeaders headers = {}) {
    CannedResponse r;
    r.status = status;
    r.chunks = {std::move(body)};
    r.headers = std::move(headers);
    return r;
  }
  static CannedResponse Fail(Status error) {
    CannedResponse r;
    r.error = std::move(error);
    return r;
  }
};

class FakeHttpClient : public HttpClient {
 public:
  void Push(CannedResponse response) { queue_.push_back(std::move(response)); }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    HttpRequest copy = request;
    copy.on_body_chunk = nullptr;
    copy.cancel = nullptr;
    sent_.push_back(std::move(copy));
    if (queue_.empty()) return Internal("FakeHttpClient: no canned response left");
    CannedResponse canned = std::move(queue_.front());
    queue_.pop_front();
    if (!canned.error.ok()) return canned.error;
    HttpResponse response;
    response.status = canned.status;
    response.headers = canned.headers;
    bool stream = request.on_body_chunk && canned.status >= 200 && canned.status < 300;
    for (const std::string& chunk : canned.chunks) {
      if (!stream) {
        response.body += chunk;
      } else if (!request.on_body_chunk(chunk)) {
        return Cancelled("response body consumer stopped reading");
      }
    }
    return response;
  }

  const std::vector<HttpRequest>& sent() const { return sent_; }
  size_t remaining() const { return queue_.size(); }

 private:
  std::deque<CannedResponse> queue_;
  std::vector<HttpRequest> sent_;
};

}  // namespace ward::testing
