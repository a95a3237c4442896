#include "server/notifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace ward::server {
namespace {

// Fails the first `failures` sends, then answers 200; records bodies. Thread-safe.
class FlakyWebhook : public HttpClient {
 public:
  explicit FlakyWebhook(int failures) : failures_(failures) {}
  Result<HttpResponse> Send(const HttpRequest& req) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++attempts_;
    if (failures_ > 0) {
      --failures_;
      return Unavailable("connection refused");
    }
    bodies_.push_back(req.body);
    url_ = req.url;
    cv_.notify_all();
    HttpResponse r;
    r.status = 200;
    return r;
  }
  std::vector<std::string> WaitForBodies(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return bodies_.size() >= n; });
    return bodies_;
  }
  int attempts() {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }
  std::string url() {
    std::lock_guard<std::mutex> lock(mu_);
    return url_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int failures_;
  int attempts_ = 0;
  std::vector<std::string> bodies_;
  std::string url_;
};

TEST(NotifierTest, PostsEachNewPendingApprovalOnceAndRetries) {
  auto dir = std::filesystem::temp_directory_path() / ("ward_notify_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto store = std::move(OpenSqliteStore((dir / "ward.db").string())).value();
  SystemClock* clock = static_cast<SystemClock*>(SystemClock::Default());
  ApprovalRecord a;
  a.id = "a_1";
  a.session = "s_9";
  a.action_hash = "h";
  a.summary = "fhir.create MedicationRequest";
  a.action_json = R"({"binding":"fhir.create","arguments":{}})";
  a.rule = "writes-ask";
  a.state = "pending";
  a.created_ms = clock->NowMillis();
  a.expires_ms = a.created_ms + 600'000;
  ASSERT_TRUE(store->CreateApproval(a).ok());

  FlakyWebhook hook(2);
  NotifierOptions o;
  o.webhook = "http://127.0.0.1:9/hook";
  o.topic = "ward";
  o.public_url = "https://ward.lan:7070";
  o.poll_ms = 10;
  o.first_backoff_ms = 1;
  int results = 0;
  bool last_ok = false;
  ApprovalNotifier notifier(o, store.get(), &hook, clock, [&](bool ok) {
    ++results;
    last_ok = ok;
  });
  notifier.Start();
  auto bodies = hook.WaitForBodies(1);
  ASSERT_EQ(bodies.size(), 1u);
  auto body = nlohmann::json::parse(bodies[0]);
  EXPECT_EQ(body["approval"], "a_1");
  EXPECT_EQ(body["session"], "s_9");
  EXPECT_EQ(body["topic"], "ward");
  EXPECT_EQ(body["link"], "https://ward.lan:7070/#/sessions/s_9");
  EXPECT_EQ(body["binding"], "fhir.create");
  EXPECT_EQ(body["rule"], "writes-ask");
  EXPECT_NE(body["text"].get<std::string>().find("fhir.create waits"), std::string::npos);
  EXPECT_EQ(hook.url(), o.webhook);
  usleep(100'000);  // several more polls: still one notification
  notifier.Stop();
  EXPECT_EQ(hook.attempts(), 3);
  EXPECT_EQ(results, 1);
  EXPECT_TRUE(last_ok);
  std::filesystem::remove_all(dir);
}

// What goes to a webhook leaves ward's control: by default no patient data and
// nothing the model wrote, only ids, the binding and the rule.
class NotifierBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_notify_body_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
    a_.id = "a_2";
    a_.session = "s_7";
    a_.action_hash = "h";
    a_.summary = "fhir.update Patient/Jane Doe, DOB 1970-01-01, MRN 12345, HIV+";
    a_.action_json =
        R"({"binding":"fhir.update","arguments":{"resource":{"resourceType":"Patient",)"
        R"("id":"Jane Doe, DOB 1970-01-01, MRN 12345, HIV+"}}})";
    a_.rule = "writes-ask";
    a_.state = "pending";
    a_.created_ms = SystemClock::Default()->NowMillis();
    a_.expires_ms = a_.created_ms + 600'000;
    ASSERT_TRUE(store_->CreateApproval(a_).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string SentBody(bool include_summary) {
    FlakyWebhook hook(0);
    NotifierOptions o;
    o.webhook = "http://127.0.0.1:9/hook";
    o.public_url = "https://ward.lan";
    o.poll_ms = 10;
    o.include_summary = include_summary;
    ApprovalNotifier notifier(o, store_.get(), &hook, SystemClock::Default());
    notifier.Start();
    auto bodies = hook.WaitForBodies(1);
    notifier.Stop();
    return bodies.empty() ? "" : bodies[0];
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  ApprovalRecord a_;
};

TEST_F(NotifierBodyTest, CarriesNoPatientDataByDefault) {
  std::string sent = SentBody(false);
  ASSERT_FALSE(sent.empty());
  for (const char* secret : {"Jane", "1970", "12345", "HIV"})
    EXPECT_EQ(sent.find(secret), std::string::npos) << secret << " in " << sent;
  auto body = nlohmann::json::parse(sent);
  EXPECT_EQ(body["approval"], "a_2");
  EXPECT_EQ(body["session"], "s_7");
  EXPECT_EQ(body["binding"], "fhir.update");
  EXPECT_EQ(body["rule"], "writes-ask");
  EXPECT_EQ(body["link"], "https://ward.lan/#/sessions/s_7");
  EXPECT_FALSE(body.contains("summary"));
}

TEST_F(NotifierBodyTest, TheSummaryIsIncludedOnlyWhenConfigured) {
  auto body = nlohmann::json::parse(SentBody(true));
  EXPECT_EQ(body["summary"], a_.summary);
  EXPECT_NE(body["text"].get<std::string>().find(a_.summary), std::string::npos);
}

}  // namespace
}  // namespace ward::server
