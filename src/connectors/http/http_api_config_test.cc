#include "connectors/http/http_api_config.h"

#include <gtest/gtest.h>

#include <string>

#include "connectors/http/http_test_config.h"

namespace ward {
namespace {

constexpr char kWhere[] = "ward.toml: [connectors.vendor]";

Result<HttpApiConfig> Parse(const std::string& text) {
  return testing::ParseTestConfig(text, kWhere);
}

// The message of a refused config, which must name `key`.
std::string ErrorOf(const std::string& text) {
  Result<HttpApiConfig> c = Parse(text);
  EXPECT_FALSE(c.ok()) << text;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message().rfind(kWhere, 0), 0u) << c.status().message();
  return c.status().message();
}

constexpr const char* kRoutes = testing::kAppointmentRoutes;

TEST(HttpApiConfigTest, ReadsAFullConfigWithDefaults) {
  Result<HttpApiConfig> c = Parse(std::string(R"(
type = "http"
base_url = "https://api.example.com/v1/"
[headers]
X-Api-Version = "2"
)") + kRoutes);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "vendor");
  EXPECT_EQ(c->base_url, "https://api.example.com/v1");
  EXPECT_EQ(c->auth.mode, HttpAuthMode::kNone);
  EXPECT_TRUE(c->verify_tls);
  EXPECT_EQ(c->connect_timeout_ms, 10'000);
  EXPECT_EQ(c->read_timeout_ms, 30'000);
  EXPECT_EQ(c->call_timeout_ms, 60'000);
  EXPECT_EQ(c->max_request_bytes, 1u << 20);
  EXPECT_EQ(c->max_response_bytes, 8u << 20);
  ASSERT_EQ(c->default_headers.size(), 1u);
  EXPECT_EQ(c->default_headers[0].first, "X-Api-Version");
  ASSERT_EQ(c->routes.size(), 2u);
  EXPECT_EQ(c->routes[1].path.segments.size(), 2u);
  EXPECT_TRUE(c->routes[1].path.segments[1].is_param);
  EXPECT_EQ(c->routes[1].path.segments[1].text, "id");

  const HttpCompensation* create_undo = c->routes[0].CompensationFor("POST");
  ASSERT_NE(create_undo, nullptr);
  EXPECT_EQ(create_undo->request.method, "DELETE");
  EXPECT_TRUE(create_undo->request.path_is_location);
  EXPECT_FALSE(create_undo->pre_image.has_value());
  EXPECT_EQ(c->routes[0].CompensationFor("GET"), nullptr);

  const HttpCompensation* update_undo = c->routes[1].CompensationFor("PUT");
  ASSERT_NE(update_undo, nullptr);
  EXPECT_EQ(update_undo->request.method, "PUT");
  EXPECT_EQ(update_undo->request.path.text, "/appointments/{id}");
  ASSERT_TRUE(update_undo->pre_image.has_value());
  EXPECT_EQ(update_undo->pre_image->method, "GET");
  EXPECT_EQ(c->routes[1].CompensationFor("DELETE"), nullptr);  // irreversible
}

TEST(HttpApiConfigTest, ReadsEachAuthMode) {
  std::string base = "base_url = \"https://api.example.com\"\n";
  auto bearer = Parse(base + "auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n" + kRoutes);
  ASSERT_TRUE(bearer.ok()) << bearer.status().ToString();
  EXPECT_EQ(bearer->auth.mode, HttpAuthMode::kBearer);
  EXPECT_EQ(bearer->auth.token_env, "VENDOR_TOKEN");

  auto basic =
      Parse(base + "auth = \"basic\"\nusername_env = \"U\"\npassword_env = \"P\"\n" + kRoutes);
  ASSERT_TRUE(basic.ok()) << basic.status().ToString();
  EXPECT_EQ(basic->auth.password_env, "P");

  auto oauth = Parse(base + R"(auth = "oauth2"
token_url = "https://login.example.com/oauth/token"
client_id_env = "CID"
client_secret_env = "CSECRET"
scopes = ["appointments.read", "appointments.write"]
token_refresh_margin_seconds = 10
)" + kRoutes);
  ASSERT_TRUE(oauth.ok()) << oauth.status().ToString();
  EXPECT_EQ(oauth->auth.mode, HttpAuthMode::kOAuth2ClientCredentials);
  EXPECT_EQ(oauth->auth.scopes.size(), 2u);
  EXPECT_EQ(oauth->auth.refresh_margin_seconds, 10);
}

TEST(HttpApiConfigTest, ErrorsNameTheKey) {
  std::string base = "base_url = \"https://api.example.com\"\n";
  struct Case {
    std::string text;
    std::string key;
  } cases[] = {
      {kRoutes, "base_url is required"},
      {"base_url = 5\n" + std::string(kRoutes), "base_url must be a string"},
      {"base_url = \"ftp://x\"\n" + std::string(kRoutes), "base_url must be an http"},
      {"base_url = \"https://user:pw@x\"\n" + std::string(kRoutes),
       "base_url must not hold a user"},
      {"base_url = \"https://x/a?b=c\"\n" + std::string(kRoutes), "base_url must not have a query"},
      {"base_url = \"https://x/a/../b\"\n" + std::string(kRoutes), "base_url path"},
      {base, "routes is required"},
      {base + "colour = \"blue\"\n" + kRoutes, "colour is not a known key"},
      {base + "type = \"sql\"\n" + kRoutes, "type must be \"http\""},
      {base + "connect_timeout_seconds = 0\n" + kRoutes, "connect_timeout_seconds must be 1-600"},
      {base + "read_timeout_seconds = \"9\"\n" + kRoutes,
       "read_timeout_seconds must be an integer"},
      {base + "call_timeout_seconds = 0\n" + kRoutes, "call_timeout_seconds must be 1-3600"},
      {base + "call_timeout_seconds = 3601\n" + kRoutes, "call_timeout_seconds must be 1-3600"},
      {base + "max_response_bytes = 0\n" + kRoutes, "max_response_bytes must be"},
      {base + "max_request_bytes = 999999999999\n" + kRoutes, "max_request_bytes must be"},
      {base + "tls_verify = \"yes\"\n" + kRoutes, "tls_verify must be true or false"},
      {base + "ca_file = \"/nonexistent/ca.pem\"\n" + kRoutes, "ca_file must name a readable"},
      {base + "tls_verify = false\nca_file = \"/etc/hostname\"\n" + kRoutes,
       "ca_file has no effect"},
      {base + "auth = \"kerberos\"\n" + kRoutes, "auth must be"},
      {base + "auth = \"bearer\"\n" + kRoutes, "token_env is required"},
      {base + "auth = \"bearer\"\ntoken_env = \"A-B\"\n" + kRoutes, "token_env must name"},
      {base + "auth = \"basic\"\nusername_env = \"U\"\n" + kRoutes, "password_env is required"},
      {base + "token_env = \"T\"\n" + kRoutes, "token_env does not apply to auth = \"none\""},
      {base + "auth = \"oauth2\"\nclient_id_env = \"I\"\nclient_secret_env = \"S\"\n" + kRoutes,
       "token_url is required"},
      {base + "auth = \"oauth2\"\ntoken_url = \"http://login.example.com/t\"\n" +
           "client_id_env = \"I\"\nclient_secret_env = \"S\"\n" + kRoutes,
       "token_url must be https://"},
      {"base_url = \"http://api.example.com\"\nauth = \"bearer\"\ntoken_env = \"T\"\n" +
           std::string(kRoutes),
       "base_url must be https://"},
      {base + "auth = \"oauth2\"\ntoken_url = \"https://l/t\"\nclient_id_env = \"I\"\n" +
           "client_secret_env = \"S\"\nscopes = [\"a b\"]\n" + kRoutes,
       "scopes must hold scope tokens"},
      {base + "[headers]\nAuthorization = \"Bearer x\"\n" + kRoutes,
       "headers.Authorization is refused"},
      {base + "[headers]\nHost = \"evil\"\n" + kRoutes, "headers.Host is refused"},
      {base + "[headers]\nX-A = \"a\\r\\nX-B: b\"\n" + kRoutes, "headers.X-A is refused"},
      {base + "expose_headers = [\"Set-Cookie\"]\n" + kRoutes, "expose_headers is refused"},
      {base + "[[routes]]\nmethods = [\"GET\"]\n", "routes[0].path is required"},
      {base + "[[routes]]\npath = \"/a\"\n", "routes[0].methods is required"},
      {base + "[[routes]]\npath = \"/a\"\nmethods = [\"get\"]\n", "routes[0].methods must hold"},
      {base + "[[routes]]\npath = \"/a\"\nmethods = [\"TRACE\"]\n", "routes[0].methods must hold"},
      {base + "[[routes]]\npath = \"/a/*\"\nmethods = [\"GET\"]\n",
       "routes[0].path has a wildcard"},
      {base + "[[routes]]\npath = \"/a/**/b\"\nmethods = [\"GET\"]\n",
       "routes[0].path has a wildcard"},
      {base + "[[routes]]\npath = \"/a/../b\"\nmethods = [\"GET\"]\n", "routes[0].path"},
      {base + "[[routes]]\npath = \"/a//b\"\nmethods = [\"GET\"]\n", "routes[0].path has an empty"},
      {base + "[[routes]]\npath = \"/a/%2e%2e\"\nmethods = [\"GET\"]\n", "routes[0].path"},
      {base + "[[routes]]\npath = \"a\"\nmethods = [\"GET\"]\n", "routes[0].path must start"},
      {base + "[[routes]]\npath = \"/a/x{id}\"\nmethods = [\"GET\"]\n", "routes[0].path has a '{'"},
      {base + "[[routes]]\npath = \"/a/{id}/{id}\"\nmethods = [\"GET\"]\n", "routes[0].path names"},
      {base + "[[routes]]\npath = \"/a\"\nmethods = [\"GET\"]\nextra = 1\n",
       "routes[0].extra is not a known key"},
      {base + "[[routes]]\npath = \"/a\"\nmethods = [\"GET\"]\nundo.GET = \"DELETE /a\"\n",
       "routes[0].undo.GET must be keyed by a write method"},
      {base + "[[routes]]\npath = \"/a\"\nmethods = [\"GET\"]\nundo.POST = \"DELETE /a\"\n",
       "routes[0].undo.POST undoes a method this route does not allow"},
      {base +
           "[[routes]]\npath = \"/a\"\nmethods = [\"POST\"]\nundo.POST = \"DELETE {location}\"\n",
       "routes[0].undo.POST is not an allowed route"},
      {base + "[[routes]]\npath = \"/a\"\nmethods = [\"POST\"]\nundo.POST = \"REMOVE /a\"\n",
       "routes[0].undo.POST must be \"METHOD /path\""},
      {base + "[[routes]]\npath = \"/a\"\nmethods = [\"POST\", \"DELETE\"]\n" +
           "undo.POST = \"DELETE /a/{id}\"\n",
       "routes[0].undo.POST uses a {parameter} that /a does not bind"},
      {base + "[[routes]]\npath = \"/a/{id}\"\nmethods = [\"PUT\"]\n" +
           "undo.PUT = { request = \"PUT /a/{id}\", pre_image = \"GET /a/{id}\" }\n",
       "routes[0].undo.PUT.pre_image is not an allowed route"},
      {base + "[[routes]]\npath = \"/a/{id}\"\nmethods = [\"GET\", \"PUT\", \"DELETE\"]\n" +
           "undo.PUT = { request = \"DELETE /a/{id}\", pre_image = \"GET /a/{id}\" }\n",
       "routes[0].undo.PUT.pre_image is sent back as a body"},
      {base + "[[routes]]\npath = \"/a/{id}\"\nmethods = [\"GET\", \"PUT\"]\n" +
           "undo.PUT = { request = \"PUT /a/{id}\", pre_image = \"PUT /a/{id}\" }\n",
       "routes[0].undo.PUT.pre_image must be \"GET /path\""},
      {base + "[[routes]]\npath = \"/a/{id}\"\nmethods = [\"GET\", \"PUT\"]\n" +
           "undo.PUT = { request = \"PUT /a/{id}\", pre = \"GET /a/{id}\" }\n",
       "routes[0].undo.PUT.pre is not a known key"},
      {base + "[[routes]]\npath = \"/a/{location}\"\nmethods = [\"GET\"]\n",
       "routes[0].path uses {location}"},
  };
  for (const Case& c : cases) {
    std::string message = ErrorOf(c.text);
    EXPECT_NE(message.find(c.key), std::string::npos)
        << "expected '" << c.key << "' in: " << message;
  }
}

TEST(HttpApiConfigTest, AllowsHttpWithCredentialsOnlyToLoopback) {
  std::string text =
      "base_url = \"http://127.0.0.1:8080/v1\"\nauth = \"oauth2\"\n"
      "token_url = \"http://localhost:9/token\"\nclient_id_env = \"I\"\n"
      "client_secret_env = \"S\"\n" +
      std::string(kRoutes);
  Result<HttpApiConfig> c = Parse(text);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST(HttpApiConfigTest, UndoToALiteralUnderAParameterRouteIsAllowed) {
  Result<HttpApiConfig> c = Parse(R"(
base_url = "https://api.example.com"
[[routes]]
methods = ["POST"]
path = "/appointments/{id}/book"
undo.POST = "POST /appointments/{id}/cancel"
[[routes]]
methods = ["POST"]
path = "/appointments/{any}/{action}"
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->routes[0].CompensationFor("POST")->request.path.text, "/appointments/{id}/cancel");
}

TEST(HttpPathPatternTest, ParsesLiteralsParametersAndTrailingSlash) {
  auto p = ParseHttpPathPattern("/v2/items/{item_id}/");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->segments.size(), 4u);
  EXPECT_FALSE(p->segments[0].is_param);
  EXPECT_TRUE(p->segments[2].is_param);
  EXPECT_EQ(p->segments[3].text, "");
  EXPECT_TRUE(ParseHttpPathPattern("/").ok());
  EXPECT_FALSE(ParseHttpPathPattern("/{}").ok());
  EXPECT_FALSE(ParseHttpPathPattern("/{1x}").ok());
  EXPECT_FALSE(ParseHttpPathPattern("/a\\b").ok());
  EXPECT_FALSE(ParseHttpPathPattern("/a b").ok());
}

}  // namespace
}  // namespace ward
