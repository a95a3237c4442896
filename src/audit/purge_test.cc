// Retention purge (purge.h) on a real store file: what it removes, that the chain
// and checkpoints taken before it still verify, that the purged bytes leave the
// file, and the attacks on tombstones that verify must catch.
#include "audit/purge.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "audit/checkpoint.h"
#include "audit/signing_key.h"
#include "util/hash.h"

namespace ward {
namespace {

constexpr const char* kMarker = "PURGEMARKER-Jane-Doe-MRN-884411";
constexpr int64_t kDay = 24 * 3600 * 1000LL;

class PurgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_purge_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "ward.db").string();
    store_ = std::move(OpenSqliteStore(path_)).value();
    clock_.Advance(100 * kDay);
    log_ = std::make_unique<AuditLog>(store_.get(), &clock_, "alice");
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A session with the marker in every place a purge clears, ended now.
  void MakeSession(const std::string& id, const std::string& status) {
    SessionRecord s;
    s.id = id;
    s.task = std::string("summarise ") + kMarker;
    s.model = "scripted";
    s.mode = "live";
    s.actor = "alice";
    s.status = status;
    s.created_ms = s.updated_ms = clock_.NowMillis();
    s.answer = std::string("answer about ") + kMarker;
    s.input_tokens = 12;
    ASSERT_TRUE(store_->CreateSession(s).ok());
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(store_
                      ->AppendEvent(id, clock_.NowMillis(), "observation",
                                    std::string("{\"text\":\"") + kMarker + "\"}")
                      .ok());
    JournalEntry j;
    j.session = id;
    j.connector = "fhir";
    j.operation = "update";
    j.target_type = "Patient";
    j.target_id = "p1";
    j.pre_image = std::string("{\"name\":\"") + kMarker + "\"}";
    j.post_image = std::string("{\"name\":\"") + kMarker + " Jr\"}";
    j.state = JournalState::kDone;
    ASSERT_TRUE(store_->AppendJournal(j).ok());
    ApprovalRecord a;
    a.id = "a_" + id;
    a.session = id;
    a.action_hash = Sha256Hex(id);
    a.action_json = std::string("{\"args\":\"") + kMarker + "\"}";
    a.summary = std::string("update ") + kMarker;
    a.state = "approved";
    ASSERT_TRUE(store_->CreateApproval(a).ok());
    AuditData d;
    d.Set("code", std::string("print('") + kMarker + "')");
    ASSERT_TRUE(log_->Record(id, "code_action", d).ok());
    AuditData intent;
    intent.Set("binding", "fhir.update").Set("query", kMarker);
    auto started = log_->Append(id, "binding_intent", intent);
    ASSERT_TRUE(started.ok());
    AuditData call;
    call.Set("binding", "fhir.update").Set("intent_seq", started->seq);
    ASSERT_TRUE(log_->Record(id, "binding_call", call).ok());
  }

  PurgeReport Purge(int64_t cutoff_ms, bool dry_run = false) {
    auto report = PurgeEndedSessions(store_.get(), log_.get(), &clock_, {cutoff_ms, dry_run});
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : PurgeReport();
  }

  AuditVerification Verify() {
    auto v = VerifyAuditChain(store_.get());
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : AuditVerification();
  }

  // Runs `sql` on the file directly, as someone with write access to it would:
  // the append-only triggers dropped first.
  void AsAttacker(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    std::string all = "DROP TRIGGER IF EXISTS audit_no_update; " + sql;
    ASSERT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
  }

  std::string FileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  std::string BodyOf(int64_t seq) {
    auto entries = store_->ListAudit(seq - 1, 1);
    EXPECT_TRUE(entries.ok() && entries->size() == 1u);
    return entries.ok() && !entries->empty() ? (*entries)[0].body : "";
  }

  ManualClock clock_;
  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(PurgeTest, NewEntriesAreSealedAndVerify) {
  MakeSession("s_old", "succeeded");
  std::string body = BodyOf(1);
  EXPECT_NE(body.find(kMarker), std::string::npos);
  EXPECT_NE(body.find(",\"v\":2}"), std::string::npos) << body;
  auto hashed = HashedFormOf(body);
  ASSERT_TRUE(hashed.ok()) << hashed.status().ToString();
  EXPECT_EQ(hashed->form, AuditEntryForm::kSealed);
  EXPECT_EQ(hashed->hashed.find(kMarker), std::string::npos);
  EXPECT_NE(hashed->hashed.find("\"data_sha256\":\""), std::string::npos);
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 3);
  EXPECT_EQ(v.tombstones, 0);
  EXPECT_EQ(v.legacy_entries, 0);
}

TEST_F(PurgeTest, PurgeRemovesContentKeepsHashesAndVerifies) {
  MakeSession("s_old", "succeeded");
  AuditVerification before = Verify();
  clock_.Advance(40 * kDay);
  MakeSession("s_new", "succeeded");
  PurgeReport r = Purge(clock_.NowMillis() - 30 * kDay);
  ASSERT_EQ(r.sessions, std::vector<std::string>{"s_old"});
  EXPECT_EQ(r.content.events, 3);
  EXPECT_EQ(r.content.session_texts, 1);
  EXPECT_EQ(r.content.journal_entries, 1);
  EXPECT_EQ(r.content.approvals, 1);
  EXPECT_EQ(r.audit_tombstoned, 3);
  EXPECT_EQ(r.audit_legacy_kept, 0);
  EXPECT_TRUE(r.scrubbed.ok()) << r.scrubbed.ToString();

  auto session = store_->GetSession("s_old");
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->task, "");
  EXPECT_EQ(session->answer, "");
  EXPECT_EQ(session->status, "succeeded");
  EXPECT_EQ(session->input_tokens, 12);
  EXPECT_TRUE(store_->ListEvents("s_old", 0, 0)->empty());
  auto journal = store_->ListJournal("s_old", JournalMode::kLive);
  ASSERT_TRUE(journal.ok() && journal->size() == 1u);
  EXPECT_EQ((*journal)[0].pre_image, "");
  EXPECT_EQ((*journal)[0].state, JournalState::kDone);
  EXPECT_EQ(store_->GetApproval("a_s_old")->action_json, "");
  EXPECT_EQ(store_->ListEvents("s_new", 0, 0)->size(), 3u);  // the later session is untouched
  EXPECT_NE(store_->GetSession("s_new")->task.find(kMarker), std::string::npos);

  AuditVerification after = Verify();
  EXPECT_TRUE(after.ok) << after.problem;
  EXPECT_EQ(after.tombstones, 3);
  EXPECT_TRUE(after.unfinished_intents.empty());  // a tombstoned intent is not "unfinished"
  auto head_then = store_->ListAudit(before.entries - 1, 1);
  EXPECT_EQ((*head_then)[0].hash, before.head_hash);  // every hash kept
  std::string tombstone = BodyOf(1);
  EXPECT_EQ(tombstone.find(kMarker), std::string::npos);
  EXPECT_EQ(HashedFormOf(tombstone)->form, AuditEntryForm::kTombstone);

  std::string purge_entry = BodyOf(r.purge_entry_seq);
  EXPECT_NE(purge_entry.find("\"kind\":\"purge\""), std::string::npos);
  EXPECT_NE(purge_entry.find("\"actor\":\"alice\""), std::string::npos);
  EXPECT_NE(purge_entry.find("\"audit_tombstoned\":3"), std::string::npos) << purge_entry;
}

TEST_F(PurgeTest, ACheckpointTakenBeforeThePurgeStillHolds) {
  MakeSession("s_old", "succeeded");
  auto key = LoadOrCreateSigningKey((dir_ / "key.pem").string());
  ASSERT_TRUE(key.ok());
  AuditVerification before = Verify();
  auto checkpoint =
      SignCheckpoint(*key, before.entries, before.head_hash, FormatIso8601(clock_.NowMillis()));
  ASSERT_TRUE(checkpoint.ok());
  clock_.Advance(kDay);
  Purge(clock_.NowMillis());
  auto held =
      VerifyCheckpoints(store_.get(), {PublishedCheckpoint{*checkpoint, 1}}, key->public_key());
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(held->ok) << held->problem;
  EXPECT_EQ(held->checked, 1);
}

TEST_F(PurgeTest, PurgedTextIsGoneFromTheFileBytes) {
  MakeSession("s_old", "succeeded");
  // Earlier rewrites leave old text in free space too: an answer set, then replaced.
  auto s = store_->GetSession("s_old");
  s->answer = std::string("first draft ") + kMarker;
  ASSERT_TRUE(store_->UpdateSession(*s).ok());
  s->answer = std::string("final ") + kMarker;
  ASSERT_TRUE(store_->UpdateSession(*s).ok());
  EXPECT_NE(FileBytes(path_).find(kMarker) + FileBytes(path_ + "-wal").find(kMarker),
            2 * std::string::npos);
  clock_.Advance(kDay);
  PurgeReport r = Purge(clock_.NowMillis());
  ASSERT_TRUE(r.scrubbed.ok()) << r.scrubbed.ToString();
  EXPECT_EQ(FileBytes(path_).find(kMarker), std::string::npos);
  EXPECT_EQ(FileBytes(path_ + "-wal").find(kMarker), std::string::npos);
  EXPECT_EQ(FileBytes(path_ + "-wal").find("Jane-Doe"), std::string::npos);
}

TEST_F(PurgeTest, ARunningSessionIsNeverPurged) {
  MakeSession("s_running", "running");
  clock_.Advance(365 * kDay);
  PurgeReport r = Purge(clock_.NowMillis());
  EXPECT_TRUE(r.sessions.empty());
  EXPECT_EQ(r.audit_tombstoned, 0);
  EXPECT_NE(store_->GetSession("s_running")->task.find(kMarker), std::string::npos);
  EXPECT_EQ(store_->ListEvents("s_running", 0, 0)->size(), 3u);
  auto direct = store_->PurgeSessionContent("s_running", clock_.NowMillis(), false);
  EXPECT_EQ(direct.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PurgeTest, DryRunCountsAndChangesNothing) {
  MakeSession("s_old", "succeeded");
  clock_.Advance(kDay);
  AuditVerification before = Verify();
  PurgeReport r = Purge(clock_.NowMillis(), /*dry_run=*/true);
  EXPECT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.content.events, 3);
  EXPECT_EQ(r.audit_tombstoned, 3);
  EXPECT_EQ(r.purge_entry_seq, 0);
  EXPECT_EQ(Verify().entries, before.entries);  // not even a purge entry
  EXPECT_EQ(store_->ListEvents("s_old", 0, 0)->size(), 3u);
  EXPECT_NE(BodyOf(1).find(kMarker), std::string::npos);
}

TEST_F(PurgeTest, ASecondPurgeChangesNothingMore) {
  MakeSession("s_old", "succeeded");
  clock_.Advance(kDay);
  int64_t cutoff = clock_.NowMillis();
  Purge(cutoff);
  std::string tombstone = BodyOf(1);
  clock_.Advance(kDay);
  PurgeReport again = Purge(cutoff);
  EXPECT_EQ(again.sessions.size(), 1u);
  EXPECT_EQ(again.sessions_already_purged, 1);
  EXPECT_EQ(again.content.events + again.content.session_texts + again.content.journal_entries +
                again.content.approvals,
            0);
  EXPECT_EQ(again.audit_tombstoned, 0);
  EXPECT_EQ(again.audit_already_tombstones, 3);
  EXPECT_EQ(BodyOf(1), tombstone);
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  // The first purge's date is the one kept.
  EXPECT_EQ(*store_->SessionPurgedAt("s_old").value(), cutoff);
}

TEST_F(PurgeTest, LegacyEntriesAreLeftWholeAndStillVerify) {
  MakeSession("s_old", "succeeded");
  // An entry in the form written before sealing: hashed whole, no "v".
  auto legacy = store_->AppendAudit("s_old", "code_action", [](int64_t seq, const std::string& p) {
    return "{\"actor\":\"bob\",\"data\":{\"code\":\"" + std::string(kMarker) +
           "\"},\"kind\":\"code_action\",\"prev_hash\":\"" + p +
           "\",\"seq\":" + std::to_string(seq) +
           ",\"session\":\"s_old\",\"time\":\"2026-01-01T00:00:00.000Z\"}";
  });
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(TombstoneOf(legacy->body).status().code(), StatusCode::kFailedPrecondition);
  clock_.Advance(kDay);
  PurgeReport r = Purge(clock_.NowMillis());
  EXPECT_EQ(r.audit_tombstoned, 3);
  EXPECT_EQ(r.audit_legacy_kept, 1);
  EXPECT_EQ(BodyOf(legacy->seq), legacy->body);
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.legacy_entries, 1);
}

// Attacks on tombstones, by someone who can write the file (triggers dropped).

TEST_F(PurgeTest, AnEditedTombstoneFailsVerify) {
  MakeSession("s_old", "succeeded");
  clock_.Advance(kDay);
  Purge(clock_.NowMillis());
  AsAttacker(
      "UPDATE audit SET body = substr(body, 1, instr(body, '\"data_sha256\":\"') + 14) || "
      "'0000000000000000000000000000000000000000000000000000000000000000' || "
      "substr(body, instr(body, '\"data_sha256\":\"') + 79) WHERE seq = 2");
  ASSERT_NE(BodyOf(2).find(std::string(64, '0')), std::string::npos) << BodyOf(2);
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 2);
  EXPECT_NE(v.problem.find("hash"), std::string::npos) << v.problem;
}

TEST_F(PurgeTest, SubstitutedDataUnderTheSameHashFailsVerify) {
  MakeSession("s_old", "succeeded");
  // "Purging" by hand: the data replaced by harmless-looking text, the hash kept.
  AsAttacker("UPDATE audit SET body = replace(body, '" + std::string(kMarker) +
             "', 'nothing to see') WHERE seq = 1");
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 1);
}

TEST_F(PurgeTest, UnpurgingWithInventedDataFailsVerify) {
  MakeSession("s_old", "succeeded");
  clock_.Advance(kDay);
  Purge(clock_.NowMillis());
  std::string tombstone = BodyOf(1);
  size_t at = tombstone.find("\"data_sha256\":\"");
  ASSERT_NE(at, std::string::npos);
  std::string invented = tombstone.substr(0, at) + "\"data\":{\"code\":\"print(42)\"}" +
                         tombstone.substr(at + 15 + 64 + 1);
  ASSERT_TRUE(HashedFormOf(invented).ok()) << invented;
  AsAttacker("UPDATE audit SET body = '" + invented + "' WHERE seq = 1");
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 1);
}

TEST_F(PurgeTest, ATombstoneWithBothDataAndDigestIsRefused) {
  MakeSession("s_old", "succeeded");
  std::string body = BodyOf(1);
  std::string both = body.substr(0, body.find(",\"kind\":")) + ",\"data_sha256\":\"" +
                     std::string(64, 'a') + "\"" + body.substr(body.find(",\"kind\":"));
  EXPECT_EQ(HashedFormOf(both).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PurgeTest, RollbackOfAPurgedSessionRefusesNamingTheDate) {
  MakeSession("s_old", "succeeded");
  clock_.Advance(kDay);
  Purge(clock_.NowMillis());
  auto at = store_->SessionPurgedAt("s_old");
  ASSERT_TRUE(at.ok() && at->has_value());
  std::string message = PurgedSessionMessage("s_old", **at);
  EXPECT_NE(message.find("purged on " + FormatIso8601(clock_.NowMillis())), std::string::npos)
      << message;
}

}  // namespace
}  // namespace ward
