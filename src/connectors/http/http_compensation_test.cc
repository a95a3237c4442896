#include "connectors/http/http_compensation.h"

#include <gtest/gtest.h>

#include "connectors/http/http_test_config.h"

namespace ward {
namespace {

HttpApiConfig Config() {
  Result<HttpApiConfig> c = testing::ParseTestConfig(
      std::string("base_url = \"https://api.example.com/v1\"\n") + testing::kAppointmentRoutes);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

HttpRouteMatch Match(const HttpApiConfig& c, const std::string& method, const std::string& path) {
  Result<HttpRouteMatch> m = MatchHttpRoute(c, method, path);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

TEST(HttpCompensationTest, CreateIsUndoneByDeletingItsLocation) {
  HttpApiConfig c = Config();
  HttpRouteMatch post = Match(c, "POST", "/appointments");
  auto pre = ResolveHttpPreImageRequest(c, post);
  ASSERT_TRUE(pre.ok());
  EXPECT_FALSE(pre->has_value());
  for (const char* location : {"/v1/appointments/42", "https://api.example.com/v1/appointments/42",
                               "HTTPS://API.example.com:443/v1/appointments/42"}) {
    auto undo = ResolveHttpUndoRequest(c, post, location);
    ASSERT_TRUE(undo.ok()) << location << ": " << undo.status().ToString();
    EXPECT_EQ(undo->method, "DELETE");
    EXPECT_EQ(undo->path, "/appointments/42");
    EXPECT_FALSE(undo->sends_pre_image);
  }
}

TEST(HttpCompensationTest, UpdateIsUndoneByPuttingThePreImageBack) {
  HttpApiConfig c = Config();
  HttpRouteMatch put = Match(c, "PUT", "/appointments/7");
  auto pre = ResolveHttpPreImageRequest(c, put);
  ASSERT_TRUE(pre.ok());
  ASSERT_TRUE(pre->has_value());
  EXPECT_EQ((*pre)->method, "GET");
  EXPECT_EQ((*pre)->path, "/appointments/7");
  auto undo = ResolveHttpUndoRequest(c, put, "");
  ASSERT_TRUE(undo.ok()) << undo.status().ToString();
  EXPECT_EQ(undo->method, "PUT");
  EXPECT_EQ(undo->path, "/appointments/7");
  EXPECT_TRUE(undo->sends_pre_image);
}

TEST(HttpCompensationTest, WriteWithoutCompensationIsIrreversible) {
  HttpApiConfig c = Config();
  auto undo = ResolveHttpUndoRequest(c, Match(c, "DELETE", "/appointments/7"), "");
  EXPECT_EQ(undo.status().code(), StatusCode::kNotFound);
  EXPECT_NE(undo.status().message().find("irreversible"), std::string::npos);
}

TEST(HttpCompensationTest, HostileLocationsAreRefused) {
  HttpApiConfig c = Config();
  HttpRouteMatch post = Match(c, "POST", "/appointments");
  for (const char* location :
       {"", "https://evil.example.com/v1/appointments/42",
        "http://api.example.com/v1/appointments/42",
        "https://api.example.com:8443/v1/appointments/42", "//evil.example.com/v1/appointments/42",
        "/v2/appointments/42", "/v10/appointments/42", "/v1/../admin/42", "/v1/appointments/%2e%2e",
        "/v1/appointments/42?x=1", "appointments/42", "/v1/admin/42", "/v1/appointments/42/extra",
        "/v1/appointments/4\r\n2"}) {
    auto undo = ResolveHttpUndoRequest(c, post, location);
    EXPECT_FALSE(undo.ok()) << "accepted: " << location;
    EXPECT_EQ(undo.status().code(), StatusCode::kFailedPrecondition) << location;
  }
}

}  // namespace
}  // namespace ward
