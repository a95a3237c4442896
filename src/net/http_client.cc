// The real HttpClient, over cpp-httplib (the only file of ward's HTTP client side
// that includes httplib.h).
//
// Cancellation: a watcher thread polls the request's CancelToken and calls
// httplib's Client::stop(), which shuts the socket down so a read blocked on a
// silent server returns at once; the content receiver checks the token too. A
// cancel that arrives while the TCP/TLS connection is still being set up takes
// effect when the connect attempt ends (at most connect_timeout_ms).
#include "net/http_client.h"

#include <httplib.h>

#include <chrono>
#include <optional>

#include "util/clock.h"
#include "util/shared_poller.h"

namespace ward {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

struct SplitUrl {
  std::string origin;  // scheme://host[:port]
  std::string target;  // /path[?query]
};

Result<SplitUrl> Split(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return InvalidArgument("URL has no scheme: " + url);
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgument("unsupported URL scheme '" + scheme + "' (use http or https)");
  }
  size_t path_start = url.find_first_of("/?#", scheme_end + 3);
  SplitUrl out;
  out.origin = url.substr(0, path_start);
  if (out.origin.size() == scheme_end + 3) return InvalidArgument("URL has no host: " + url);
  out.target = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (out.target.front() != '/') out.target = "/" + out.target;
  size_t fragment = out.target.find('#');
  if (fragment != std::string::npos) out.target.resize(fragment);
  return out;
}

// Calls client.stop() whenever the shared poller finds `cancel` fired, until
// Done() (or destruction).
class CancelWatcher final : public Polled {
 public:
  CancelWatcher(httplib::Client* client, const CancelToken* cancel)
      : client_(client), cancel_(cancel) {
    if (cancel_ != nullptr) registration_.emplace(this);
  }
  void Poll() override {
    if (cancel_->cancelled()) client_->stop();
  }
  void Done() { registration_.reset(); }

 private:
  httplib::Client* const client_;
  const CancelToken* const cancel_;
  std::optional<PollRegistration> registration_;
};

void ApplyTimeouts(httplib::Client& client, const HttpRequest& request) {
  auto connect = std::chrono::milliseconds(std::max<int64_t>(1, request.connect_timeout_ms));
  auto read = std::chrono::milliseconds(std::max<int64_t>(1, request.read_timeout_ms));
  client.set_connection_timeout(connect);
  client.set_read_timeout(read);
  client.set_write_timeout(read);
  client.enable_server_certificate_verification(request.verify_tls);
  if (!request.ca_cert_file.empty()) client.set_ca_cert_path(request.ca_cert_file);
}

httplib::Request BuildRequest(const HttpRequest& request, const std::string& target) {
  httplib::Request req;
  req.method = request.method;
  req.path = target;
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    req.body = request.body;
    if (!req.has_header("Content-Type")) req.set_header("Content-Type", request.content_type);
  }
  // Streams are read as they come; ask for them uncompressed.
  if (request.on_body_chunk && !req.has_header("Accept-Encoding")) {
    req.set_header("Accept-Encoding", "identity");
  }
  return req;
}

class HttplibClient : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override;
};

// Everything one Send() shares with httplib's callbacks.
struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse response;
  bool streaming = false;
  bool consumer_stopped = false;
  int64_t last_activity_us = 0;
};

Status TransportError(httplib::Error error, const Exchange& ex, const std::string& origin) {
  std::string what = httplib::to_string(error);
  switch (error) {
    case httplib::Error::Connection:
      return Unavailable("cannot connect to " + origin + ": " + what);
    case httplib::Error::ConnectionTimeout:
      return DeadlineExceeded("timed out connecting to " + origin);
    case httplib::Error::Read: {
      int64_t silent_ms = (SystemClock::Default()->MonotonicMicros() - ex.last_activity_us) / 1000;
      if (silent_ms + 50 >= ex.request->read_timeout_ms) {
        return DeadlineExceeded("no data from " + origin + " for " +
                                std::to_string(ex.request->read_timeout_ms) + " ms");
      }
      return Unavailable("connection to " + origin + " failed while reading: " + what);
    }
    default:
      return Unavailable("request to " + origin + " failed: " + what);
  }
}

Result<HttpResponse> HttplibClient::Send(const HttpRequest& request) {
  const CancelToken* cancel = request.cancel;
  auto cancelled = [cancel] { return cancel != nullptr && cancel->cancelled(); };
  if (cancelled()) return Cancelled("request cancelled");
  WARD_ASSIGN_OR_RETURN(SplitUrl url, Split(request.url));
  try {
    httplib::Client client(url.origin);
    if (!client.is_valid()) return InvalidArgument("cannot make an HTTP client for " + url.origin);
    ApplyTimeouts(client, request);
    Exchange ex;
    ex.request = &request;
    Clock* clock = SystemClock::Default();
    ex.last_activity_us = clock->MonotonicMicros();
    httplib::Request req = BuildRequest(request, url.target);
    req.response_handler = [&](const httplib::Response& res) {
      ex.streaming = request.on_body_chunk &&
                     (request.stream_all_statuses || (res.status >= 200 && res.status < 300));
      ex.last_activity_us = clock->MonotonicMicros();
      return !cancelled();
    };
    req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      ex.last_activity_us = clock->MonotonicMicros();
      if (cancelled()) return false;
      if (!ex.streaming) {
        ex.response.body.append(data, size);
        return true;
      }
      if (request.on_body_chunk(std::string_view(data, size))) return true;
      ex.consumer_stopped = true;
      return false;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    CancelWatcher watcher(&client, cancel);
    bool sent = client.send(req, res, error);
    watcher.Done();
    if (cancelled()) return Cancelled("request cancelled");
    if (ex.consumer_stopped) return Cancelled("response body consumer stopped reading");
    if (!sent) return TransportError(error, ex, url.origin);
    // Status and headers from `res`: httplib calls response_handler only for responses
    // with a body, and a 204's headers (a FHIR delete's ETag) count too.
    ex.response.status = res.status;
    ex.response.headers.assign(res.headers.begin(), res.headers.end());
    return std::move(ex.response);
  } catch (const std::exception& e) {
    return Internal(std::string("HTTP client failed: ") + e.what());
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::unique_ptr<HttpClient> NewHttpClient() { return std::make_unique<HttplibClient>(); }

}  // namespace ward
