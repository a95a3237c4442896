// Signed audit checkpoints through the real `ward` binary: sessions publish them
// to a file outside the store, and `ward audit verify --checkpoints` catches what
// the chain alone cannot — four entries edited and the chain rehashed, the last
// entries cut — and refuses forged checkpoints and a key file others can read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "audit/testing/chain_rewriter.h"
#include "audit/testing/fake_checkpoint_service.h"
#include "ward_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

class AuditCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_audit_checkpoint_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "home");
    std::filesystem::create_directories(dir_ / "elsewhere");
    home_ = dir_ / "home";
    published_ = (dir_ / "elsewhere" / "checkpoints.ndjson").string();
    env_ = {{"HOME", dir_.string()}, {"WARD_HOME", home_.string()}};
    std::ofstream(home_ / "ward.toml")
        << "[audit]\ncheckpoint_every = 4\ncheckpoint_file = \"" << published_ << "\"\n";
    transcript_ = (dir_ / "demo.jsonl").string();
    std::ofstream(transcript_) << "{\"content\": \"```python\\nx = 21\\nprint(x)\\n```\"}\n"
                                  "{\"content\": \"```python\\nfinish(x * 2)\\n```\"}\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void RunSession() {
    auto r = RunWard({"run", "--model", "scripted:" + transcript_, "double 21"}, env_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  }

  ProcessResult VerifyWithCheckpoints(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"audit", "verify", "--checkpoints", published_};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunWard(args, env_);
  }

  std::vector<std::string> PublishedLines() {
    std::ifstream in(published_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::string Db() const { return (home_ / "ward.db").string(); }

  std::filesystem::path dir_, home_;
  std::string published_, transcript_;
  std::map<std::string, std::string> env_;
};

TEST_F(AuditCheckpointTest, SessionsPublishCheckpointsThatVerify) {
  RunSession();
  RunSession();
  std::vector<std::string> lines = PublishedLines();
  ASSERT_GE(lines.size(), 3u) << "every 4 entries and at each session's end";
  json last = json::parse(lines.back());
  EXPECT_EQ(last["type"], "ward.audit.checkpoint");
  auto chain = RunWard({"audit", "verify", "--json"}, env_);
  ASSERT_EQ(chain.exit_code, 0) << chain.err;
  EXPECT_EQ(json::parse(chain.out)["entries"], last["seq"])
      << "the last session's end is vouched for";
  auto v = VerifyWithCheckpoints();
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("checkpoints from"), std::string::npos) << v.out;
  auto key = RunWard({"audit", "key"}, env_);
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_EQ(key.out.rfind("ed25519:", 0), 0u) << key.out;
  EXPECT_EQ(key.out.find("PRIVATE"), std::string::npos);
  auto with_key = VerifyWithCheckpoints({"--key", key.out.substr(0, key.out.size() - 1)});
  EXPECT_EQ(with_key.exit_code, 0) << with_key.out << with_key.err;
  struct stat st {};
  ASSERT_EQ(stat((home_ / "audit_key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// The attack: triggers dropped, four entries edited, every hash recomputed.
TEST_F(AuditCheckpointTest, AnEditedAndRehashedChainIsCaught) {
  RunSession();
  RunSession();
  ASSERT_EQ(RewriteAndRehash(Db(), 2, 5, "\"actor\":\"", "\"actor\":\"mallory-"), "");
  // The checkpoints kept in the store catch an attacker who left them.
  auto naive = RunWard({"audit", "verify"}, env_);
  EXPECT_EQ(naive.exit_code, 1) << naive.out;
  EXPECT_NE(naive.out.find("kept in the store"), std::string::npos) << naive.out;
  ASSERT_EQ(DeleteStoredCheckpoints(Db()), "");
  auto chain = RunWard({"audit", "verify"}, env_);
  EXPECT_EQ(chain.exit_code, 0) << "the store alone cannot see it: " << chain.out;
  auto v = VerifyWithCheckpoints({"--json"});
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  json out = json::parse(v.out);
  EXPECT_FALSE(out["checkpoints"]["ok"]);
  EXPECT_EQ(out["checkpoints"]["contradicted"]["seq"], 4) << v.out;
  auto human = VerifyWithCheckpoints();
  EXPECT_NE(human.out.find("FAILED checkpoint verification"), std::string::npos) << human.out;
}

TEST_F(AuditCheckpointTest, CutLastEntriesAreCaught) {
  RunSession();
  RunSession();
  auto before = json::parse(RunWard({"audit", "verify", "--json"}, env_).out);
  int64_t entries = before["entries"];
  ASSERT_EQ(TruncateChain(Db(), entries - 4), "");
  EXPECT_EQ(RunWard({"audit", "verify"}, env_).exit_code, 1) << "stored checkpoints";
  ASSERT_EQ(DeleteStoredCheckpoints(Db()), "");
  EXPECT_EQ(RunWard({"audit", "verify"}, env_).exit_code, 0);
  auto v = VerifyWithCheckpoints();
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find("entries were cut"), std::string::npos) << v.out;
}

TEST_F(AuditCheckpointTest, ForgedCheckpointsAreRefused) {
  RunSession();
  std::vector<std::string> lines = PublishedLines();
  ASSERT_FALSE(lines.empty());
  json edited = json::parse(lines.back());
  edited["seq"] = edited["seq"].get<int64_t>() - 1;
  std::ofstream(published_, std::ios::app) << edited.dump() << "\n";
  auto v = VerifyWithCheckpoints();
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find("forged or edited"), std::string::npos) << v.out;

  // Verified with someone else's public key, the genuine checkpoints fail too.
  std::filesystem::create_directories(dir_ / "other");
  auto other = RunWard({"audit", "key", "--home", (dir_ / "other").string()}, env_);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  std::ofstream(published_, std::ios::trunc) << lines.back() << "\n";
  std::string other_key = other.out.substr(0, other.out.size() - 1);
  auto wrong = VerifyWithCheckpoints({"--key", other_key});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("another key"), std::string::npos) << wrong.out;

  std::ofstream(published_, std::ios::app) << "{\"seq\": 1}\n";
  auto malformed = VerifyWithCheckpoints();
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_NE(malformed.err.find(published_ + ":2"), std::string::npos) << malformed.err;
}

TEST_F(AuditCheckpointTest, AKeyFileOthersCanReadIsRefused) {
  RunSession();
  ASSERT_EQ(chmod((home_ / "audit_key.pem").c_str(), 0644), 0);
  auto key = RunWard({"audit", "key"}, env_);
  EXPECT_EQ(key.exit_code, 2);
  EXPECT_NE(key.err.find("0644"), std::string::npos) << key.err;
  EXPECT_EQ(key.err.find("PRIVATE"), std::string::npos);
  auto run = RunWard({"run", "--model", "scripted:" + transcript_, "double 21"}, env_);
  EXPECT_NE(run.exit_code, 0) << "no session runs with a key others can read";
  EXPECT_NE(run.err.find("audit_key.pem"), std::string::npos) << run.err;
  EXPECT_EQ(RunWard({"audit", "checkpoint"}, env_).exit_code, 2);
}

TEST_F(AuditCheckpointTest, CheckpointOnDemandAndUnknownAuditKeys) {
  RunSession();
  size_t before = PublishedLines().size();
  auto c = RunWard({"audit", "checkpoint", "--json"}, env_);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_TRUE(json::parse(c.out)["published"]);
  EXPECT_EQ(PublishedLines().size(), before + 1);

  std::ofstream(home_ / "ward.toml") << "[audit]\ncheckpoint_evry = 4\n";
  auto typo = RunWard({"audit", "checkpoint"}, env_);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("unknown key 'audit.checkpoint_evry'"), std::string::npos) << typo.err;

  // A publication target that cannot be written: reported, audited, exit 1.
  std::ofstream(home_ / "ward.toml")
      << "[audit]\ncheckpoint_file = \"" << (dir_ / "nope" / "x").string() << "\"\n";
  auto unpublished = RunWard({"audit", "checkpoint"}, env_);
  EXPECT_EQ(unpublished.exit_code, 1);
  EXPECT_NE(unpublished.err.find("not published"), std::string::npos) << unpublished.err;
}

TEST_F(AuditCheckpointTest, CheckpointsPostedToAUrlCatchACutChain) {
  FakeCheckpointService service;
  std::ofstream(home_ / "ward.toml") << "[audit]\ncheckpoint_url = \"" << service.url() << "\"\n";
  RunSession();
  auto v = RunWard({"audit", "verify", "--checkpoints", service.url()}, env_);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("1 checkpoints from"), std::string::npos) << v.out;
  ASSERT_EQ(TruncateChain(Db(), 2), "");
  ASSERT_EQ(DeleteStoredCheckpoints(Db()), "");
  v = RunWard({"audit", "verify", "--checkpoints", service.url()}, env_);
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  EXPECT_NE(v.out.find("entries were cut"), std::string::npos) << v.out;
}

}  // namespace
}  // namespace ward::testing
