// `ward serve` and `ward ehr serve` under slow, silent and abusive clients: the
// real binaries on loopback, 200 connections trickling request headers (or, over
// TLS, their handshake), a TLS client trickling headers past the request
// deadline, a second server on a port in use, and an oversized EHR request.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "ward_server_process.h"

namespace ward::testing {
namespace {

constexpr int kSlowClients = 200;

// Connections that send the start of a request and then a byte now and then,
// never finishing their headers.
class Tricklers {
 public:
  // `head` defaults to the start of a request; over TLS, the start of a record.
  Tricklers(int port, int n,
            const std::string& head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ") {
    for (int i = 0; i < n; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ADD_FAILURE() << "connection " << i << " failed: " << strerror(errno);
        if (fd >= 0) ::close(fd);
        continue;
      }
      ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
      fds_.push_back(fd);
    }
  }
  ~Tricklers() {
    for (int fd : fds_) ::close(fd);
  }
  // One more header byte on every connection still open.
  void Trickle() {
    for (int fd : fds_) ::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  }

 private:
  std::vector<int> fds_;
};

struct Probe {
  int status = 0;
  int64_t ms = 0;
};

// GET `path` on a fresh connection (HTTPS without verification when `tls`),
// giving up after 1 s.
Probe Get(int port, const std::string& path, bool tls = false) {
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<httplib::ClientImpl> client;
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    ssl->enable_server_certificate_verification(false);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>("127.0.0.1", port);
  }
  client->set_connection_timeout(1, 0);
  client->set_read_timeout(1, 0);
  client->set_write_timeout(1, 0);
  auto res = client->Get(path.c_str());
  Probe p;
  p.status = res ? res->status : 0;
  p.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
             .count();
  return p;
}

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

// `ward ehr serve --port 0 extra...` on an empty temporary database.
class EhrServer {
 public:
  explicit EhrServer(const std::vector<std::string>& extra = {}) {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_slow_ehr_" + std::to_string(getpid()) + "_" + std::to_string(rand()));
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args = {"ehr", "serve", "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<WardProcess>(args, Env());
    std::string line = process_->ReadLine(60'000);
    size_t at = line.find("http://");
    if (at == std::string::npos) {
      ADD_FAILURE() << "no URL from ward ehr serve: " << line << process_->Wait(5000).err;
      return;
    }
    url_ = line.substr(at);
  }
  ~EhrServer() {
    process_->Signal(SIGTERM);
    process_->Wait(20'000);
    std::filesystem::remove_all(dir_);
  }
  std::map<std::string, std::string> Env() const { return {{"HOME", dir_.string()}}; }
  int port() const { return url_.empty() ? 0 : PortOf(url_); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<WardProcess> process_;
  std::string url_;
};

// Rounds of: every slow client sends one more byte, then `path` must answer at once.
void ExpectPromptUnderTricklers(int port, const std::string& path, bool tls = false) {
  // Over TLS: a handshake record announcing 16 KiB that never arrives.
  Tricklers slow = tls ? Tricklers(port, kSlowClients, std::string("\x16\x03\x01\x40\x00", 5))
                       : Tricklers(port, kSlowClients);
  for (int round = 0; round < 3; ++round) {
    slow.Trickle();
    Probe p = Get(port, path, tls);
    EXPECT_EQ(p.status, 200) << path << " round " << round;
    EXPECT_LT(p.ms, 1000) << path << " round " << round;
  }
}

TEST(SlowClientsTest, WardServeAnswersHealthzWhile200ClientsTrickleHeaders) {
  ServedHome home("slow_serve");
  std::string url = home.Serve();
  ASSERT_FALSE(url.empty());
  ExpectPromptUnderTricklers(PortOf(url), "/healthz");
}

TEST(SlowClientsTest, WardServeOverTlsAnswersHealthzWhile200ClientsTrickleTheirHandshake) {
  ServedHome home("slow_tls");
  std::string url = home.Serve({"--tls-self-signed"});
  ASSERT_EQ(url.rfind("https://", 0), 0u) << url;
  ExpectPromptUnderTricklers(PortOf(url), "/healthz", /*tls=*/true);
}

// A TLS client that completes its handshake, then sends a request's headers a
// byte every 200 ms, is cut off once the request deadline passes (each byte
// arrives well within the per-read timeout, so only a whole-request deadline
// ends it).
TEST(SlowClientsTest, WardServeOverTlsCutsOffAClientTricklingHeadersPastTheDeadline) {
  std::signal(SIGPIPE, SIG_IGN);  // writing to the cut-off connection must not end the test
  ServedHome home("slow_tls_deadline");
  {
    std::ofstream toml(home.home() / "ward.toml", std::ios::app);
    toml << "\n[server]\nread_timeout_seconds = 2\n";
  }
  std::string url = home.Serve({"--tls-self-signed"});
  ASSERT_EQ(url.rfind("https://", 0), 0u) << url;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(PortOf(url)));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval five{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  ASSERT_EQ(SSL_connect(ssl), 1);
  std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  ASSERT_GT(SSL_write(ssl, head.data(), static_cast<int>(head.size())), 0);
  auto start = std::chrono::steady_clock::now();
  bool cut_off = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(8)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    char byte;
    if (::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0 || SSL_write(ssl, "a", 1) <= 0) {
      cut_off = true;
      break;
    }
  }
  auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
          .count();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  EXPECT_TRUE(cut_off) << "still open after " << seconds << " s of trickling";
  EXPECT_LE(seconds, 4);
}

TEST(SlowClientsTest, EhrAnswersMetadataWhile200ClientsTrickleHeaders) {
  EhrServer ehr;
  ASSERT_NE(ehr.port(), 0);
  ExpectPromptUnderTricklers(ehr.port(), "/fhir/metadata");
}

TEST(SlowClientsTest, ASecondWardServeOnAPortInUseRefusesToStart) {
  ServedHome first("port_first");
  std::string url = first.Serve();
  ASSERT_FALSE(url.empty());
  ServedHome second("port_second");
  auto r = RunWard({"serve", "--port", std::to_string(PortOf(url))}, second.Env(), 20'000);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot bind"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("http"), std::string::npos) << r.out;
}

TEST(SlowClientsTest, ASecondEhrOnAPortInUseRefusesToStart) {
  EhrServer first;
  ASSERT_NE(first.port(), 0);
  auto r = RunWard({"ehr", "serve", "--port", std::to_string(first.port())}, first.Env(), 20'000);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot bind"), std::string::npos) << r.err;
}

TEST(SlowClientsTest, TheEhrRefusesBodiesOverItsLimitWithAnOperationOutcome) {
  EhrServer ehr({"--max-body-mb", "1"});
  ASSERT_NE(ehr.port(), 0);
  httplib::Client client("127.0.0.1", ehr.port());
  std::string big = R"({"resourceType":"Patient","text":")" + std::string(2 << 20, 'x') + "\"}";
  auto res = client.Post("/fhir/Patient", big, "application/fhir+json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(res->body.find("OperationOutcome"), std::string::npos) << res->body;
  auto small = client.Get("/fhir/metadata");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);
}

}  // namespace
}  // namespace ward::testing
