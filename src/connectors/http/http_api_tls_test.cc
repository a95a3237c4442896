// HttpApi over TLS against a loopback HTTPS server with a self-signed certificate
// (made by ward serve's own helper): verification is on by default, a custom CA
// file makes the certificate trusted, and tls_verify = false skips the check.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "connectors/http/http_api.h"
#include "server/tls.h"

namespace ward {
namespace {

class HttpApiTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("ward_http_tls_test_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Result<server::TlsFiles> tls = server::EnsureSelfSignedCertificate(dir_.string(), "");
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    cert_ = tls->cert;
    server_ = std::make_unique<httplib::SSLServer>(tls->cert.c_str(), tls->key.c_str());
    ASSERT_TRUE(server_->is_valid());
    server_->Get("/v1/ping", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"pong\":true}", "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::yield();
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    std::filesystem::remove_all(dir_);
  }

  Result<HttpApiResponse> Ping(const std::string& tls_settings) {
    std::string text = "base_url = \"https://127.0.0.1:" + std::to_string(port_) + "/v1\"\n" +
                       tls_settings + "[[routes]]\nmethods = [\"GET\"]\npath = \"/ping\"\n";
    toml::table table = toml::parse(text);
    Result<HttpApiConfig> config = ParseHttpApiConfig(table, "vendor", "test");
    if (!config.ok()) return config.status();
    HttpApi api(*std::move(config));
    HttpApiRequest request;
    request.method = "GET";
    request.path = "/ping";
    return api.Call(request);
  }

  std::filesystem::path dir_;
  std::string cert_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(HttpApiTlsTest, AnUntrustedCertificateIsRefusedByDefault) {
  Result<HttpApiResponse> res = Ping("");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable) << res.status().ToString();
}

TEST_F(HttpApiTlsTest, ACustomCaFileMakesItTrusted) {
  Result<HttpApiResponse> res = Ping("ca_file = \"" + cert_ + "\"\n");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->json["pong"], true);
}

TEST_F(HttpApiTlsTest, VerificationCanBeTurnedOff) {
  Result<HttpApiResponse> res = Ping("tls_verify = false\n");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace ward
