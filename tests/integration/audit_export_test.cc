// `ward audit export` through the real binary, over a real session's log: every
// exported AuditEvent is valid against the R4 schema, the embedded EHR (`ward ehr
// serve`) accepts them and serves them back, a second export sends nothing
// twice, and the token never appears in what ward prints. `ward serve` with
// [audit.export] exports on its own and shows the cursor and lag in /metrics.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "audit/audit_log.h"
#include "ehr/validator.h"
#include "ehr_fixture.h"
#include "gate_fixture.h"
#include "net/http_client.h"
#include "util/clock.h"
#include "ward_server_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

const ehr::ResourceValidator& Validator() {
  static const ehr::ResourceValidator* v = [] {
    auto r = ehr::ResourceValidator::LoadFromFile(std::string(WARD_TEST_SOURCE_DIR) +
                                                  "/share/fhir/fhir.r4.schema.json");
    if (!r.ok()) std::abort();
    return r->release();
  }();
  return *v;
}

class AuditExportCliTest : public EhrFixture {
 protected:
  void SetUp() override {
    EhrFixture::SetUp();
    std::ofstream(home_ / "ward.toml") << "[[policy.rule]]\nname = \"allow-all\"\n"
                                          "binding = \"*\"\ndecision = \"allow\"\n";
  }
  void RunSession() {
    auto r =
        RunWard({"run", "--model",
                 "scripted:" +
                     Transcript({"p = fhir.create({'resourceType': 'Patient', 'name': [{'family': "
                                 "'Exported'}], 'gender': 'female'})",
                                 "p['gender'] = 'other'\nu = fhir.update(p)",
                                 "found = fhir.search('Patient', family='Exported')\n"
                                 "r = fhir.read('Patient', p['id'])",
                                 "fhir.delete('Patient', p['id'])", "finish(len(found))"}),
                 "create, search, read, delete"},
                env_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  size_t Entries() {
    auto store = OpenSqliteStore((home_ / "ward.db").string());
    return (*store)->ListAudit(0, 0)->size();
  }
};

TEST_F(AuditExportCliTest, ARealSessionExportsValidAuditEventsTheEhrAccepts) {
  RunSession();
  auto out = RunWard({"audit", "export", "--format", "fhir"}, env_);
  ASSERT_EQ(out.exit_code, 0) << out.err;
  std::istringstream lines(out.out);
  size_t count = 0, rest = 0;
  std::string interactions;
  for (std::string line; std::getline(lines, line); ++count) {
    json event = json::parse(line);
    for (const auto& issue : Validator().Validate(event))
      ADD_FAILURE() << issue.expression << ": " << issue.message << "\n" << event.dump(1);
    if (event["type"]["code"] == "rest") {
      ++rest;
      interactions += event["subtype"][0]["code"].get<std::string>() + " ";
    }
  }
  EXPECT_GE(count, Entries());          // every entry (and any checkpoint)
  EXPECT_EQ(rest, 5u) << interactions;  // create, update, search, read, delete

  auto env = env_;
  env["EXPORT_TOKEN"] = "do-not-print-me";
  auto posted = RunWard({"audit", "export", "--format", "fhir", "--to", *url_, "--token-env",
                         "EXPORT_TOKEN", "--batch-size", "7"},
                        env);
  ASSERT_EQ(posted.exit_code, 0) << posted.err;
  EXPECT_EQ((posted.out + posted.err).find("do-not-print-me"), std::string::npos);
  auto http = NewHttpClient();
  HttpRequest get;
  get.url = *url_ + "/AuditEvent?_summary=count";
  auto total = http->Send(get);
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(json::parse(total->body)["total"], count) << total->body;

  auto again = RunWard(
      {"audit", "export", "--format", "fhir", "--to", *url_, "--token-env", "EXPORT_TOKEN"}, env);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("exported 0 audit entries and 0 checkpoints"), std::string::npos)
      << again.err;

  auto unset = RunWard(
      {"audit", "export", "--to", *url_, "--format", "fhir", "--token-env", "NO_SUCH_TOKEN_VAR"},
      env_);
  EXPECT_EQ(unset.exit_code, 2) << unset.err;
  EXPECT_NE(unset.err.find("NO_SUCH_TOKEN_VAR"), std::string::npos) << unset.err;
}

TEST_F(AuditExportCliTest, SyslogAndNdjsonToFiles) {
  RunSession();
  std::string archive = (home_ / "archive.ndjson").string();
  ASSERT_EQ(RunWard({"audit", "export", "--to", archive}, env_).exit_code, 0);
  ASSERT_EQ(RunWard({"audit", "export", "--to", archive}, env_).exit_code, 0);  // appends nothing
  std::ifstream in(archive);
  size_t entries = 0;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    if (j.contains("body")) {
      ++entries;
      auto hashed = HashedFormOf(j["body"].get<std::string>());
      ASSERT_TRUE(hashed.ok()) << hashed.status().message();
      EXPECT_EQ(Sha256Hex(hashed->hashed), j["hash"]);
    }
  }
  EXPECT_EQ(entries, Entries());
  auto syslog = RunWard({"audit", "export", "--format", "syslog", "--since", "3"}, env_);
  ASSERT_EQ(syslog.exit_code, 0) << syslog.err;
  EXPECT_EQ(syslog.out.find("seq=\"3\""), std::string::npos);
  EXPECT_NE(syslog.out.find("[ward@32473 seq=\"4\""), std::string::npos) << syslog.out;
}

using AuditExportApprovalTest = GateTest;

TEST_F(AuditExportApprovalTest, AnApprovedWriteNamesItsApprover) {
  WardProcess run({"run", "--model",
                   "scripted:" + Transcript({"p = fhir.create({'resourceType': 'Patient', "
                                             "'name': [{'family': 'Approved'}]})",
                                             "finish('created')"}),
                   "create a patient"},
                  env_);
  json pending = WaitForPendingApproval();
  ASSERT_TRUE(pending.is_object());
  std::string password = AddWardUser("dr-approver", "approver");
  auto ok = RunWard({"approve", pending["id"], "--as", "dr-approver", "--hash", pending["hash"]},
                    env_, 60'000, password);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  ASSERT_EQ(run.Wait(30'000).exit_code, 0);
  auto out = RunWard({"audit", "export", "--format", "fhir"}, env_);
  ASSERT_EQ(out.exit_code, 0) << out.err;
  std::istringstream lines(out.out);
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    json event = json::parse(line);
    EXPECT_TRUE(Validator().Validate(event).empty()) << event.dump(1);
    if (event["type"]["code"] != "rest" || event["subtype"][0]["code"] != "create") continue;
    found = true;
    EXPECT_EQ(event["action"], "C");
    EXPECT_EQ(event["outcome"], "0");
    ASSERT_GE(event["agent"].size(), 3u) << event.dump(1);
    EXPECT_EQ(event["agent"][1]["who"]["display"], "dr-approver") << event.dump(1);
    EXPECT_EQ(event["agent"][1]["type"]["coding"][0]["code"], "VRF");
  }
  EXPECT_TRUE(found) << out.out;
}

TEST(AuditExportServeTest, ServeExportsContinuouslyAndShowsTheCursorInMetrics) {
  ServedHome served("audit_export_serve");
  RoleTokens tokens = served.AddOneUserPerRole();
  std::string file = (served.home() / "exported.ndjson").string();
  {
    std::ofstream toml(served.home() / "ward.toml", std::ios::app);
    toml << "\n[audit.export]\nurl = \"" << file << "\"\nformat = \"ndjson\"\n"
         << "interval_seconds = 1\n";
    auto store = OpenSqliteStore((served.home() / "ward.db").string());
    ASSERT_TRUE(store.ok());
    AuditLog log(store->get(), SystemClock::Default(), "tester");
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.Record("s", "note", AuditData()).ok());
  }
  ASSERT_FALSE(served.Serve().empty());
  std::string metrics;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = served.Call("GET", "/metrics", "", tokens.viewer).body;
    if (metrics.find("ward_audit_export_lag_entries{destination=\"ndjson " + file + "\"} 0") !=
        std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(metrics.find("ward_audit_export_cursor_seq{destination=\"ndjson " + file + "\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("ward_audit_export_lag_entries{destination=\"ndjson " + file + "\"} 0"),
            std::string::npos)
      << metrics;
  served.StopServer();
  std::ifstream in(file);
  size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_GE(lines, 3u);
}

}  // namespace
}  // namespace ward::testing
