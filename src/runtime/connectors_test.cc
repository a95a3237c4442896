// The composition root's connectors: each [connectors.NAME] table built into its
// connector with clear refusals, and the journal's lookup — an entry's connector
// found by name, and a connector's credentials sent only to the server it is
// configured for.
#include "runtime/connectors.h"

#include <gtest/gtest.h>

#include "connectors/sql/sql_connector_config.h"

namespace ward {
namespace {

// Records every request and answers 404 (the resource is gone). Test double.
class RecordingHttpClient : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    return HttpResponse{404, {}, "{}"};
  }
  std::string AuthorizationOf(size_t i) const {
    for (const auto& [name, value] : requests.at(i).headers)
      if (name == "Authorization") return value;
    return "";
  }
  std::vector<HttpRequest> requests;
};

ConnectorSettings Fhir(const std::string& name, const std::string& url) {
  ConnectorSettings c{name, "fhir"};
  c.base_url = url;
  return c;
}

TEST(ConnectorFactoryTest, EachTableBecomesItsConnectorOrIsRefusedSayingWhy) {
  RecordingHttpClient http;
  ConnectorDeps deps{&http, SystemClock::Default()};
  auto labs = MakeConnector(Fhir("labs", "http://127.0.0.1:1/fhir"), deps);
  ASSERT_TRUE(labs.ok()) << labs.status().ToString();
  EXPECT_EQ((*labs)->name(), "labs");
  EXPECT_EQ((*labs)->type(), "fhir");
  EXPECT_EQ((*labs)->Bindings(nullptr).front().name.rfind("labs.", 0), 0u);

  auto ftp = MakeConnector(Fhir("labs", "ftp://x/fhir"), deps);
  EXPECT_EQ(ftp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ftp.status().message().find("[connectors.labs]"), std::string::npos);

  ConnectorSettings bearer = Fhir("labs", "https://labs.example/fhir");
  bearer.auth = "bearer";
  bearer.token_env = "WARD_TEST_UNSET_TOKEN";
  unsetenv("WARD_TEST_UNSET_TOKEN");
  auto no_token = MakeConnector(bearer, deps);
  EXPECT_NE(no_token.status().message().find("WARD_TEST_UNSET_TOKEN is not set"),
            std::string::npos);

  sql::SqlConnectorConfig sql;
  sql.name = "reporting";
  sql.dsn_env = "WARD_TEST_UNSET_DSN";
  sql.tables = {"*"};
  unsetenv("WARD_TEST_UNSET_DSN");
  ConnectorSettings db{"reporting", "sql"};
  db.sql = std::make_shared<const sql::SqlConnectorConfig>(sql);
  auto no_dsn = MakeConnector(db, deps);
  EXPECT_NE(no_dsn.status().message().find("WARD_TEST_UNSET_DSN"), std::string::npos);
}

TEST(ConnectorFactoryTest, RollbackFindsTheConnectorByNameAndSendsItsTokenOnlyToItsServer) {
  RecordingHttpClient http;
  setenv("WARD_TEST_LABS_TOKEN", "s3cret", 1);
  WardConfig config;
  ConnectorSettings labs = Fhir("labs", "https://labs.example/fhir");
  labs.auth = "bearer";
  labs.token_env = "WARD_TEST_LABS_TOKEN";
  config.connectors.push_back(labs);
  CompensatorLookup lookup = MakeCompensatorLookup(config, {&http, SystemClock::Default()});

  JournalEntry e;
  e.connector = "labs";
  e.operation = "create";
  e.target_type = "Patient";
  e.target_id = "1";
  e.endpoint = "https://labs.example/fhir";
  auto c = lookup(e);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  (*c)->PlanUndo(e);  // reads the resource as it is now
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.AuthorizationOf(0), "Bearer s3cret");

  e.endpoint = "https://elsewhere.example/fhir";  // a journal entry naming another server
  auto other = lookup(e);
  ASSERT_TRUE(other.ok());
  (*other)->PlanUndo(e);
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(http.requests[1].url.rfind("https://elsewhere.example/fhir", 0), 0u);
  EXPECT_EQ(http.AuthorizationOf(1), "") << "the labs token went to another server";

  e.connector = "billing";
  EXPECT_EQ(lookup(e).status().code(), StatusCode::kNotFound);
  EXPECT_NE(lookup(e).status().message().find("no connector named 'billing'"), std::string::npos);
  unsetenv("WARD_TEST_LABS_TOKEN");
}

}  // namespace
}  // namespace ward
