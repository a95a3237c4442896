// `ward purge` end to end: a real session's content leaves ward.db (and its -wal)
// while `ward audit verify` and `verify --checkpoints` against a checkpoint
// published before the purge stay green; bad input ends with a reason and exit 2;
// a purged session cannot be rolled back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ward_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

constexpr const char* kMarker = "PURGECLIMARKER";

class PurgeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_purge_cli_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    env_ = {{"HOME", dir_.string()}, {"WARD_HOME", (dir_ / "home").string()}};
    std::string transcript = (dir_ / "demo.jsonl").string();
    std::ofstream(transcript) << "{\"content\": \"```python\\nx = 21\\nprint('" << kMarker
                              << "', x)\\n```\"}\n\n"
                              << "{\"content\": \"```python\\nfinish(x * 2)\\n```\"}\n";
    auto run = RunWard(
        {"run", "--model", "scripted:" + transcript, std::string("double 21 for ") + kMarker},
        env_);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto list = RunWard({"sessions", "list", "--json"}, env_);
    ASSERT_EQ(list.exit_code, 0) << list.err;
    session_ = json::parse(list.out)[0]["id"];
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string StoreBytes() {
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in((dir_ / "home" / "ward.db").string() + suffix, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return all;
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
  std::string session_;
};

TEST_F(PurgeCliTest, PurgeKeepsVerifyAndPublishedCheckpointsGreenAndTheBytesGo) {
  auto checkpoint = RunWard({"audit", "checkpoint", "--json"}, env_);
  ASSERT_EQ(checkpoint.exit_code, 0) << checkpoint.err;
  std::string published = (dir_ / "published.ndjson").string();
  json line = json::parse(checkpoint.out);
  line.erase("published");
  line.erase("publish_failures");
  std::ofstream(published) << line.dump() << "\n";
  ASSERT_NE(StoreBytes().find(kMarker), std::string::npos);

  auto dry = RunWard({"purge", "--before", "2999-01-01", "--force", "--dry-run", "--json"}, env_);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(json::parse(dry.out)["sessions"], 1);
  EXPECT_NE(StoreBytes().find(kMarker), std::string::npos);  // a dry run changes nothing

  auto purge = RunWard({"purge", "--before", "2999-01-01", "--force", "--yes", "--json"}, env_);
  ASSERT_EQ(purge.exit_code, 0) << purge.err;
  json report = json::parse(purge.out);
  EXPECT_EQ(report["sessions"], 1);
  EXPECT_GT(report["events_deleted"], 0);
  EXPECT_GT(report["audit_tombstoned"], 0);
  EXPECT_EQ(report["scrubbed"], true);
  EXPECT_EQ(StoreBytes().find(kMarker), std::string::npos);

  auto verify = RunWard({"audit", "verify", "--json"}, env_);
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  json verified = json::parse(verify.out);
  EXPECT_EQ(verified["tombstones"], report["audit_tombstoned"]);
  // The purge entry is vouched for at once: a checkpoint was signed after it.
  EXPECT_EQ(verified["stored_checkpoints"]["last_checked_seq"], report["purge_entry_seq"])
      << verify.out;
  auto against = RunWard({"audit", "verify", "--checkpoints", published}, env_);
  EXPECT_EQ(against.exit_code, 0) << against.out << against.err;
  EXPECT_NE(against.out.find("1 checkpoints from"), std::string::npos) << against.out;

  auto rollback = RunWard({"rollback", session_}, env_);
  EXPECT_EQ(rollback.exit_code, 1);
  EXPECT_NE((rollback.out + rollback.err).find("purged on"), std::string::npos)
      << rollback.out << rollback.err;

  auto shown = RunWard({"sessions", "show", session_}, env_);
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("was purged on"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("answer:"), std::string::npos) << shown.out;

  auto again = RunWard({"purge", "--before", "2999-01-01", "--force", "--yes", "--json"}, env_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["audit_tombstoned"], 0);
  EXPECT_EQ(json::parse(again.out)["sessions_already_purged"], 1);
  EXPECT_EQ(RunWard({"audit", "verify"}, env_).exit_code, 0);
}

TEST_F(PurgeCliTest, BadInputIsRefusedWithAReason) {
  auto malformed = RunWard({"purge", "--before", "last tuesday", "--yes"}, env_);
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("YYYY-MM-DD"), std::string::npos) << malformed.err;
  auto future = RunWard({"purge", "--before", "2999-01-01", "--yes"}, env_);
  EXPECT_EQ(future.exit_code, 2);
  EXPECT_NE(future.err.find("--force"), std::string::npos) << future.err;
  auto unconfirmed = RunWard({"purge", "--before", "2999-01-01", "--force"}, env_);
  EXPECT_EQ(unconfirmed.exit_code, 2);  // stdin is not a terminal
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos) << unconfirmed.err;
  EXPECT_NE(StoreBytes().find(kMarker), std::string::npos);
  auto past = RunWard({"purge", "--before", "2000-01-01", "--yes"}, env_);
  EXPECT_EQ(past.exit_code, 0) << past.err;
  EXPECT_NE(past.out.find("nothing to purge"), std::string::npos) << past.out;
}

}  // namespace
}  // namespace ward::testing
