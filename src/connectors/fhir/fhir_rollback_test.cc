// Rollback of FHIR journal entries left at "intent" (the session stopped between
// journaling a write and recording its result), through the FhirCompensator against
// ward's embedded FHIR server in process: each is settled by asking the server,
// then undone if it happened.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "connectors/fhir/fhir_compensator.h"
#include "ehr/ehr_test_util.h"
#include "journal/rollback.h"

namespace ward {
namespace {

using ehr::testing::kBase;
using ehr::testing::TestEhr;
using nlohmann::json;

// Sends ward's HTTP requests straight to an in-process EHR.
class InProcessHttp : public HttpClient {
 public:
  explicit InProcessHttp(TestEhr* ehr) : ehr_(ehr) {}
  Result<HttpResponse> Send(const HttpRequest& r) override {
    std::string prefix = kBase;
    if (r.url.rfind(prefix, 0) != 0) return Unavailable("not the test EHR: " + r.url);
    ehr::HeaderList headers;
    for (const auto& [name, value] : r.headers) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(c));
      headers.push_back({lower, value});
    }
    if (!r.body.empty()) headers.push_back({"content-type", r.content_type});
    ehr::EhrResponse e = ehr_->Call(r.method, r.url.substr(prefix.size()), r.body, headers);
    return HttpResponse{e.status, e.headers, e.body};
  }

 private:
  TestEhr* ehr_;
};

constexpr const char* kPatient =
    R"({"resourceType":"Patient","name":[{"family":"Settle","given":["Ann"]}],"gender":"female"})";

class RollbackIntentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_rollback_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
    audit_ = std::make_unique<AuditLog>(store_.get(), &ehr_.clock, "tester");
    SessionRecord s;
    s.id = "s_test";
    s.task = "t";
    s.model = "m";
    s.mode = "code";
    s.actor = "tester";
    s.status = "failed";
    ASSERT_TRUE(store_->CreateSession(s).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A journal entry at "intent", as the write handlers leave it before sending.
  JournalEntry Intent(const std::string& op, const std::string& id, const json& pre,
                      const std::string& post) {
    JournalEntry j;
    j.session = "s_test";
    j.mode = JournalMode::kLive;
    j.connector = "fhir";
    j.endpoint = kBase;
    j.operation = op;
    j.target_type = "Patient";
    j.target_id = id;
    if (!pre.is_null()) {
      j.pre_image = pre.dump();
      j.pre_version = pre["meta"]["versionId"];
    }
    j.post_image = post;
    j.state = JournalState::kIntent;
    j.time_ms = ehr_.clock.NowMillis();
    j.id = store_->AppendJournal(j).value();
    return j;
  }

  json Existing() {
    json p = ehr_.Json("POST", "/Patient", kPatient);
    EXPECT_TRUE(p.contains("id")) << p.dump();
    return p;
  }

  RollbackReport Rollback() {
    auto report = RollbackSession(store_.get(), audit_.get(), Compensators(), "s_test", {});
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : RollbackReport{};
  }

  // The FHIR compensator for every entry (all were written to the test EHR).
  CompensatorLookup Compensators() {
    return [this](const JournalEntry& e) -> Result<std::unique_ptr<Compensator>> {
      FhirConnectorConfig config;
      config.base_url = e.endpoint;
      return std::unique_ptr<Compensator>(std::make_unique<FhirCompensator>(config, &http_));
    };
  }

  std::string FirstEntryState() {
    return JournalStateName(store_->ListJournal("s_test", JournalMode::kLive).value().at(0).state);
  }

  std::filesystem::path dir_;
  TestEhr ehr_;
  InProcessHttp http_{&ehr_};
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> audit_;
};

TEST_F(RollbackIntentTest, ACreateThatHappenedIsFoundAndUndone) {
  Intent("create", "", nullptr, kPatient);
  json created = Existing();  // the write reached the server; its result was never recorded
  RollbackReport report = Rollback();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].outcome, "undone") << report.steps[0].detail;
  EXPECT_EQ(report.steps[0].action, "delete");
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(ehr_.Call("GET", "/Patient/" + created["id"].get<std::string>()).status, 410);
  JournalEntry j = store_->ListJournal("s_test", JournalMode::kLive).value().at(0);
  EXPECT_EQ(j.state, JournalState::kCompensated);
  EXPECT_EQ(j.target_id, created["id"]);
}

TEST_F(RollbackIntentTest, ACreateThatNeverHappenedIsSettledAsFailed) {
  Intent("create", "", nullptr, kPatient);
  RollbackReport report = Rollback();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].outcome, "not applied") << report.steps[0].detail;
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(FirstEntryState(), "failed");
}

TEST_F(RollbackIntentTest, ACreateAmongOtherCreatesIsNotGuessed) {
  Intent("create", "", nullptr, kPatient);
  json other = json::parse(kPatient);
  other["gender"] = "male";
  ehr_.Json("POST", "/Patient", other.dump());  // someone else's, or ours rewritten?
  RollbackReport report = Rollback();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].outcome, "unknown") << report.steps[0].detail;
  EXPECT_FALSE(report.complete);
  EXPECT_EQ(FirstEntryState(), "intent");
}

TEST_F(RollbackIntentTest, AnUpdateThatHappenedIsUndone) {
  json before = Existing();
  std::string id = before["id"];
  json after = before;
  after["gender"] = "other";
  after.erase("meta");
  Intent("update", id, before, after.dump());
  ehr_.Call("PUT", "/Patient/" + id, after.dump(), {{"if-match", "W/\"1\""}});
  RollbackReport report = Rollback();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].outcome, "undone") << report.steps[0].detail;
  EXPECT_EQ(ehr_.Json("GET", "/Patient/" + id)["gender"], "female");
}

TEST_F(RollbackIntentTest, AnUpdateThatNeverHappenedIsSettledAsFailed) {
  json before = Existing();
  json after = before;
  after["gender"] = "other";
  Intent("update", before["id"], before, after.dump());
  RollbackReport report = Rollback();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].outcome, "not applied") << report.steps[0].detail;
  EXPECT_EQ(FirstEntryState(), "failed");
  EXPECT_EQ(ehr_.Json("GET", "/Patient/" + before["id"].get<std::string>())["meta"]["versionId"],
            "1");
}

TEST_F(RollbackIntentTest, AnUpdateFollowedByADifferentVersionIsNotGuessed) {
  json before = Existing();
  std::string id = before["id"];
  json ours = before, theirs = before;
  ours["gender"] = "other";
  theirs["gender"] = "unknown";
  Intent("update", id, before, ours.dump());
  ehr_.Call("PUT", "/Patient/" + id, theirs.dump());
  RollbackReport report = Rollback();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].outcome, "unknown") << report.steps[0].detail;
  EXPECT_FALSE(report.complete);
  EXPECT_EQ(ehr_.Json("GET", "/Patient/" + id)["gender"], "unknown");  // left alone
}

TEST_F(RollbackIntentTest, ADeleteThatHappenedIsUndone) {
  json before = Existing();
  std::string id = before["id"];
  Intent("delete", id, before, "");
  ehr_.Call("DELETE", "/Patient/" + id, "", {{"if-match", "W/\"1\""}});
  RollbackReport report = Rollback();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].outcome, "undone") << report.steps[0].detail;
  EXPECT_EQ(ehr_.Json("GET", "/Patient/" + id)["gender"], "female");
}

TEST_F(RollbackIntentTest, ADeleteThatNeverHappenedIsSettledAsFailed) {
  json before = Existing();
  Intent("delete", before["id"], before, "");
  RollbackReport report = Rollback();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].outcome, "not applied") << report.steps[0].detail;
  EXPECT_EQ(ehr_.Call("GET", "/Patient/" + before["id"].get<std::string>()).status, 200);
}

TEST_F(RollbackIntentTest, ADryRunSettlesNothingInTheJournal) {
  Intent("create", "", nullptr, kPatient);
  Existing();
  auto report = RollbackSession(store_.get(), audit_.get(), Compensators(), "s_test", {true});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->steps.size(), 1u);
  EXPECT_EQ(report->steps[0].outcome, "planned") << report->steps[0].detail;
  EXPECT_EQ(FirstEntryState(), "intent");
}

}  // namespace
}  // namespace ward
