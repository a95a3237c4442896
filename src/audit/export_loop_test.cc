// The continuous export: passes on the injected clock, a failure audited once per
// run of failures and retried, Stop() joining promptly even mid-wait, and the
// cursor and lag in the /metrics text. Real SQLite files.
#include "audit/export_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace ward {
namespace {

// A sink that fails while `fail` is set (a fake, for tests).
class FakeSwitchableSink : public ExportSink {
 public:
  explicit FakeSwitchableSink(std::atomic<bool>* fail, std::atomic<int>* delivered)
      : fail_(fail), delivered_(delivered) {}
  std::string Name() const override { return "fake"; }
  Status Deliver(const std::vector<std::string>& records) override {
    if (*fail_) return FailedPrecondition("the collector said no");
    *delivered_ += static_cast<int>(records.size());
    return Status::Ok();
  }

 private:
  std::atomic<bool>* fail_;
  std::atomic<int>* delivered_;
};

class ExportLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_export_loop_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
    log_ = std::make_unique<AuditLog>(store_.get(), &clock_, "alice");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<AuditExportLoop> Loop(int64_t interval_ms) {
    ExportOptions o;
    o.format = ExportFormat::kNdjson;
    o.cursor_key = "ndjson fake";
    o.clock = &clock_;
    o.max_attempts = 1;
    return std::make_unique<AuditExportLoop>(
        store_.get(), log_.get(), std::make_unique<FakeSwitchableSink>(&fail_, &delivered_),
        std::move(o), interval_ms);
  }
  int Count(const std::string& kind) {
    int n = 0;
    auto entries = store_->ListAudit(0, 0);
    for (const auto& e : *entries) n += e.kind == kind;
    return n;
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> log_;
  std::atomic<bool> fail_{false};
  std::atomic<int> delivered_{0};
};

TEST_F(ExportLoopTest, AFailureIsAuditedOnceAndRetriedUntilItPasses) {
  ASSERT_TRUE(log_->Record("s", "note", AuditData()).ok());
  auto loop = Loop(60'000);
  fail_ = true;
  Status first = loop->RunOnce();
  EXPECT_FALSE(first.ok());
  EXPECT_NE(first.message().find("the collector said no"), std::string::npos) << first.message();
  EXPECT_FALSE(loop->RunOnce().ok());
  EXPECT_EQ(Count("audit_export_failed"), 1);  // once per run of failures
  auto entry = store_->ListAudit(1, 1).value().at(0);
  EXPECT_NE(entry.body.find("the collector said no"), std::string::npos);
  fail_ = false;
  EXPECT_TRUE(loop->RunOnce().ok());
  EXPECT_EQ(delivered_.load(), 2);  // the note and the failure's own entry
  EXPECT_EQ(store_->GetAuditExportCursor("ndjson fake").value().seq, 2);
  EXPECT_EQ(loop->failures(), 2);
}

TEST_F(ExportLoopTest, TheThreadExportsOnTheInjectedClockAndStopsPromptly) {
  ASSERT_TRUE(log_->Record("s", "note", AuditData()).ok());
  auto loop = Loop(3'600'000);  // an hour, on the manual clock
  loop->Start();
  while (loop->passes() < 3) std::this_thread::yield();
  EXPECT_GE(clock_.slept_millis(), 2 * 3'600'000);
  auto before = std::chrono::steady_clock::now();
  loop->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
  EXPECT_EQ(delivered_.load(), 1);
}

TEST_F(ExportLoopTest, MetricsShowTheCursorAndTheLag) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log_->Record("s", "note", AuditData()).ok());
  ASSERT_TRUE(store_->SetAuditExportCursor("fhir https://a\"b\n", {3, 0}).ok());
  auto text = RenderAuditExportMetrics(store_.get());
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("ward_audit_head_seq 5\n"), std::string::npos) << *text;
  EXPECT_NE(text->find("ward_audit_export_cursor_seq{destination=\"fhir https://a\\\"b\\n\"} 3\n"),
            std::string::npos)
      << *text;
  EXPECT_NE(text->find("ward_audit_export_lag_entries{destination=\"fhir https://a\\\"b\\n\"} 2\n"),
            std::string::npos)
      << *text;
}

}  // namespace
}  // namespace ward
