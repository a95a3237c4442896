// Signed checkpoints make a rewrite of the audit chain detectable: an edited and
// rehashed chain, a cut one and a forged checkpoint are each caught, naming the
// first checkpoint contradicted. Real SQLite files, a real loopback HTTP server.
#include "audit/checkpoint.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "audit/audit_log.h"
#include "audit/checkpoint_sink.h"
#include "audit/checkpointer.h"
#include "audit/testing/chain_rewriter.h"
#include "audit/testing/fake_checkpoint_service.h"

namespace ward {
namespace {

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_checkpoint_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "ward.db").string();
    published_ = (dir_ / "published.ndjson").string();
    store_ = std::move(OpenSqliteStore(db_)).value();
    key_ = std::make_unique<SigningKey>(
        std::move(LoadOrCreateSigningKey((dir_ / "key.pem").string())).value());
    log_ = std::make_unique<AuditLog>(store_.get(), &clock_, "alice");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Checkpointer> MakeCheckpointer(int64_t every, std::string file = "") {
    std::vector<std::unique_ptr<CheckpointSink>> sinks;
    sinks.push_back(NewFileCheckpointSink(file.empty() ? published_ : file));
    return std::make_unique<Checkpointer>(store_.get(), &clock_, key_.get(), std::move(sinks),
                                          every);
  }

  void Record(int n) {
    for (int i = 0; i < n; ++i) {
      AuditData d;
      d.Set("patient", "Patient/p" + std::to_string(i)).Set("op", "read");
      ASSERT_TRUE(log_->Record("s_1", "binding_call", d).ok());
      clock_.Advance(1000);
    }
  }

  // VerifyAuditChain, then VerifyCheckpoints against the published file.
  CheckpointVerification Verify(const AuditPublicKey& key) {
    auto published = ReadPublishedCheckpoints(published_, nullptr, 1000);
    EXPECT_TRUE(published.ok()) << published.status().ToString();
    auto v = VerifyCheckpoints(store_.get(), published.value_or({}), key);
    EXPECT_TRUE(v.ok());
    return v.value_or(CheckpointVerification{});
  }

  std::string ReadPublished() {
    std::ifstream in(published_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void WritePublished(const std::string& text) { std::ofstream(published_) << text; }

  ManualClock clock_;
  std::filesystem::path dir_;
  std::string db_, published_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(CheckpointTest, ACheckpointIsStoredPublishedAndVerifies) {
  Record(6);
  auto cp = MakeCheckpointer(0);
  auto result = cp->Checkpoint(log_.get());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->publish_failures.empty());
  EXPECT_EQ(result->checkpoint.seq, 6);
  auto stored = store_->ListCheckpoints();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].head_hash, store_->LastAudit()->hash);
  EXPECT_EQ(ReadPublished(), CheckpointLine(result->checkpoint) + "\n");
  auto parsed = ParseCheckpointLine(CheckpointLine(result->checkpoint));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(CheckpointMessage(*parsed), CheckpointMessage(result->checkpoint));
  CheckpointVerification v = Verify(key_->public_key());
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.checked, 1);
  EXPECT_EQ(v.last_checked_seq, 6);
  Record(3);  // entries after the last checkpoint do not contradict it
  EXPECT_TRUE(Verify(key_->public_key()).ok);
}

TEST_F(CheckpointTest, EveryNEntriesAndAtTheEndWhenMoved) {
  auto cp = MakeCheckpointer(5);
  log_->SetCheckpointer(cp.get());
  Record(12);
  auto stored = store_->ListCheckpoints();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].seq, 5);
  EXPECT_EQ((*stored)[1].seq, 10);
  auto end = cp->CheckpointIfMoved(log_.get());
  ASSERT_TRUE(end.ok());
  ASSERT_TRUE(end->has_value());
  EXPECT_EQ((*end)->checkpoint.seq, 12);
  auto again = cp->CheckpointIfMoved(log_.get());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value()) << "nothing new: no second checkpoint";
  EXPECT_EQ(Verify(key_->public_key()).checked, 3);
}

TEST_F(CheckpointTest, AnEmptyLogHasNothingToCheckpoint) {
  auto cp = MakeCheckpointer(0);
  EXPECT_EQ(cp->Checkpoint(log_.get()).status().code(), StatusCode::kFailedPrecondition);
  auto moved = cp->CheckpointIfMoved(log_.get());
  ASSERT_TRUE(moved.ok());
  EXPECT_FALSE(moved->has_value());
}

// The attacker's case from the issue: four entries edited, triggers dropped,
// the chain rehashed. The chain alone verifies; the checkpoint does not.
TEST_F(CheckpointTest, AnEditedAndRehashedChainContradictsACheckpoint) {
  Record(5);
  auto cp = MakeCheckpointer(0);
  ASSERT_TRUE(cp->Checkpoint(log_.get()).ok());
  Record(5);
  ASSERT_TRUE(cp->Checkpoint(log_.get()).ok());
  Record(2);
  ASSERT_EQ(testing::RewriteAndRehash(db_, 7, 10, "\"op\":\"read\"", "\"op\":\"none\""), "");
  auto chain = VerifyAuditChain(store_.get());
  ASSERT_TRUE(chain.ok());
  ASSERT_TRUE(chain->ok) << "the rewrite must be one the chain alone cannot see";
  CheckpointVerification v = Verify(key_->public_key());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.contradicted.checkpoint.seq, 10);
  EXPECT_EQ(v.contradicted.line, 2);
  EXPECT_NE(v.problem.find("rewritten or forked"), std::string::npos) << v.problem;
}

TEST_F(CheckpointTest, AnEditBeforeTheFirstCheckpointIsReportedThere) {
  Record(4);
  auto cp = MakeCheckpointer(0);
  ASSERT_TRUE(cp->Checkpoint(log_.get()).ok());
  Record(4);
  ASSERT_TRUE(cp->Checkpoint(log_.get()).ok());
  ASSERT_EQ(testing::RewriteAndRehash(db_, 1, 4, "Patient/p", "Patient/q"), "");
  CheckpointVerification v = Verify(key_->public_key());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.contradicted.checkpoint.seq, 4);
}

TEST_F(CheckpointTest, ACutChainContradictsACheckpoint) {
  Record(8);
  auto cp = MakeCheckpointer(0);
  ASSERT_TRUE(cp->Checkpoint(log_.get()).ok());
  ASSERT_EQ(testing::TruncateChain(db_, 4), "");
  auto chain = VerifyAuditChain(store_.get());
  ASSERT_TRUE(chain.ok());
  ASSERT_TRUE(chain->ok);
  CheckpointVerification v = Verify(key_->public_key());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.contradicted.checkpoint.seq, 8);
  EXPECT_NE(v.problem.find("ends at entry #4"), std::string::npos) << v.problem;
  EXPECT_NE(v.problem.find("cut"), std::string::npos) << v.problem;
}

// A forked chain: cut, then new entries appended; same length, other hashes.
TEST_F(CheckpointTest, AForkedChainContradictsACheckpoint) {
  Record(6);
  auto cp = MakeCheckpointer(0);
  ASSERT_TRUE(cp->Checkpoint(log_.get()).ok());
  ASSERT_EQ(testing::TruncateChain(db_, 3), "");
  Record(3);
  CheckpointVerification v = Verify(key_->public_key());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.contradicted.checkpoint.seq, 6);
}

// Forged checkpoints: signed by another key, or edited after signing.
TEST_F(CheckpointTest, AForgedOrEditedCheckpointIsRefused) {
  Record(6);
  auto cp = MakeCheckpointer(0);
  auto real = cp->Checkpoint(log_.get());
  ASSERT_TRUE(real.ok());
  std::string line = CheckpointLine(real->checkpoint);

  auto other = LoadOrCreateSigningKey((dir_ / "attacker.pem").string());
  ASSERT_TRUE(other.ok());
  auto forged = SignCheckpoint(*other, 6, real->checkpoint.head_hash, real->checkpoint.time);
  ASSERT_TRUE(forged.ok());
  WritePublished(line + "\n" + CheckpointLine(*forged) + "\n");
  CheckpointVerification v = Verify(key_->public_key());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.contradicted.line, 2);
  EXPECT_NE(v.problem.find("another key"), std::string::npos) << v.problem;

  // The attacker's key id on a forged signature does not help either.
  StoredCheckpoint relabelled = *forged;
  relabelled.key_id = key_->public_key().Id();
  WritePublished(CheckpointLine(relabelled) + "\n");
  v = Verify(key_->public_key());
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("does not verify"), std::string::npos) << v.problem;

  // An edited line: the seq moved back to match a cut chain.
  StoredCheckpoint edited = real->checkpoint;
  edited.seq = 3;
  WritePublished(CheckpointLine(edited) + "\n");
  v = Verify(key_->public_key());
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("forged or edited"), std::string::npos) << v.problem;

  // Checked with another public key, the real one fails too.
  WritePublished(line + "\n");
  EXPECT_FALSE(Verify(other->public_key()).ok);
}

TEST_F(CheckpointTest, MalformedCheckpointFilesAreClearErrors) {
  Record(2);
  auto cp = MakeCheckpointer(0);
  auto real = cp->Checkpoint(log_.get());
  ASSERT_TRUE(real.ok());
  std::string good = CheckpointLine(real->checkpoint);
  struct Case {
    std::string text, expect;
  };
  std::string extra = good;
  extra.insert(1, "\"note\":\"x\",");
  std::string deep = "[[[[1]]]]";
  std::string big(kMaxCheckpointLineBytes + 10, ' ');
  big[0] = '{';
  for (const Case& c : std::vector<Case>{
           {good + "\n{not json}\n", ":2: not a checkpoint"},
           {extra + "\n", "unknown key \"note\""},
           {"\n\n" + deep + "\n", ":3: not a checkpoint"},
           {good + "\n" + big + "\n", ":2: line longer than"},
           {"{\"type\":\"ward.audit.checkpoint\",\"seq\":\"5\"}\n", "\"seq\""},
       }) {
    auto parsed = ParseCheckpointLines(c.text, "cp.ndjson");
    ASSERT_FALSE(parsed.ok()) << c.expect;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.expect), std::string::npos)
        << parsed.status().message();
  }
  EXPECT_FALSE(ReadPublishedCheckpoints((dir_ / "missing").string(), nullptr, 1000).ok());
  EXPECT_FALSE(ReadPublishedCheckpoints(dir_.string(), nullptr, 1000).ok());
  auto blank = ParseCheckpointLines("\n \n", "x");
  ASSERT_TRUE(blank.ok());
  EXPECT_TRUE(blank->empty());
}

// A sink that cannot publish is audited and reported, never ignored.
TEST_F(CheckpointTest, AFailureToPublishIsAuditedAndReported) {
  Record(3);
  auto cp = MakeCheckpointer(0, (dir_ / "no_such_dir" / "cp.ndjson").string());
  auto result = cp->Checkpoint(log_.get());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->publish_failures.size(), 1u);
  EXPECT_NE(result->publish_failures[0].find("no_such_dir"), std::string::npos);
  auto head = store_->LastAudit();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->kind, "checkpoint_unpublished");
  EXPECT_NE(head->body.find("no_such_dir"), std::string::npos);
  EXPECT_NE(head->body.find("\"seq\":3"), std::string::npos);
}

TEST_F(CheckpointTest, ThePublishedFileIsAppendedNeverRewritten) {
  Record(2);
  auto cp = MakeCheckpointer(0);
  ASSERT_TRUE(cp->Checkpoint(log_.get()).ok());
  std::string first = ReadPublished();
  Record(2);
  ASSERT_TRUE(cp->Checkpoint(log_.get()).ok());
  std::string both = ReadPublished();
  EXPECT_EQ(both.substr(0, first.size()), first);
  EXPECT_EQ(std::count(both.begin(), both.end(), '\n'), 2);
}

// An older store (no checkpoints table) opens and gets one.
TEST_F(CheckpointTest, AStoreWithoutTheCheckpointTableOpens) {
  Record(1);
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE audit_checkpoints", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto reopened = OpenSqliteStore(db_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto list = (*reopened)->ListCheckpoints();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(CheckpointTest, CheckpointsPostedToAUrlVerifyFromIt) {
  testing::FakeCheckpointService service;
  auto http = NewHttpClient();
  std::vector<std::unique_ptr<CheckpointSink>> sinks;
  sinks.push_back(NewHttpCheckpointSink(service.url(), http.get(), 2000));
  Checkpointer cp(store_.get(), &clock_, key_.get(), std::move(sinks), 0);
  Record(4);
  auto result = cp.Checkpoint(log_.get());
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->publish_failures.empty());
  auto published = ReadPublishedCheckpoints(service.url(), http.get(), 2000);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  ASSERT_EQ(published->size(), 1u);
  auto v = VerifyCheckpoints(store_.get(), *published, key_->public_key());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  ASSERT_EQ(testing::TruncateChain(db_, 2), "");
  v = VerifyCheckpoints(store_.get(), *published, key_->public_key());
  EXPECT_FALSE(v->ok);

  service.set_fail(true);
  Record(1);
  result = cp.Checkpoint(log_.get());
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->publish_failures.size(), 1u);
  EXPECT_NE(result->publish_failures[0].find("HTTP 503"), std::string::npos);
}

}  // namespace
}  // namespace ward
