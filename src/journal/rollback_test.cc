// The journal protocol and rollback, connector-agnostic: entries of two connectors
// undone in reverse order by a scripted compensator (a test double that records
// what it was asked and answers as each test sets), conflicts that stop it,
// irreversible effects that are listed, settlement of entries left at "intent",
// and the fail-closed writer.
#include "journal/rollback.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "journal/journal_writer.h"

namespace ward {
namespace {

// A compensator whose answers the test scripts, per resource id: what PlanUndo
// and Undo return, what Settle finds. Records every undo it performs.
struct ScriptedCompensatorState {
  std::map<std::string, std::string> plan;  // id -> outcome ("" to apply)
  std::map<std::string, std::string> undo;  // id -> outcome (default "undone")
  std::map<std::string, Settlement::Outcome> settle;
  std::vector<std::string> undone;  // "connector:id" in order
};

class ScriptedCompensator : public Compensator {
 public:
  ScriptedCompensator(std::string name, ScriptedCompensatorState* state)
      : name_(std::move(name)), state_(state) {}
  Settlement Settle(const JournalEntry& e) override {
    Settlement s;
    s.outcome = state_->settle.count(e.target_id) ? state_->settle.at(e.target_id)
                                                  : Settlement::Outcome::kUnknown;
    s.detail = "scripted";
    s.entry = e;
    s.entry.state =
        s.outcome == Settlement::Outcome::kHappened ? JournalState::kDone : JournalState::kFailed;
    return s;
  }
  RollbackStep PlanUndo(const JournalEntry& e) override {
    RollbackStep step{e, "restore", "", ""};
    if (state_->plan.count(e.target_id)) step.outcome = state_->plan.at(e.target_id);
    if (!step.outcome.empty()) step.detail = e.target_id + " " + step.outcome;
    return step;
  }
  void Undo(const JournalEntry& e, RollbackStep& step) override {
    step.outcome = state_->undo.count(e.target_id) ? state_->undo.at(e.target_id) : "undone";
    state_->undone.push_back(name_ + ":" + e.target_id);
  }
  Result<std::string> Drift(const JournalEntry&) override { return std::string(); }
  std::vector<Binding> ReplayBindings(JournalScope*) override { return {}; }
  GuestCall Replay(const JournalEntry&, const ReplayIds&) override { return {}; }
  std::string Replayed(const JournalEntry&, const GuestCall&, const std::string&,
                       ReplayIds&) override {
    return "";
  }

 private:
  std::string name_;
  ScriptedCompensatorState* state_;
};

class RollbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_journal_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
    audit_ = std::make_unique<AuditLog>(store_.get(), &clock_, "tester");
    SessionRecord s{"s1", "task", "scripted:x", "code", "ann", "failed", 1, 1};
    ASSERT_TRUE(store_->CreateSession(s).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A "done" effect of `connector` on target `id`, journaled through the writer.
  void Done(const std::string& connector, const std::string& id,
            const std::string& state = "done") {
    JournalScope scope{store_.get(), "s1", false, &clock_};
    JournalEntry draft;
    draft.connector = connector;
    draft.operation = "update";
    draft.target_type = "Thing";
    draft.target_id = id;
    auto j = JournalIntent(scope, draft);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    if (state == "intent") return;
    BindingOutcome out;
    JournalResult(scope, *j, *JournalStateFromName(state), "", out);
    ASSERT_TRUE(out.unrecorded.ok());
  }

  CompensatorLookup Lookup() {
    return [this](const JournalEntry& e) -> Result<std::unique_ptr<Compensator>> {
      if (e.connector != "ehr" && e.connector != "db")
        return NotFound("no connector named '" + e.connector + "' is configured here");
      return std::unique_ptr<Compensator>(
          std::make_unique<ScriptedCompensator>(e.connector, &state_));
    };
  }

  RollbackReport Rollback(bool dry_run = false) {
    auto r = RollbackSession(store_.get(), audit_.get(), Lookup(), "s1", {dry_run});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RollbackReport{};
  }

  std::vector<std::string> States() {
    std::vector<std::string> out;
    auto entries = store_->ListJournal("s1", JournalMode::kLive);
    EXPECT_TRUE(entries.ok());
    if (entries.ok())
      for (const auto& e : *entries) out.push_back(JournalStateName(e.state));
    return out;
  }

  std::filesystem::path dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> audit_;
  ScriptedCompensatorState state_;
};

TEST_F(RollbackTest, UndoesEveryConnectorsEffectsInReverseOrderAndAuditsEachStep) {
  Done("ehr", "1");
  Done("db", "2");
  Done("ehr", "3");
  RollbackReport r = Rollback();
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(state_.undone, (std::vector<std::string>{"ehr:3", "db:2", "ehr:1"}));
  EXPECT_EQ(States(), (std::vector<std::string>{"compensated", "compensated", "compensated"}));
  auto audit = store_->ListAudit(0, 0).value();
  ASSERT_EQ(audit.size(), 3u);
  auto data = nlohmann::json::parse(audit[1].body)["data"];
  EXPECT_EQ(data["connector"], "db");
  EXPECT_EQ(data["outcome"], "undone");
  // Nothing left to undo the second time.
  EXPECT_TRUE(Rollback().steps.empty());
}

TEST_F(RollbackTest, AConflictStopsItThereAndAResumeGoesOnFromThere) {
  Done("ehr", "1");
  Done("db", "2");
  Done("ehr", "3");
  state_.plan["2"] = "conflict";
  RollbackReport r = Rollback();
  EXPECT_FALSE(r.complete);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[1].outcome, "conflict");
  EXPECT_EQ(state_.undone, (std::vector<std::string>{"ehr:3"})) << "went past the conflict";
  EXPECT_EQ(States(), (std::vector<std::string>{"done", "done", "compensated"}));
  state_.plan.erase("2");  // resolved by hand
  EXPECT_TRUE(Rollback().complete);
  EXPECT_EQ(state_.undone, (std::vector<std::string>{"ehr:3", "db:2", "ehr:1"}));
}

TEST_F(RollbackTest, AnIrreversibleEffectIsListedAndTheRestIsStillUndone) {
  Done("ehr", "1");
  Done("db", "2");
  state_.plan["2"] = "irreversible";
  RollbackReport r = Rollback();
  EXPECT_FALSE(r.complete) << "a rollback that left an effect in place is not complete";
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].outcome, "irreversible");
  EXPECT_EQ(state_.undone, (std::vector<std::string>{"ehr:1"}));
  EXPECT_EQ(States(), (std::vector<std::string>{"compensated", "done"}));
}

TEST_F(RollbackTest, AnEntryOfAConnectorNotConfiguredHereStopsItSayingWhich) {
  Done("ehr", "1");
  Done("billing", "2");
  RollbackReport r = Rollback();
  EXPECT_FALSE(r.complete);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].outcome, "failed");
  EXPECT_NE(r.steps[0].detail.find("no connector named 'billing'"), std::string::npos)
      << r.steps[0].detail;
  EXPECT_TRUE(state_.undone.empty());
}

TEST_F(RollbackTest, EntriesLeftAtIntentAreSettledFirst) {
  Done("ehr", "happened", "intent");
  Done("ehr", "never", "intent");
  state_.settle["happened"] = Settlement::Outcome::kHappened;
  state_.settle["never"] = Settlement::Outcome::kDidNotHappen;
  RollbackReport r = Rollback();
  EXPECT_TRUE(r.complete);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].outcome, "not applied");
  EXPECT_EQ(r.steps[1].outcome, "undone");
  EXPECT_EQ(States(), (std::vector<std::string>{"compensated", "failed"}));

  Done("ehr", "unknowable", "intent");  // settle answers unknown: stop, change nothing
  r = Rollback();
  EXPECT_FALSE(r.complete);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].outcome, "unknown");
  EXPECT_EQ(States().back(), "intent");
}

TEST_F(RollbackTest, ADryRunPlansAndChangesNothing) {
  Done("ehr", "1");
  Done("db", "2");
  RollbackReport r = Rollback(/*dry_run=*/true);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].outcome, "planned");
  EXPECT_TRUE(state_.undone.empty());
  EXPECT_EQ(States(), (std::vector<std::string>{"done", "done"}));
}

TEST_F(RollbackTest, NoStoreMeansNoIntentAndAFailedResultFailsTheCallClosed) {
  JournalScope none{nullptr, "s1", false, &clock_};
  auto refused = JournalIntent(none, JournalEntry{});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);

  JournalScope scope{store_.get(), "s1", false, &clock_};
  JournalEntry draft;
  draft.connector = "db";
  auto j = JournalIntent(scope, draft);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state, JournalState::kIntent);
  EXPECT_EQ(j->mode, JournalMode::kLive);
  j->id += 1000;  // an entry the store does not have: the update fails
  BindingOutcome out;
  JournalResult(scope, *j, JournalState::kDone, "", out);
  EXPECT_FALSE(out.unrecorded.ok());
  ASSERT_EQ(out.reply.warnings.size(), 1u);
  EXPECT_NE(out.reply.warnings[0].find("could not record"), std::string::npos);
}

}  // namespace
}  // namespace ward
