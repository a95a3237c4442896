// Dead sessions are seen as dead: a running session whose process has ended is
// interrupted, its approvals close, its stream gets a `finished` event, and the
// audit log says so.
#include "runtime/session_reaper.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sandbox/workspace.h"
#include "store/session_owner.h"

namespace ward {
namespace {

// The owner record of a process that ran on this host and has exited.
ProcessOwner DeadProcessOwner() {
  int ready[2];
  EXPECT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    char byte;
    close(ready[1]);
    (void)!read(ready[0], &byte, 1);  // until the parent closes its end
    _exit(0);
  }
  close(ready[0]);
  ProcessOwner owner = CurrentProcessOwner();
  owner.pid = child;
  owner.start = ProcessStartTime(child);
  EXPECT_NE(owner.start, 0);
  close(ready[1]);
  int status = 0;
  waitpid(child, &status, 0);
  return owner;
}

class SessionReaperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_reaper_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SessionRecord Running(const std::string& id, const ProcessOwner& owner) {
    SessionRecord r{id, "task", "scripted:x", "code", "ann", "running", 1, 1};
    SetSessionOwner(owner, &r);
    EXPECT_TRUE(store_->CreateSession(r).ok());
    return r;
  }
  ApprovalRecord Pending(const std::string& id, const std::string& session) {
    ApprovalRecord a;
    a.id = id;
    a.session = session;
    a.action_hash = "h";
    a.action_json = "{}";
    a.state = "pending";
    a.created_ms = 1;
    a.expires_ms = clock_.NowMillis() + 600'000;
    EXPECT_TRUE(store_->CreateApproval(a).ok());
    return a;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  SystemClock clock_;
};

TEST_F(SessionReaperTest, ASessionWhoseProcessEndedIsInterruptedWithItsApprovalsClosed) {
  ProcessOwner dead = DeadProcessOwner();
  Running("s_dead", dead);
  Pending("a_dead", "s_dead");
  Running("s_alive", CurrentProcessOwner());
  Pending("a_alive", "s_alive");
  ProcessOwner elsewhere = dead;
  elsewhere.host = "another-host";
  Running("s_elsewhere", elsewhere);

  auto n = InterruptDeadSessions(store_.get(), &clock_, "ann");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  auto s = store_->GetSession("s_dead");
  EXPECT_EQ(s->status, "interrupted");
  EXPECT_NE(s->reason.find("pid " + std::to_string(dead.pid)), std::string::npos) << s->reason;
  EXPECT_EQ(store_->GetSession("s_alive")->status, "running");
  EXPECT_EQ(store_->GetSession("s_elsewhere")->status, "running");  // cannot tell from here

  EXPECT_EQ(store_->GetApproval("a_dead")->state, "closed");
  EXPECT_EQ(store_->GetApproval("a_alive")->state, "pending");
  auto decided = store_->DecideApproval("a_dead", {true, "bob", "", "h", clock_.NowMillis()});
  EXPECT_EQ(decided.status().code(), StatusCode::kFailedPrecondition);

  auto events = store_->ListEvents("s_dead", 0, 0);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->back().type, "finished");
  EXPECT_EQ(nlohmann::json::parse(events->back().payload_json)["status"], "interrupted");

  auto audit = store_->ListAudit(0, 0);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ(audit->back().kind, "session_interrupted");
  EXPECT_EQ(audit->back().session, "s_dead");

  // Once only.
  EXPECT_EQ(*InterruptDeadSessions(store_.get(), &clock_, "ann"), 0);
  EXPECT_EQ(store_->ListAudit(0, 0)->size(), 1u);
}

// The session's own workspace, which its killed process could not remove, goes
// with it; a live session's stays.
TEST_F(SessionReaperTest, AnInterruptedSessionsTemporaryWorkspaceIsRemoved) {
  std::string old_tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "";
  setenv("TMPDIR", dir_.c_str(), 1);
  std::vector<std::string> paths;
  for (const char* id : {"s_dead", "s_alive"}) {
    auto ws = TempWorkspace::Create(dir_.string(), SessionWorkspacePrefix(id), GuestHostOwner());
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    std::ofstream(std::filesystem::path((*ws)->path()) / "notes.txt") << "guest data";
    paths.push_back((*ws)->path());
    static_cast<void>((*ws).release());  // as a killed process leaves it
  }
  Running("s_dead", DeadProcessOwner());
  Running("s_alive", CurrentProcessOwner());
  auto n = InterruptDeadSessions(store_.get(), &clock_, "ann");
  if (old_tmpdir.empty())
    unsetenv("TMPDIR");
  else
    setenv("TMPDIR", old_tmpdir.c_str(), 1);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_FALSE(std::filesystem::exists(paths[0])) << "the dead session's workspace is left";
  EXPECT_TRUE(std::filesystem::exists(paths[1])) << "a live session's workspace was removed";
  std::filesystem::remove_all(paths[1]);
}

TEST_F(SessionReaperTest, GetLiveSessionInterruptsOnSight) {
  Running("s_dead", DeadProcessOwner());
  auto s = GetLiveSession(store_.get(), &clock_, "ann", "s_dead");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->status, "interrupted");
  Running("s_alive", CurrentProcessOwner());
  EXPECT_EQ(GetLiveSession(store_.get(), &clock_, "ann", "s_alive")->status, "running");
  EXPECT_EQ(GetLiveSession(store_.get(), &clock_, "ann", "s_none").status().code(),
            StatusCode::kNotFound);
}

// The store refuses a decision for a session whose process has gone even before
// anyone interrupted it.
TEST_F(SessionReaperTest, TheStoreRefusesDecisionsNoOneWaitsFor) {
  Running("s_dead", DeadProcessOwner());
  Pending("a_dead", "s_dead");
  auto decided = store_->DecideApproval("a_dead", {true, "bob", "", "h", clock_.NowMillis()});
  EXPECT_EQ(decided.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(decided.status().message().find("has ended"), std::string::npos);
}

TEST(SessionOwnerTest, ThisProcessIsAliveAndARecycledPidIsNot) {
  SessionRecord r;
  r.status = "running";
  SetSessionOwner(CurrentProcessOwner(), &r);
  EXPECT_EQ(CheckSessionOwner(r), OwnerLiveness::kAlive);
  r.owner_start += 1;  // the same pid, started at another time: another process
  EXPECT_EQ(CheckSessionOwner(r), OwnerLiveness::kGone);
  r.pid = 0;
  EXPECT_EQ(CheckSessionOwner(r), OwnerLiveness::kUnknown);
}

}  // namespace
}  // namespace ward
