// HttpApi against real loopback servers: a vendor API and an OAuth token endpoint
// (test fixtures in http_test_servers.h), with an injected environment and clock.
#include "connectors/http/http_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "connectors/http/http_test_config.h"
#include "connectors/http/http_test_servers.h"
#include "util/encoding.h"

namespace ward {
namespace {

using testing::OAuthTokenTestServer;
using testing::VendorApiTestServer;

constexpr char kToken[] = "s3cret-bearer-token-value";
constexpr char kPassword[] = "s3cret-basic-password";
constexpr char kClientSecret[] = "s3cret client+secret:value";

class HttpApiTest : public ::testing::Test {
 protected:
  // A config for the vendor fixture; `extra` is TOML added at the top level.
  HttpApiConfig Config(const std::string& extra = "") {
    std::string text =
        "base_url = \"" + vendor_.Url("/v1") + "\"\n" + extra + testing::kAppointmentRoutes + R"(
[[routes]]
methods = ["GET"]
path = "/echo"
[[routes]]
methods = ["GET"]
path = "/echo-escaped"
[[routes]]
methods = ["GET"]
path = "/text"
[[routes]]
methods = ["GET"]
path = "/bad-json"
[[routes]]
methods = ["GET"]
path = "/binary"
[[routes]]
methods = ["GET"]
path = "/redirect"
[[routes]]
methods = ["GET"]
path = "/empty"
[[routes]]
methods = ["GET"]
path = "/endless"
[[routes]]
methods = ["GET"]
path = "/endless-error"
[[routes]]
methods = ["GET"]
path = "/unimplemented"
)";
    Result<HttpApiConfig> c = testing::ParseTestConfig(text);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : HttpApiConfig{};
  }

  std::string OAuthSettings(const std::string& more = "") {
    return "auth = \"oauth2\"\ntoken_url = \"" + tokens_.Url("/token") +
           "\"\nclient_id_env = \"VENDOR_CLIENT_ID\"\nclient_secret_env = "
           "\"VENDOR_CLIENT_SECRET\"\nscopes = [\"appointments.read\", \"appointments.write\"]\n" +
           more;
  }

  std::unique_ptr<HttpApi> Api(HttpApiConfig config) {
    HttpApiOptions options;
    options.clock = &clock_;
    options.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return std::make_unique<HttpApi>(std::move(config), std::move(options));
  }

  static HttpApiRequest Get(const std::string& path) {
    HttpApiRequest r;
    r.method = "GET";
    r.path = path;
    return r;
  }

  // Fails when any status message or returned text holds a secret.
  static void ExpectNoSecret(const std::string& text) {
    for (std::string secret : {std::string(kToken), std::string(kPassword),
                               std::string(kClientSecret), FormUrlEncode(kClientSecret)}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << "secret in: " << text;
    }
  }

  void TearDown() override { stall_.Release(); }

  testing::RequestStall stall_;  // outlives the servers, whose handlers may wait on it
  VendorApiTestServer vendor_;
  OAuthTokenTestServer tokens_;
  ManualClock clock_;
  std::map<std::string, std::string> env_ = {{"VENDOR_TOKEN", kToken},
                                             {"VENDOR_USER", "ward-bot"},
                                             {"VENDOR_PASSWORD", kPassword},
                                             {"VENDOR_CLIENT_ID", "ward client"},
                                             {"VENDOR_CLIENT_SECRET", kClientSecret}};
};

TEST_F(HttpApiTest, NoAuthSendsNoAuthorizationAndDecodesJson) {
  auto api = Api(Config());
  HttpApiRequest r = Get("/appointments");
  r.query = {{"date", "2026-11-29"}, {"q", "a b&c=d"}};
  Result<HttpApiResponse> res = api->Call(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  ASSERT_EQ(res->body_kind, HttpBodyKind::kJson);
  EXPECT_EQ(res->json.size(), 2u);
  EXPECT_EQ(res->json[1]["id"], "2");
  auto got = vendor_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Authorization"), "");
  EXPECT_EQ(got[0].Header("Accept"), "application/json");
  EXPECT_EQ(got[0].raw_target, "/v1/appointments?date=2026-11-29&q=a%20b%26c%3Dd");
  EXPECT_EQ(got[0].params.find("q")->second, "a b&c=d");
}

TEST_F(HttpApiTest, BearerTokenIsReadFromTheNamedVariableAtCallTime) {
  auto api = Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"));
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  env_["VENDOR_TOKEN"] = "rotated-token-value";
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  auto got = vendor_.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Header("Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(got[1].Header("Authorization"), "Bearer rotated-token-value");
}

TEST_F(HttpApiTest, BasicAuthSendsBase64OfUserAndPassword) {
  auto api =
      Api(Config("auth = \"basic\"\nusername_env = \"VENDOR_USER\"\n"
                 "password_env = \"VENDOR_PASSWORD\"\n"));
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  auto got = vendor_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Authorization"),
            "Basic " + Base64Encode(std::string("ward-bot:") + kPassword));
}

TEST_F(HttpApiTest, MissingVariableIsAnErrorNamingItAndNothingIsSent) {
  env_.erase("VENDOR_TOKEN");
  auto api = Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"));
  Result<HttpApiResponse> res = api->Call(Get("/appointments"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(res.status().message().find("VENDOR_TOKEN is not set"), std::string::npos);
  env_["VENDOR_TOKEN"] = "";
  EXPECT_NE(api->Call(Get("/appointments")).status().message().find("VENDOR_TOKEN is empty"),
            std::string::npos);
  env_["VENDOR_TOKEN"] = std::string(kToken) + "\r\nX-Injected: 1";
  Result<HttpApiResponse> injected = api->Call(Get("/appointments"));
  EXPECT_NE(injected.status().message().find("control character"), std::string::npos);
  ExpectNoSecret(injected.status().message());
  EXPECT_EQ(vendor_.received_count(), 0u);
}

TEST_F(HttpApiTest, OAuth2FetchesATokenWithClientCredentialsAndCachesIt) {
  auto api = Api(Config(OAuthSettings()));
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  auto token_requests = tokens_.received();
  ASSERT_EQ(token_requests.size(), 1u);
  const auto& t = token_requests[0];
  // RFC 6749 §2.3.1: id and secret form-encoded, then HTTP Basic.
  EXPECT_EQ(t.Header("Authorization"),
            "Basic " + Base64Encode("ward+client:" + FormUrlEncode(kClientSecret)));
  EXPECT_EQ(t.Header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(t.body, "grant_type=client_credentials&scope=appointments.read+appointments.write");
  auto got = vendor_.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Header("Authorization"), "Bearer token-1");
  EXPECT_EQ(got[1].Header("Authorization"), "Bearer token-1");
}

TEST_F(HttpApiTest, OAuth2TokenIsRenewedWhenItExpiresByTheClock) {
  tokens_.SetExpiresIn(300);
  auto api = Api(Config(OAuthSettings("token_refresh_margin_seconds = 60\n")));
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  clock_.Advance(239'000);  // 300 s minus the 60 s margin, less one second
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  EXPECT_EQ(tokens_.received_count(), 1u);
  clock_.Advance(1'000);
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  EXPECT_EQ(tokens_.received_count(), 2u);
  auto got = vendor_.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].Header("Authorization"), "Bearer token-1");
  EXPECT_EQ(got[2].Header("Authorization"), "Bearer token-2");
}

TEST_F(HttpApiTest, OAuth2HugeExpiresInIsCappedNotOverflowed) {
  tokens_.SetReply(200, "{\"access_token\":\"long-lived\",\"expires_in\":9223372036854775807}");
  auto api = Api(Config(OAuthSettings()));
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  clock_.Advance(300LL * 86400 * 1000);
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  EXPECT_EQ(tokens_.received_count(), 1u);
  clock_.Advance(70LL * 86400 * 1000);  // past the one-year cap
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  EXPECT_EQ(tokens_.received_count(), 2u);
}

TEST_F(HttpApiTest, OAuth2RefreshesOnceOn401AndRetriesOnce) {
  tokens_.SetExpiresIn(-1);  // no expires_in: kept until a 401
  vendor_.RequireAuthorization("Bearer token-2");
  auto api = Api(Config(OAuthSettings()));
  Result<HttpApiResponse> res = api->Call(Get("/appointments"));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(tokens_.received_count(), 2u);
  auto got = vendor_.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Header("Authorization"), "Bearer token-1");
  EXPECT_EQ(got[1].Header("Authorization"), "Bearer token-2");
  // The fresh token is cached from then on.
  ASSERT_TRUE(api->Call(Get("/appointments")).ok());
  EXPECT_EQ(tokens_.received_count(), 2u);
}

TEST_F(HttpApiTest, OAuth2ConcurrentCallsShareOneTokenFetch) {
  auto api = Api(Config(OAuthSettings()));
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&] {
      if (api->Call(Get("/appointments")).ok()) ++ok;
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(tokens_.received_count(), 1u);
  EXPECT_EQ(vendor_.received_count(), 6u);
}

TEST_F(HttpApiTest, ACancelledCallSendsNothing) {
  auto api = Api(Config(OAuthSettings()));
  CancelToken cancel;
  cancel.Cancel();
  HttpApiRequest r = Get("/appointments");
  r.cancel = &cancel;
  EXPECT_EQ(api->Call(r).status().code(), StatusCode::kCancelled);
  EXPECT_EQ(tokens_.received_count(), 0u);
  EXPECT_EQ(vendor_.received_count(), 0u);
}

// The call's deadline covers the token fetch: a token endpoint that stalls is
// cut off, and the API never saw the request.
TEST_F(HttpApiTest, AStalledTokenFetchIsCutOffAtTheDeadlineAndNothingIsSent) {
  auto api = Api(Config(OAuthSettings()));
  tokens_.on_request = [this] {
    clock_.Advance(61'000);
    stall_.Wait();
  };
  HttpCallDeadline deadline(&clock_, 60'000, nullptr);
  HttpApiRequest r = Get("/appointments");
  r.deadline = &deadline;
  HttpCallStage stage = HttpCallStage::kSent;
  Result<HttpApiResponse> res = api->Call(r, &stage);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(res.status().message().find("call_timeout_seconds"), std::string::npos)
      << res.status().message();
  EXPECT_EQ(stage, HttpCallStage::kNotSent);
  EXPECT_EQ(vendor_.received_count(), 0u);
}

// ... and the token refresh after a 401: the API refused the first send, so a
// call cut off while refreshing was not acted on.
TEST_F(HttpApiTest, ARefreshAfterA401IsWithinTheSameDeadline) {
  vendor_.RequireAuthorization("Bearer token-2");
  auto api = Api(Config(OAuthSettings()));
  int fetched = 0;
  tokens_.on_request = [this, &fetched] {
    if (++fetched < 2) return;
    clock_.Advance(61'000);
    stall_.Wait();
  };
  HttpCallDeadline deadline(&clock_, 60'000, nullptr);
  HttpApiRequest r = Get("/appointments");
  r.deadline = &deadline;
  HttpCallStage stage = HttpCallStage::kSent;
  Result<HttpApiResponse> res = api->Call(r, &stage);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kDeadlineExceeded) << res.status().message();
  EXPECT_EQ(stage, HttpCallStage::kNotSent);
  EXPECT_EQ(vendor_.received_count(), 1u) << "only the first send, answered 401";
}

TEST_F(HttpApiTest, OAuth2NeverLoopsOnARepeated401) {
  vendor_.RequireAuthorization("Bearer never-issued");
  auto api = Api(Config(OAuthSettings()));
  Result<HttpApiResponse> res = api->Call(Get("/appointments"));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(vendor_.received_count(), 2u);
  EXPECT_EQ(tokens_.received_count(), 2u);
}

TEST_F(HttpApiTest, BearerDoesNotRetryA401) {
  vendor_.RequireAuthorization("Bearer something-else");
  auto api = Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"));
  Result<HttpApiResponse> res = api->Call(Get("/appointments"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(vendor_.received_count(), 1u);
}

TEST_F(HttpApiTest, FailingTokenEndpointIsAClearErrorWithoutSecrets) {
  tokens_.SetReply(401, std::string("{\"error\":\"invalid_client\",\"error_description\":\"") +
                            kClientSecret + "\"}");
  auto api = Api(Config(OAuthSettings()));
  Result<HttpApiResponse> res = api->Call(Get("/appointments"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(res.status().message().find("HTTP 401, error \"invalid_client\""), std::string::npos)
      << res.status().message();
  ExpectNoSecret(res.status().message());

  tokens_.SetReply(503, "{}");
  res = api->Call(Get("/appointments"));
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
  tokens_.SetReply(200, "{\"token_type\":\"Bearer\"}");
  res = api->Call(Get("/appointments"));
  EXPECT_NE(res.status().message().find("without an access_token"), std::string::npos);
  tokens_.SetReply(200, "{\"access_token\":\"x\",\"token_type\":\"mac\"}");
  res = api->Call(Get("/appointments"));
  EXPECT_NE(res.status().message().find("other than Bearer"), std::string::npos);
  tokens_.SetReply(200, "{\"access_token\":\"a\\r\\nX-Evil: 1\",\"token_type\":\"Bearer\"}");
  res = api->Call(Get("/appointments"));
  EXPECT_NE(res.status().message().find("malformed access_token"), std::string::npos);
  EXPECT_EQ(vendor_.received_count(), 0u);
}

TEST_F(HttpApiTest, UnreachableTokenEndpointIsUnavailable) {
  HttpApiConfig config = Config(OAuthSettings());
  config.auth.token_url = "http://127.0.0.1:1/token";
  config.connect_timeout_ms = 2'000;
  auto api = Api(std::move(config));
  Result<HttpApiResponse> res = api->Call(Get("/appointments"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
  ExpectNoSecret(res.status().message());
}

TEST_F(HttpApiTest, SecretsEchoedByTheApiAreRedacted) {
  auto api =
      Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"
                 "expose_headers = [\"X-Echo-Authorization\"]\n"));
  Result<HttpApiResponse> res = api->Call(Get("/echo"));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->body_kind, HttpBodyKind::kJson);
  EXPECT_EQ(res->json["Authorization"], "Bearer [redacted]");
  EXPECT_EQ(res->Header("x-echo-authorization"), "Bearer [redacted]");
  ExpectNoSecret(res->json.dump());
  for (const auto& [name, value] : res->headers) ExpectNoSecret(value);
}

// Escaped in the JSON, the secret does not match byte for byte; decoded, it would
// reach the guest unless the decoded strings are redacted too.
TEST_F(HttpApiTest, SecretsEchoedJsonEscapedAreRedactedOnceDecoded) {
  auto api = Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"));
  Result<HttpApiResponse> res = api->Call(Get("/echo-escaped"));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->body_kind, HttpBodyKind::kJson);
  EXPECT_EQ(res->json["auth"], "Bearer [redacted]");
  ExpectNoSecret(res->json.dump());
}

TEST_F(HttpApiTest, BasicAndOAuthSecretsEchoedAreRedactedToo) {
  auto basic =
      Api(Config("auth = \"basic\"\nusername_env = \"VENDOR_USER\"\n"
                 "password_env = \"VENDOR_PASSWORD\"\n"));
  Result<HttpApiResponse> res = basic->Call(Get("/echo"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->json["Authorization"], "Basic [redacted]");
  auto oauth = Api(Config(OAuthSettings()));
  res = oauth->Call(Get("/echo"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->json["Authorization"], "Bearer [redacted]");
}

TEST_F(HttpApiTest, ResponseHeadersAreFiltered) {
  auto api = Api(Config());
  Result<HttpApiResponse> res = api->Call(Get("/appointments"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Header("etag"), "W/\"7\"");
  EXPECT_EQ(res->Header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(res->Header("set-cookie"), "");
  EXPECT_EQ(res->Header("x-internal-secret"), "");
  EXPECT_EQ(res->Header("x-trace"), "");
  for (const auto& [name, value] : res->headers) {
    EXPECT_TRUE(name == "etag" || name == "content-type") << name;
  }
  auto exposing = Api(Config("expose_headers = [\"X-Trace\"]\n"));
  res = exposing->Call(Get("/appointments"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Header("x-trace"), "trace-1");
  EXPECT_EQ(res->Header("set-cookie"), "");
}

TEST_F(HttpApiTest, CreateReturnsStatusLocationAndEchoedJson) {
  auto api = Api(Config());
  HttpApiRequest r;
  r.method = "POST";
  r.path = "/appointments";
  r.body = nlohmann::json{{"patient", "p1"}, {"start", "2026-12-01T09:00:00Z"}};
  Result<HttpApiResponse> res = api->Call(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->Header("location"), "/v1/appointments/42");
  EXPECT_EQ(res->json["patient"], "p1");
  auto got = vendor_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(got[0].body), *r.body);
}

TEST_F(HttpApiTest, TextJsonSuffixEmptyBinaryAndMalformedBodies) {
  auto api = Api(Config());
  Result<HttpApiResponse> text = api->Call(Get("/text"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->body_kind, HttpBodyKind::kText);
  EXPECT_EQ(text->text, "plain words");
  Result<HttpApiResponse> fhir = api->Call(Get("/appointments/7"));  // application/fhir+json
  ASSERT_TRUE(fhir.ok());
  EXPECT_EQ(fhir->body_kind, HttpBodyKind::kJson);
  EXPECT_EQ(fhir->json["id"], "7");
  Result<HttpApiResponse> empty = api->Call(Get("/empty"));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->status, 204);
  EXPECT_EQ(empty->body_kind, HttpBodyKind::kEmpty);
  Result<HttpApiResponse> bad = api->Call(Get("/bad-json"));
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->body_kind, HttpBodyKind::kText);
  EXPECT_EQ(bad->text, "{not json");
  Result<HttpApiResponse> binary = api->Call(Get("/binary"));
  ASSERT_TRUE(binary.ok());
  EXPECT_EQ(binary->body_kind, HttpBodyKind::kBinary);
  EXPECT_EQ(binary->base64, Base64Encode(std::string("\x89PNG\r\n\x1a\n\xff\x00", 10)));
  EXPECT_EQ(binary->text, "");
  Result<HttpApiResponse> missing = api->Call(Get("/unimplemented"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpApiTest, RedirectsAreReturnedNotFollowed) {
  auto api = Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"));
  Result<HttpApiResponse> res = api->Call(Get("/redirect"));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 302);
  EXPECT_EQ(res->Header("location"), "/v1/appointments");
  EXPECT_EQ(vendor_.received_count(), 1u);
}

TEST_F(HttpApiTest, DeeplyNestedJsonIsNotParsedPastTheDepthLimit) {
  auto api = Api(Config());
  HttpApiRequest r;
  r.method = "PUT";
  r.path = "/appointments/deep";  // the fixture echoes the body back as JSON
  nlohmann::json deep = 1;
  for (int i = 0; i < 200; ++i) deep = nlohmann::json::array({deep});
  r.body = deep;
  Result<HttpApiResponse> res = api->Call(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body_kind, HttpBodyKind::kText);  // over 128 levels: kept as text
}

TEST_F(HttpApiTest, RouteAllowlistMissesAreRefusedBeforeAnythingIsSent) {
  auto api = Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"));
  Result<HttpApiResponse> res = api->Call(Get("/admin/users"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(res.status().message().find("allowed: GET, POST /appointments"), std::string::npos);
  HttpApiRequest del;
  del.method = "DELETE";
  del.path = "/appointments";
  EXPECT_EQ(api->Call(del).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(vendor_.received_count(), 0u);
}

TEST_F(HttpApiTest, PathAttacksNeverReachTheServer) {
  auto api = Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"));
  for (const char* path :
       {"/appointments/..", "/appointments/../../admin", "/appointments/%2e%2e",
        "/appointments/%2E%2E/%2e%2e/admin", "/appointments/x%2fadmin", "/appointments/x%5cadmin",
        "//127.0.0.1/v1/appointments", "/appointments//x", "http://127.0.0.1:1/v1/appointments",
        "/appointments/1\r\nHost: evil", "/appointments/1%0d%0aX: y", "/appointments/1?x=y",
        "/../v1/appointments", "/appointments/%252e%252e"}) {
    Result<HttpApiResponse> res = api->Call(Get(path));
    EXPECT_FALSE(res.ok()) << path;
  }
  EXPECT_EQ(vendor_.received_count(), 0u);
}

TEST_F(HttpApiTest, HeaderSmugglingIsRefused) {
  auto api =
      Api(Config("auth = \"bearer\"\ntoken_env = \"VENDOR_TOKEN\"\n"
                 "[headers]\nX-Tenant = \"hospital-1\"\n"));
  std::vector<std::pair<std::string, std::string>> attacks = {
      {"Authorization", "Bearer attacker"},
      {"authorization", "x"},
      {"Proxy-Authorization", "x"},
      {"Cookie", "session=x"},
      {"Host", "evil.example.com"},
      {"Content-Length", "0"},
      {"Transfer-Encoding", "chunked"},
      {"Connection", "close"},
      {"X-Tenant", "hospital-2"},
      {"x-tenant", "hospital-2"},
      {"X-Ok", "a\r\nAuthorization: Bearer attacker"},
      {"X-Ok", "a\nHost: evil"},
      {"X Bad", "x"},
      {"X-Ok:", "x"},
      {"", "x"}};
  for (const auto& [name, value] : attacks) {
    HttpApiRequest r = Get("/appointments");
    r.headers = {{name, value}};
    Result<HttpApiResponse> res = api->Call(r);
    EXPECT_FALSE(res.ok()) << name;
    EXPECT_EQ(res.status().code(), StatusCode::kInvalidArgument) << name;
  }
  HttpApiRequest q = Get("/appointments");
  q.query = {{"a", "1\r\nHost: evil"}};
  EXPECT_EQ(api->Call(q).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(vendor_.received_count(), 0u);

  HttpApiRequest ok = Get("/appointments");
  ok.headers = {{"X-Request-Id", "r-1"}, {"Accept", "application/vnd.x+json"}};
  ASSERT_TRUE(api->Call(ok).ok());
  auto got = vendor_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("X-Request-Id"), "r-1");
  EXPECT_EQ(got[0].Header("X-Tenant"), "hospital-1");
  EXPECT_EQ(got[0].Header("Accept"), "application/vnd.x+json");
  EXPECT_EQ(got[0].Header("Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(got[0].Header("Host"), "127.0.0.1:" + std::to_string(vendor_.port()));
}

TEST_F(HttpApiTest, RequestBodyLimitIsEnforcedBeforeSending) {
  auto api = Api(Config("max_request_bytes = 64\n"));
  HttpApiRequest r;
  r.method = "POST";
  r.path = "/appointments";
  r.body = nlohmann::json{{"note", std::string(100, 'x')}};
  Result<HttpApiResponse> res = api->Call(r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(res.status().message().find("max_request_bytes"), std::string::npos);
  HttpApiRequest get = Get("/appointments");
  get.body = nlohmann::json::object();
  EXPECT_EQ(api->Call(get).status().code(), StatusCode::kInvalidArgument);
  r.body = nlohmann::json{{"note", "\xff\xfe"}};  // not UTF-8
  EXPECT_EQ(api->Call(r).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(vendor_.received_count(), 0u);
}

TEST_F(HttpApiTest, EndlessResponseIsCutOffAtTheLimit) {
  auto api = Api(Config("max_response_bytes = 100000\n"));
  for (const char* path : {"/endless", "/endless-error"}) {
    Result<HttpApiResponse> res = api->Call(Get(path));
    ASSERT_FALSE(res.ok()) << path;
    EXPECT_EQ(res.status().code(), StatusCode::kResourceExhausted) << res.status().ToString();
    EXPECT_NE(res.status().message().find("exceeds 100000 bytes"), std::string::npos);
  }
  // A body just within the limit passes.
  auto small = Api(Config("max_response_bytes = 11\n"));
  Result<HttpApiResponse> text = small->Call(Get("/text"));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->text, "plain words");
  auto tiny = Api(Config("max_response_bytes = 10\n"));
  EXPECT_EQ(tiny->Call(Get("/text")).status().code(), StatusCode::kResourceExhausted);
}

TEST_F(HttpApiTest, MatchIsThePolicysView) {
  auto api = Api(Config());
  Result<HttpRouteMatch> m = api->Match("PUT", "/appointments/42");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->route->path.text, "/appointments/{id}");
  EXPECT_EQ(m->Param("id"), "42");
  EXPECT_NE(m->route->CompensationFor("PUT"), nullptr);
  EXPECT_EQ(m->route->CompensationFor("DELETE"), nullptr);
  EXPECT_NE(api->config().routes[0].CompensationFor("POST"), nullptr);
}

}  // namespace
}  // namespace ward
