// The store's part of a retention purge (store.h, "Sealed audit entries and
// retention purge"): the audit trigger allows exactly a tombstone and nothing else,
// even to a connection that has ward's SQL function; session content is cleared
// and a running session refused.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "store/store.h"
#include "util/hash.h"

namespace ward {
namespace {

// A sealed entry's two forms, written by hand (the audit module builds them for
// real): `data` stored, `data_sha256` hashed.
SealedAuditBody Sealed(int64_t seq, const std::string& prev, const std::string& data) {
  std::string tail = ",\"kind\":\"k\",\"prev_hash\":\"" + prev +
                     "\",\"seq\":" + std::to_string(seq) +
                     ",\"session\":\"s_1\",\"time\":\"t\",\"v\":2}";
  return {"{\"actor\":\"a\",\"data\":" + data + tail,
          "{\"actor\":\"a\",\"data_sha256\":\"" + Sha256Hex(data) + "\"" + tail};
}

class PurgeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_purge_store_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "ward.db").string();
    store_ = std::move(OpenSqliteStore(path_)).value();
    auto e = store_->AppendSealedAudit("s_1", "k", [](int64_t seq, const std::string& prev) {
      return Sealed(seq, prev, R"({"secret":"x"})");
    });
    ASSERT_TRUE(e.ok());
    entry_ = *e;
    tombstone_ = Sealed(1, "", R"({"secret":"x"})").hashed;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs `sql` on a second connection that has ward's SQL function too (a
  // connection without it cannot update the audit table at all).
  int RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_create_function(
        db, "ward_sha256_hex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
        [](sqlite3_context* ctx, int, sqlite3_value** argv) {
          std::string hex = Sha256Hex(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])));
          sqlite3_result_text(ctx, hex.c_str(), -1, SQLITE_TRANSIENT);
        },
        nullptr, nullptr);
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  StoredAuditEntry entry_;
  std::string tombstone_;
};

TEST_F(PurgeStoreTest, ASealedEntryIsHashedOverItsSealedForm) {
  EXPECT_EQ(entry_.hash, Sha256Hex(tombstone_));
  EXPECT_NE(entry_.body.find("secret"), std::string::npos);
}

TEST_F(PurgeStoreTest, OnlyTheExactTombstoneMayReplaceABody) {
  EXPECT_EQ(store_->TombstoneAudit(1, tombstone_ + " ").code(), StatusCode::kFailedPrecondition);
  std::string other = Sealed(1, "", R"({"secret":"y"})").hashed;  // another digest
  EXPECT_EQ(store_->TombstoneAudit(1, other).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->TombstoneAudit(1, "{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->TombstoneAudit(2, tombstone_).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->TombstoneAudit(1, tombstone_).ok());
  auto stored = store_->ListAudit(0, 1);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)[0].body, tombstone_);
  EXPECT_EQ((*stored)[0].hash, entry_.hash);
  // Un-purging (the full body back) is an UPDATE the trigger refuses too.
  EXPECT_NE(RawExec("UPDATE audit SET body='" + entry_.body + "' WHERE seq=1"), SQLITE_OK);
}

TEST_F(PurgeStoreTest, OrdinaryUpdatesAndDeletesOfAuditRowsAreStillRefused) {
  EXPECT_NE(RawExec("UPDATE audit SET body='x'"), SQLITE_OK);
  EXPECT_NE(RawExec("UPDATE audit SET hash=ward_sha256_hex('x')"), SQLITE_OK);
  EXPECT_NE(RawExec("UPDATE audit SET kind='other'"), SQLITE_OK);
  // The tombstone with another column changed at once is refused as a whole.
  EXPECT_NE(RawExec("UPDATE audit SET body='" + tombstone_ + "', session='s_2' WHERE seq=1"),
            SQLITE_OK);
  EXPECT_NE(RawExec("DELETE FROM audit"), SQLITE_OK);
  // A legacy entry (hashed whole, no "v") cannot be updated even to itself-minus-data.
  auto legacy = store_->AppendAudit("s_1", "k", [](int64_t seq, const std::string& prev) {
    return "{\"data\":{},\"prev_hash\":\"" + prev + "\",\"seq\":" + std::to_string(seq) + "}";
  });
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(store_->TombstoneAudit(2, "{\"prev_hash\":\"x\"}").code(),
            StatusCode::kFailedPrecondition);
  auto all = store_->ListAudit(0, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].body, entry_.body);
}

TEST_F(PurgeStoreTest, AConnectionWithoutWardsFunctionCannotUpdateAtAll) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  std::string sql = "UPDATE audit SET body='" + tombstone_ + "' WHERE seq=1";
  EXPECT_NE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(store_->ListAudit(0, 1).value()[0].body, entry_.body);
}

// A store made before tombstones had an audit_no_update that refused everything;
// opening it replaces that trigger by the tombstone-only one.
TEST_F(PurgeStoreTest, AnOlderStoresTriggerIsReplacedOnOpen) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER audit_no_update; CREATE TRIGGER audit_no_update BEFORE "
                         "UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  store_ = std::move(OpenSqliteStore(path_)).value();
  EXPECT_TRUE(store_->TombstoneAudit(1, tombstone_).ok());
  EXPECT_NE(RawExec("UPDATE audit SET body='x'"), SQLITE_OK);
}

TEST_F(PurgeStoreTest, PurgeSessionContentClearsAndRefusesARunningSession) {
  SessionRecord s{"s_1", "the task", "m", "code", "alice", "succeeded", 10, 20};
  s.answer = "the answer";
  s.output_tokens = 7;
  ASSERT_TRUE(store_->CreateSession(s).ok());
  ASSERT_TRUE(store_->AppendEvent("s_1", 11, "observation", "{\"x\":1}").ok());
  SessionRecord running{"s_2", "other", "m", "code", "alice", "running", 10, 10};
  ASSERT_TRUE(store_->CreateSession(running).ok());

  auto ended = store_->ListSessionsEndedBefore(100);
  ASSERT_TRUE(ended.ok());
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ((*ended)[0].id, "s_1");
  EXPECT_TRUE(store_->ListSessionsEndedBefore(20)->empty());  // ended at 20: not before 20

  auto dry = store_->PurgeSessionContent("s_1", 500, true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->events, 1);
  EXPECT_EQ(store_->GetSession("s_1")->task, "the task");
  EXPECT_FALSE(store_->SessionPurgedAt("s_1")->has_value());

  auto done = store_->PurgeSessionContent("s_1", 500, false);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->events, 1);
  EXPECT_EQ(done->session_texts, 1);
  EXPECT_FALSE(done->already_purged);
  auto after = store_->GetSession("s_1");
  EXPECT_EQ(after->task, "");
  EXPECT_EQ(after->answer, "");
  EXPECT_EQ(after->output_tokens, 7);
  EXPECT_EQ(after->status, "succeeded");
  EXPECT_EQ(*store_->SessionPurgedAt("s_1").value(), 500);

  auto again = store_->PurgeSessionContent("s_1", 900, false);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_purged);
  EXPECT_EQ(again->events + again->session_texts, 0);
  EXPECT_EQ(*store_->SessionPurgedAt("s_1").value(), 500);

  EXPECT_EQ(store_->PurgeSessionContent("s_2", 500, false).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetSession("s_2")->task, "other");
  EXPECT_EQ(store_->PurgeSessionContent("s_none", 500, false).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(store_->ScrubFreedSpace().ok());
}

}  // namespace
}  // namespace ward
