#include "net/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace ward {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A loopback server on port 0 with a few canned routes, including ones that hang
// until Release().
class TestServer {
 public:
  TestServer() {
    server_.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("X-Test", "yes");
      res.set_content("hi", "text/plain");
    });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_header_value("Content-Type") + "|" +
                          req.get_header_value("X-Custom") + "|" + req.body,
                      "text/plain");
    });
    server_.Get("/stream", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
        for (const char* piece : {"data: a\n", "\ndata", ": b\n\n"}) {
          sink.write(piece, std::strlen(piece));
        }
        sink.done();
        return true;
      });
    });
    server_.Delete("/gone", [](const httplib::Request&, httplib::Response& res) {
      res.status = 204;
      res.set_header("ETag", "W/\"2\"");
    });
    server_.Get("/error", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("{\"error\":\"overloaded\"}", "application/json");
    });
    server_.Get("/hang", [this](const httplib::Request&, httplib::Response& res) {
      Arrive();
      WaitForRelease();
      res.set_content("late", "text/plain");
    });
    server_.Get("/hang-mid-stream", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/event-stream",
                                       [this](size_t, httplib::DataSink& sink) {
                                         sink.write("data: first\n\n", 13);
                                         Arrive();
                                         WaitForRelease();
                                         sink.done();
                                         return true;
                                       });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TestServer() {
    Release();
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void WaitForArrival() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return arrived_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  void Arrive() {
    std::lock_guard<std::mutex> lock(mu_);
    arrived_ = true;
    cv_.notify_all();
  }
  void WaitForRelease() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return released_; });
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool arrived_ = false;   // guarded by mu_
  bool released_ = false;  // guarded by mu_
};

TEST(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  TestServer server;
  auto client = NewHttpClient();
  HttpRequest req;
  req.url = server.Url("/hello");
  auto res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hi");
  EXPECT_EQ(res->Header("x-test"), "yes");
  EXPECT_EQ(res->Header("X-TEST"), "yes");
  EXPECT_EQ(res->Header("absent"), "");
}

// A 204 has no body, but its headers (a FHIR delete's ETag) count all the same.
TEST(HttpClientTest, NoContentResponseKeepsItsHeaders) {
  TestServer server;
  auto client = NewHttpClient();
  HttpRequest req;
  req.method = "DELETE";
  req.url = server.Url("/gone");
  auto res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 204);
  EXPECT_EQ(res->body, "");
  EXPECT_EQ(res->Header("ETag"), "W/\"2\"");
}

TEST(HttpClientTest, PostSendsBodyContentTypeAndHeaders) {
  TestServer server;
  auto client = NewHttpClient();
  HttpRequest req;
  req.method = "POST";
  req.url = server.Url("/echo");
  req.body = "{\"a\":1}";
  req.headers = {{"X-Custom", "v"}};
  auto res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body, "application/json|v|{\"a\":1}");
}

TEST(HttpClientTest, StreamsTwoHundredBodyToCallback) {
  TestServer server;
  auto client = NewHttpClient();
  HttpRequest req;
  req.url = server.Url("/stream");
  std::string streamed;
  int calls = 0;
  req.on_body_chunk = [&](std::string_view chunk) {
    streamed.append(chunk);
    ++calls;
    return true;
  };
  auto res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");
  EXPECT_EQ(streamed, "data: a\n\ndata: b\n\n");
  EXPECT_GE(calls, 1);
}

TEST(HttpClientTest, ErrorStatusBodyIsCollectedNotStreamed) {
  TestServer server;
  auto client = NewHttpClient();
  HttpRequest req;
  req.url = server.Url("/error");
  bool called = false;
  req.on_body_chunk = [&](std::string_view) {
    called = true;
    return true;
  };
  auto res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "{\"error\":\"overloaded\"}");
  EXPECT_FALSE(called);
}

TEST(HttpClientTest, ErrorStatusBodyIsStreamedWhenAskedFor) {
  TestServer server;
  auto client = NewHttpClient();
  HttpRequest req;
  req.url = server.Url("/error");
  req.stream_all_statuses = true;
  std::string streamed;
  req.on_body_chunk = [&](std::string_view chunk) {
    streamed.append(chunk);
    return true;
  };
  auto res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "");
  EXPECT_EQ(streamed, "{\"error\":\"overloaded\"}");
}

TEST(HttpClientTest, ConsumerReturningFalseStopsTheRequest) {
  TestServer server;
  auto client = NewHttpClient();
  HttpRequest req;
  req.url = server.Url("/stream");
  req.on_body_chunk = [](std::string_view) { return false; };
  auto res = client->Send(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kCancelled);
}

TEST(HttpClientTest, ConnectionRefusedIsUnavailable) {
  // Find a free port: bind a socket to port 0, read the port, close the socket.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  auto client = NewHttpClient();
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto res = client->Send(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable) << res.status().ToString();
}

TEST(HttpClientTest, BadUrlIsInvalidArgument) {
  auto client = NewHttpClient();
  for (const char* url : {"ftp://example.com/", "no-scheme", "http:///path"}) {
    HttpRequest req;
    req.url = url;
    auto res = client->Send(req);
    ASSERT_FALSE(res.ok()) << url;
    EXPECT_EQ(res.status().code(), StatusCode::kInvalidArgument) << url;
  }
}

TEST(HttpClientTest, SilentServerHitsReadTimeout) {
  TestServer server;
  auto client = NewHttpClient();
  HttpRequest req;
  req.url = server.Url("/hang");
  req.read_timeout_ms = 300;
  auto res = client->Send(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kDeadlineExceeded) << res.status().ToString();
}

TEST(HttpClientTest, AlreadyCancelledTokenReturnsAtOnce) {
  auto client = NewHttpClient();
  CancelToken cancel;
  cancel.Cancel();
  HttpRequest req;
  req.url = "http://127.0.0.1:1/";
  req.cancel = &cancel;
  auto res = client->Send(req);
  EXPECT_EQ(res.status().code(), StatusCode::kCancelled);
}

// Sends `path` with a long read timeout, cancels once the server has the request,
// and returns how long Send() took to come back after Cancel().
milliseconds CancelAfterArrival(TestServer& server, const std::string& path, Status* status) {
  auto client = NewHttpClient();
  CancelToken cancel;
  HttpRequest req;
  req.url = server.Url(path);
  req.read_timeout_ms = 3'000;  // without prompt cancel, Send fails late
  req.cancel = &cancel;
  req.on_body_chunk = [](std::string_view) { return true; };
  Result<HttpResponse> res = Internal("not run");
  std::thread sender([&] { res = client->Send(req); });
  server.WaitForArrival();
  auto cancelled_at = steady_clock::now();
  cancel.Cancel();
  sender.join();
  *status = res.status();
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - cancelled_at);
}

TEST(HttpClientTest, CancelAbandonsHungServerWithinOneSecond) {
  TestServer server;
  Status status;
  auto took = CancelAfterArrival(server, "/hang", &status);
  EXPECT_EQ(status.code(), StatusCode::kCancelled) << status.ToString();
  EXPECT_LT(took.count(), 1000);
}

TEST(HttpClientTest, CancelAbandonsStreamThatWentSilent) {
  TestServer server;
  Status status;
  auto took = CancelAfterArrival(server, "/hang-mid-stream", &status);
  EXPECT_EQ(status.code(), StatusCode::kCancelled) << status.ToString();
  EXPECT_LT(took.count(), 1000);
}

}  // namespace
}  // namespace ward
