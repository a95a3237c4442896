// Test fixtures (tests only): real loopback HTTP servers on port 0 that stand in
// for a vendor REST API and an OAuth 2.0 token endpoint, recording every request
// they receive so tests can assert what arrived — and what never did.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ward::testing {

struct ReceivedRequest {
  std::string method;
  std::string path;        // without the query
  std::string raw_target;  // as sent, with the query
  httplib::Headers headers;
  httplib::Params params;
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Holds a request's handler until Release() (or 5 s pass, so a test that fails
// still ends), standing in for an API that stops answering.
class RequestStall {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [this] { return released_; });
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;  // guarded by mu_
};

// A loopback httplib server with a request log. Subclasses add routes in their
// constructor, then call Start().
class LoopbackTestServer {
 public:
  virtual ~LoopbackTestServer() { Stop(); }
  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<ReceivedRequest> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  size_t received_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_.size();
  }

 protected:
  // Routes every request no handler took to a recorded 404.
  void Start() {
    auto not_found = [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = 404;
    };
    server_.Get(".*", not_found);
    server_.Post(".*", not_found);
    server_.Put(".*", not_found);
    server_.Patch(".*", not_found);
    server_.Delete(".*", not_found);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op before the loop runs, so a server stopped too early would
    // never return from listen: wait for it (the socket already queues clients).
    while (!server_.is_running()) std::this_thread::yield();
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back({req.method, req.path, req.target, req.headers, req.params, req.body});
  }
  httplib::Server server_;

 private:
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<ReceivedRequest> received_;
};

// A vendor API under /v1: appointments (list, create, read, update), an echo of
// the request's headers, a text body, endless bodies, cookies and secrets in
// response headers. When `required_authorization` is set, any other
// Authorization is answered 401.
class VendorApiTestServer : public LoopbackTestServer {
 public:
  VendorApiTestServer() {
    auto guarded = [this](httplib::Server::Handler handler) {
      return [this, handler](const httplib::Request& req, httplib::Response& res) {
        Record(req);
        std::string required = RequiredAuthorization();
        if (!required.empty() && req.get_header_value("Authorization") != required) {
          res.status = 401;
          res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
          res.set_content("{\"error\":\"invalid_token\"}", "application/json");
          return;
        }
        handler(req, res);
      };
    };
    server_.Get("/v1/appointments", guarded([](const httplib::Request&, httplib::Response& res) {
                  res.set_header("ETag", "W/\"7\"");
                  res.set_header("Set-Cookie", "session=abc123; HttpOnly");
                  res.set_header("X-Internal-Secret", "do-not-leak");
                  res.set_header("X-Trace", "trace-1");
                  res.set_content("[{\"id\":\"1\"},{\"id\":\"2\"}]",
                                  "application/json; charset=utf-8");
                }));
    server_.Post("/v1/appointments",
                 guarded([](const httplib::Request& req, httplib::Response& res) {
                   res.status = 201;
                   res.set_header("Location", "/v1/appointments/42");
                   res.set_content(req.body, "application/json");
                 }));
    server_.Get(R"(/v1/appointments/([^/]+))",
                guarded([](const httplib::Request& req, httplib::Response& res) {
                  res.set_content("{\"id\":\"" + req.matches[1].str() + "\"}",
                                  "application/fhir+json");
                }));
    server_.Put(R"(/v1/appointments/([^/]+))",
                guarded([](const httplib::Request& req, httplib::Response& res) {
                  res.set_content(req.body, "application/json");
                }));
    server_.Get("/v1/echo", guarded([](const httplib::Request& req, httplib::Response& res) {
                  std::string out = "{";
                  for (const auto& [name, value] : req.headers) {
                    if (out.size() > 1) out += ",";
                    out += "\"" + name + "\":\"" + value + "\"";
                  }
                  res.set_header("X-Echo-Authorization", req.get_header_value("Authorization"));
                  res.set_header("Content-Location", req.get_header_value("Authorization"));
                  res.set_content(out + "}", "application/json");
                }));
    // The Authorization header echoed with every character JSON-escaped (\u00XX), as
    // some encoders escape '+' or '/'.
    server_.Get("/v1/echo-escaped",
                guarded([](const httplib::Request& req, httplib::Response& res) {
                  std::string escaped;
                  char buf[8];
                  for (unsigned char c : req.get_header_value("Authorization")) {
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    escaped += buf;
                  }
                  res.set_content("{\"auth\":\"" + escaped + "\"}", "application/json");
                }));
    server_.Get("/v1/text", guarded([](const httplib::Request&, httplib::Response& res) {
                  res.set_content("plain words", "text/plain");
                }));
    server_.Get("/v1/redirect", guarded([](const httplib::Request&, httplib::Response& res) {
                  res.set_redirect("/v1/appointments", 302);
                }));
    server_.Get("/v1/binary", guarded([](const httplib::Request&, httplib::Response& res) {
                  res.set_content(std::string("\x89PNG\r\n\x1a\n\xff\x00", 10), "image/png");
                }));
    server_.Get("/v1/bad-json", guarded([](const httplib::Request&, httplib::Response& res) {
                  res.set_content("{not json", "application/json");
                }));
    server_.Get("/v1/empty",
                guarded([](const httplib::Request&, httplib::Response& res) { res.status = 204; }));
    for (const char* path : {"/v1/endless", "/v1/endless-error"}) {
      bool error = std::string(path) == "/v1/endless-error";
      server_.Get(path, [this, error](const httplib::Request& req, httplib::Response& res) {
        Record(req);
        if (error) res.status = 500;
        res.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink& sink) {
          static const std::string kPiece(16 << 10, 'x');
          return sink.write(kPiece.data(), kPiece.size());
        });
      });
    }
    Start();
  }
  ~VendorApiTestServer() override { Stop(); }

  void RequireAuthorization(const std::string& value) {
    std::lock_guard<std::mutex> lock(auth_mu_);
    required_authorization_ = value;
  }

 private:
  std::string RequiredAuthorization() {
    std::lock_guard<std::mutex> lock(auth_mu_);
    return required_authorization_;
  }
  std::mutex auth_mu_;
  std::string required_authorization_;  // guarded by auth_mu_
};

// An OAuth 2.0 token endpoint at POST /token issuing "token-1", "token-2", … .
// `SetReply` replaces the reply with a fixed status and body; `on_request` looks
// inside (or stalls) a request while it is handled.
class OAuthTokenTestServer : public LoopbackTestServer {
 public:
  OAuthTokenTestServer() {
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (on_request) on_request();
      std::lock_guard<std::mutex> lock(reply_mu_);
      if (fixed_status_ != 0) {
        res.status = fixed_status_;
        res.set_content(fixed_body_, "application/json");
        return;
      }
      std::string token = "token-" + std::to_string(++issued_);
      std::string expires =
          expires_in_ >= 0 ? ",\"expires_in\":" + std::to_string(expires_in_) : "";
      res.set_content(
          "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\"" + expires + "}",
          "application/json");
    });
    Start();
  }
  ~OAuthTokenTestServer() override { Stop(); }

  // Called inside every token request's handler, before it is answered.
  std::function<void()> on_request;

  // expires_in of the tokens issued next; negative: leave it out.
  void SetExpiresIn(int seconds) {
    std::lock_guard<std::mutex> lock(reply_mu_);
    expires_in_ = seconds;
  }
  void SetReply(int status, const std::string& body) {
    std::lock_guard<std::mutex> lock(reply_mu_);
    fixed_status_ = status;
    fixed_body_ = body;
  }

 private:
  std::mutex reply_mu_;
  int issued_ = 0;          // guarded by reply_mu_
  int expires_in_ = 3600;   // guarded by reply_mu_
  int fixed_status_ = 0;    // guarded by reply_mu_
  std::string fixed_body_;  // guarded by reply_mu_
};

}  // namespace ward::testing
