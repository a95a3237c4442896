#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "protocol/event_json.h"
#include "store/event_log.h"
#include "store/server_store.h"

namespace ward {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ward_store_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "ward.db").string();
    auto s = OpenSqliteStore(path_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, SessionsRoundTrip) {
  SessionRecord r{"s_1", "task", "scripted:x", "code", "alice", "running", 10, 10};
  ASSERT_TRUE(store_->CreateSession(r).ok());
  EXPECT_FALSE(store_->CreateSession(r).ok());  // duplicate id
  r.status = "succeeded";
  r.answer = "42";
  r.input_tokens = 7;
  ASSERT_TRUE(store_->UpdateSession(r).ok());
  auto got = store_->GetSession("s_1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, "succeeded");
  EXPECT_EQ(got->answer, "42");
  EXPECT_EQ(got->input_tokens, 7);
  EXPECT_EQ(store_->GetSession("nope").status().code(), StatusCode::kNotFound);
  SessionRecord missing = r;
  missing.id = "s_404";
  EXPECT_EQ(store_->UpdateSession(missing).code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, EventsGetPerSessionSequenceNumbers) {
  ManualClock clock;
  EventLog log(store_.get(), &clock);
  std::vector<int64_t> seen;
  log.Subscribe([&](const Event& e) { seen.push_back(e.seq); });
  ASSERT_TRUE(log.Emit("a", ObservationEvent{1, "result", "x"}).ok());
  ASSERT_TRUE(log.Emit("b", ObservationEvent{1, "result", "y"}).ok());
  ASSERT_TRUE(log.Emit("a", FinishedEvent{"succeeded", "ok"}).ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 1, 2}));
  auto events = store_->ListEvents("a", 0, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].type, "finished");
  auto after = store_->ListEvents("a", 1, 0);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].seq, 2);
}

TEST_F(StoreTest, AtomicallyKeepsAllWritesOrNone) {
  ManualClock clock;
  EventLog log(store_.get(), &clock);
  std::vector<int64_t> shown;
  log.Subscribe([&](const Event& e) { shown.push_back(e.seq); });
  auto audit_body = [](int64_t seq, const std::string& prev) {
    return "{\"seq\":" + std::to_string(seq) + ",\"prev\":\"" + prev + "\"}";
  };

  // A failing function: neither the audit entry nor the event is kept or shown.
  Status failed = store_->Atomically([&]() -> Status {
    EXPECT_TRUE(store_->AppendAudit("s", "k", audit_body).ok());
    EXPECT_TRUE(log.Emit("s", ObservationEvent{1, "result", "x"}).ok());
    EXPECT_TRUE(shown.empty()) << "an event was shown before its transaction committed";
    return Internal("the caller gave up");
  });
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  EXPECT_TRUE(shown.empty());
  EXPECT_TRUE(store_->ListAudit(0, 0)->empty());
  EXPECT_TRUE(store_->ListEvents("s", 0, 0)->empty());

  // Nested calls commit once, at the outermost level; then the event is shown.
  Status ok = store_->Atomically([&]() -> Status {
    WARD_RETURN_IF_ERROR(store_->Atomically(
        [&]() -> Status { return store_->AppendAudit("s", "k", audit_body).status(); }));
    WARD_RETURN_IF_ERROR(log.Emit("s", ObservationEvent{1, "result", "y"}).status());
    EXPECT_TRUE(shown.empty());
    return Status::Ok();
  });
  ASSERT_TRUE(ok.ok()) << ok.ToString();
  EXPECT_EQ(shown, (std::vector<int64_t>{1}));
  EXPECT_EQ(store_->ListAudit(0, 0)->size(), 1u);

  // An inner store call that fails poisons the whole transaction even if the
  // function goes on to return Ok.
  ApprovalRecord a{"a_1", "s", "h", "{}", "x", "r", "", "alice", false, 0, 1000, "pending"};
  ASSERT_TRUE(store_->CreateApproval(a).ok());
  Status poisoned = store_->Atomically([&]() -> Status {
    EXPECT_TRUE(store_->AppendAudit("s", "k", audit_body).ok());
    EXPECT_FALSE(store_->DecideApproval("a_1", {true, "bob", "", "wrong-hash", 1}).ok());
    return Status::Ok();
  });
  EXPECT_FALSE(poisoned.ok());
  EXPECT_EQ(store_->ListAudit(0, 0)->size(), 1u);

  // Another connection sees nothing of an uncommitted transaction.
  auto other = OpenSqliteStore(path_);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(store_
                  ->Atomically([&]() -> Status {
                    WARD_RETURN_IF_ERROR(store_->AppendAudit("s", "k", audit_body).status());
                    EXPECT_EQ((*other)->ListAudit(0, 0)->size(), 1u);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ((*other)->ListAudit(0, 0)->size(), 2u);
}

TEST_F(StoreTest, AuditIsAppendOnlyAtTheSqlLevel) {
  auto e = store_->AppendAudit("s", "k", [](int64_t seq, const std::string& prev) {
    return "{\"seq\":" + std::to_string(seq) + ",\"prev\":\"" + prev + "\"}";
  });
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->seq, 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit SET body='x'", nullptr, nullptr, &err), SQLITE_OK);
  sqlite3_free(err);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit", nullptr, nullptr, &err), SQLITE_OK);
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST_F(StoreTest, ConcurrentProcessesNeverForkTheAuditChain) {
  constexpr int kProcs = 4, kEach = 50;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      auto s = OpenSqliteStore(path_);
      if (!s.ok()) _exit(1);
      for (int i = 0; i < kEach; ++i) {
        auto r = (*s)->AppendAudit("s", "k", [](int64_t seq, const std::string& prev) {
          return std::to_string(seq) + "|" + prev;
        });
        if (!r.ok()) _exit(2);
      }
      _exit(0);
    }
  }
  for (int p = 0; p < kProcs; ++p) {
    int status = 0;
    wait(&status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto all = store_->ListAudit(0, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kProcs * kEach));
  std::string prev;
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ((*all)[i].body, std::to_string(i + 1) + "|" + prev);
    prev = (*all)[i].hash;
  }
}

// Several processes opening a store file that does not exist yet, all at once (a
// session starting while another terminal lists approvals): each must get it.
TEST(StoreOpenTest, ProcessesOpeningANewStoreTogetherAllSucceed) {
  auto dir =
      std::filesystem::temp_directory_path() / ("ward_store_race_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  constexpr int kProcs = 6, kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    std::string path = (dir / ("ward-" + std::to_string(round) + ".db")).string();
    int go[2];
    ASSERT_EQ(pipe(go), 0);
    for (int p = 0; p < kProcs; ++p) {
      if (fork() == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) < 0) _exit(3);  // start together
        auto store = OpenSqliteStore(path);
        if (!store.ok()) {
          fprintf(stderr, "%s\n", store.status().ToString().c_str());
          _exit(1);
        }
        auto server = OpenSqliteServerStore(path);
        _exit(server.ok() ? 0 : 2);
      }
    }
    close(go[0]);
    close(go[1]);  // EOF releases every child at once
    for (int p = 0; p < kProcs; ++p) {
      int status = 0;
      wait(&status);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "round " << round << ": a process could not open the new store";
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(StoreOpenTest, NonStoreFileIsRefusedWithItsPath) {
  auto path =
      std::filesystem::temp_directory_path() / ("ward_not_a_db_" + std::to_string(getpid()));
  FILE* f = fopen(path.c_str(), "w");
  fputs("this is not sqlite, just text that is long enough to be a header....", f);
  fclose(f);
  auto s = OpenSqliteStore(path.string());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(path.string()), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace ward

namespace ward {
namespace {

ApprovalRecord Pending(const std::string& id, int64_t expires_ms, bool two_person = false) {
  ApprovalRecord a;
  a.id = id;
  a.session = "s_1";
  a.action_hash = "h-" + id;
  a.action_json = "{}";
  a.summary = "create Patient";
  a.requested_by = "alice";
  a.distinct_approver = two_person;
  a.created_ms = 1000;
  a.expires_ms = expires_ms;
  a.state = "pending";
  return a;
}

TEST_F(StoreTest, ApprovalDecisionsBindToTheHashAndHappenOnce) {
  ASSERT_TRUE(store_->CreateApproval(Pending("a_1", 10'000)).ok());
  ApprovalDecision d{true, "bob", "looks right", "h-other", 2000};
  EXPECT_EQ(store_->DecideApproval("a_1", d).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetApproval("a_1")->state, "pending");
  d.hash = "h-a_1";
  auto decided = store_->DecideApproval("a_1", d);
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_EQ(decided->state, "approved");
  EXPECT_EQ(decided->decided_by, "bob");
  d.approve = false;
  EXPECT_EQ(store_->DecideApproval("a_1", d).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->DecideApproval("a_404", d).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, TwoPersonRuleAndExpiry) {
  ASSERT_TRUE(store_->CreateApproval(Pending("a_2", 10'000, /*two_person=*/true)).ok());
  ApprovalDecision self{true, "alice", "", "h-a_2", 2000};
  EXPECT_EQ(store_->DecideApproval("a_2", self).status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(store_->CreateApproval(Pending("a_3", 5'000)).ok());
  auto pending = store_->ListApprovals("pending", 10, 4'999);
  EXPECT_EQ(pending->size(), 2u);
  pending = store_->ListApprovals("pending", 10, 5'000);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().id, "a_2");
  ApprovalDecision late{true, "bob", "", "h-a_3", 6'000};
  auto r = store_->DecideApproval("a_3", late);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("expired"), std::string::npos);
}

TEST_F(StoreTest, CancelRequestsAreSeenByOtherConnections) {
  ASSERT_TRUE(store_->CreateSession({"s_9", "t", "m", "code", "a", "running", 1, 1}).ok());
  EXPECT_FALSE(*store_->CancelRequested("s_9"));
  auto other = OpenSqliteStore(path_);
  ASSERT_TRUE((*other)->RequestCancel("s_9").ok());
  EXPECT_TRUE(*store_->CancelRequested("s_9"));
  EXPECT_EQ((*other)->RequestCancel("s_nope").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ward

namespace ward {
namespace {

TEST_F(StoreTest, StoreFilesAreOwnerOnlyWhateverTheUmask) {
  store_.reset();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  mode_t saved = umask(0);
  auto store = OpenSqliteStore(path_);
  umask(saved);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  SessionRecord r{"s_1", "task", "scripted:x", "code", "alice", "running", 10, 10};
  ASSERT_TRUE((*store)->CreateSession(r).ok());  // the -wal and -shm exist now
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    ASSERT_EQ(stat((path_ + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "ward.db" << suffix;
  }
}

// A store whose journal columns were named for FHIR (base_url, resource_type,
// resource_id) keeps its entries under the connector-neutral names.
TEST_F(StoreTest, OlderJournalColumnsAreRenamedAndTheirEntriesKept) {
  store_.reset();
  std::filesystem::remove(path_);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE journal (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT "
                         "NOT NULL, seq INTEGER NOT NULL, mode TEXT NOT NULL, connector TEXT NOT "
                         "NULL, base_url TEXT NOT NULL, operation TEXT NOT NULL, resource_type "
                         "TEXT NOT NULL, resource_id TEXT NOT NULL, pre_image TEXT NOT NULL, "
                         "pre_version TEXT NOT NULL, post_image TEXT NOT NULL, post_version TEXT "
                         "NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL, time_ms INTEGER NOT "
                         "NULL); INSERT INTO journal (session, seq, mode, connector, base_url, "
                         "operation, resource_type, resource_id, pre_image, pre_version, "
                         "post_image, post_version, state, detail, time_ms) VALUES ('s_old', 1, "
                         "'live', 'fhir', 'http://ehr/fhir', 'create', 'Patient', 'p1', '', '', "
                         "'{}', '1', 'done', '', 5);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenSqliteStore(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto entries = (*store)->ListJournal("s_old", JournalMode::kLive);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].endpoint, "http://ehr/fhir");
  EXPECT_EQ((*entries)[0].target_type, "Patient");
  EXPECT_EQ((*entries)[0].target_id, "p1");
  auto again = OpenSqliteStore(path_);  // already renamed: opens as it is
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

// A store made before the claimed actor and the owner were recorded gets them.
TEST_F(StoreTest, OlderStoresGainTheNewSessionColumns) {
  store_.reset();
  std::filesystem::remove(path_);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE sessions (id TEXT PRIMARY KEY, task TEXT NOT NULL, model "
                         "TEXT NOT NULL, mode TEXT NOT NULL, actor TEXT NOT NULL, status TEXT NOT "
                         "NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, answer "
                         "TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', steps INTEGER "
                         "NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0, "
                         "output_tokens INTEGER NOT NULL DEFAULT 0, pid INTEGER NOT NULL DEFAULT "
                         "0); INSERT INTO sessions (id, task, model, mode, actor, status, "
                         "created_ms, updated_ms) VALUES ('s_old','t','m','code','ann','running',"
                         "1,1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenSqliteStore(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto old = (*store)->GetSession("s_old");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->actor, "ann");
  EXPECT_EQ(old->claimed_actor, "");
  SessionRecord r{"s_new", "task", "scripted:x", "code", "ann", "running", 10, 10};
  r.claimed_actor = "alice";
  r.owner_start = 42;
  r.owner_host = "h";
  ASSERT_TRUE((*store)->CreateSession(r).ok());
  auto back = (*store)->GetSession("s_new");
  EXPECT_EQ(back->claimed_actor, "alice");
  EXPECT_EQ(back->owner_start, 42);
  EXPECT_EQ(back->owner_host, "h");
}

}  // namespace
}  // namespace ward
