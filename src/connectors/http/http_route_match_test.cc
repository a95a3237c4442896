#include "connectors/http/http_route_match.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

HttpRoute Route(std::vector<std::string> methods, const std::string& path) {
  Result<HttpPathPattern> pattern = ParseHttpPathPattern(path);
  EXPECT_TRUE(pattern.ok()) << path << ": " << pattern.status().ToString();
  return HttpRoute{std::move(methods), pattern.ok() ? *pattern : HttpPathPattern{}, {}};
}

HttpApiConfig Config() {
  HttpApiConfig c;
  c.name = "vendor";
  c.base_url = "https://api.example.com/v1";
  c.routes = {Route({"GET", "POST"}, "/appointments"), Route({"GET", "PUT"}, "/appointments/{id}"),
              Route({"POST"}, "/appointments/search"),
              Route({"GET"}, "/patients/{pid}/appointments/{id}")};
  return c;
}

TEST(HttpRouteMatchTest, MatchesAllowedRoutesAndBindsParameters) {
  HttpApiConfig c = Config();
  auto list = MatchHttpRoute(c, "GET", "/appointments");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->route_index, 0u);
  EXPECT_TRUE(list->params.empty());

  auto one = MatchHttpRoute(c, "PUT", "/appointments/a-42_x.y~z");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->route_index, 1u);
  EXPECT_EQ(one->Param("id"), "a-42_x.y~z");
  EXPECT_EQ(one->route, &c.routes[1]);

  auto nested = MatchHttpRoute(c, "GET", "/patients/p1/appointments/9");
  ASSERT_TRUE(nested.ok());
  ASSERT_EQ(nested->params.size(), 2u);
  EXPECT_EQ(nested->Param("pid"), "p1");
  EXPECT_EQ(nested->Param("id"), "9");

  auto encoded = MatchHttpRoute(c, "GET", "/appointments/caf%C3%A9%20x");
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_EQ(encoded->Param("id"), "caf%C3%A9%20x");
}

TEST(HttpRouteMatchTest, LiteralRouteWinsOverParameter) {
  HttpApiConfig c = Config();
  auto search = MatchHttpRoute(c, "POST", "/appointments/search");
  ASSERT_TRUE(search.ok());
  EXPECT_EQ(search->route_index, 2u);
  auto read = MatchHttpRoute(c, "GET", "/appointments/search");  // only {id} allows GET
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->route_index, 1u);
}

TEST(HttpRouteMatchTest, RefusesRoutesNotAllowedAndSaysWhichAre) {
  HttpApiConfig c = Config();
  auto wrong_method = MatchHttpRoute(c, "DELETE", "/appointments/1");
  ASSERT_FALSE(wrong_method.ok());
  EXPECT_EQ(wrong_method.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(wrong_method.status().message().find("allows only GET, PUT"), std::string::npos)
      << wrong_method.status().message();

  auto unknown = MatchHttpRoute(c, "GET", "/billing");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(unknown.status().message().find("GET, POST /appointments; GET, PUT /appointments/{id}"),
            std::string::npos)
      << unknown.status().message();

  // A parameter is one segment: it never spans two, and is never empty.
  EXPECT_EQ(MatchHttpRoute(c, "GET", "/appointments/1/2").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_FALSE(MatchHttpRoute(c, "GET", "/appointments/").ok());
  EXPECT_FALSE(MatchHttpRoute(c, "GET", "/Appointments").ok());

  EXPECT_EQ(MatchHttpRoute(c, "TRACE", "/appointments").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MatchHttpRoute(c, "get", "/appointments").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(HttpRouteMatchTest, RefusesTraversalEncodingAndSmuggling) {
  HttpApiConfig c = Config();
  const char* attacks[] = {
      "/appointments/..",
      "/appointments/.",
      "/appointments/../admin",
      "/appointments/%2e%2e",
      "/appointments/%2E%2e",
      "/appointments/.%2e",
      "/appointments/a%2fb",
      "/appointments/a%2Fb",
      "/appointments/a%5cb",
      "/appointments/a\\b",
      "/appointments/%252e%252e",
      "/appointments/a%00",
      "/appointments/a%0d%0aHost:%20evil",
      "/appointments/a\r\nHost: evil",
      "/appointments/a\nb",
      "/appointments/a b",
      "/appointments/a%zz",
      "/appointments/a%4",
      "/appointments/1?admin=true",
      "/appointments/1#frag",
      "//evil.example.com/appointments",
      "/appointments//1",
      "https://evil.example.com/appointments",
      "appointments",
      "",
      "/appointments/\xc3\xa9",
      "/appointments/a*",
      "/appointments/{id}",
      // A server that strips ";params" or decodes overlong or lookalike dots and
      // slashes would see a traversal in these.
      "/patients/..;/appointments/9",
      "/appointments/..;x=1",
      "/appointments/.;",
      "/appointments/;x",
      "/appointments/%c0%ae%c0%ae",
      "/appointments/%C0%AF",
      "/appointments/%e0%80%ae",
      "/appointments/%EF%BC%8E%EF%BC%8E",
      "/appointments/a%ef%bc%8fb",
      "/appointments/%ff",
  };
  for (const char* path : attacks) {
    Result<HttpRouteMatch> m = MatchHttpRoute(c, "GET", path);
    EXPECT_FALSE(m.ok()) << "accepted: " << path;
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << path;
      // The refusal never echoes a CR or LF back.
      EXPECT_EQ(m.status().message().find_first_of("\r\n"), std::string::npos);
    }
  }
  EXPECT_NE(CheckHttpApiPath("https://evil/x").message().find("not an absolute URL"),
            std::string::npos);
  EXPECT_NE(CheckHttpApiPath("/a/%2fb").message().find("encoded slash"), std::string::npos);
  EXPECT_NE(CheckHttpApiPath("/a/%2e%2e").message().find("encoded dot"), std::string::npos);
  EXPECT_NE(CheckHttpApiPath("/a\r\n").message().find("CR or LF"), std::string::npos);
  EXPECT_NE(CheckHttpApiPath("/a/..;/b").message().find("..;"), std::string::npos);
  EXPECT_NE(CheckHttpApiPath("/a/%c0%ae").message().find("not UTF-8"), std::string::npos);
  // Path parameters after a real name, and UTF-8 that folds to nothing special, stay allowed.
  EXPECT_TRUE(MatchHttpRoute(c, "GET", "/appointments/1;v=2").ok());
  EXPECT_TRUE(MatchHttpRoute(c, "GET", "/appointments/..a").ok());
  EXPECT_TRUE(MatchHttpRoute(c, "GET", "/appointments/%E2%80%A6").ok());  // U+2026 "…"
}

TEST(HttpRouteMatchTest, RootAndTrailingSlashAreLiteral) {
  HttpApiConfig c;
  c.name = "vendor";
  c.routes = {Route({"GET"}, "/"), Route({"GET"}, "/items/")};
  EXPECT_TRUE(MatchHttpRoute(c, "GET", "/").ok());
  EXPECT_TRUE(MatchHttpRoute(c, "GET", "/items/").ok());
  EXPECT_FALSE(MatchHttpRoute(c, "GET", "/items").ok());
  EXPECT_FALSE(MatchHttpRoute(c, "GET", "/other").ok());
}

}  // namespace
}  // namespace ward
