// The sql connector's side of the journal: settling, undoing and replaying its
// entries. Every undo is a compare-and-set on the row (RestoreRow): the pre-image
// goes back only while the row still equals what the session left.
#include "connectors/sql/sql_internal.h"
#include "journal/replay_ids.h"
#include "util/json_limits.h"

namespace ward::sql {
namespace {

using nlohmann::json;

// The row, for details (rollback prints the full target beside them).
std::string Ref(const JournalEntry& e) { return e.target_type + " row"; }

std::string Shown(const json& row) {
  return row.is_null() ? "(no row)" : QuoteModelText(DumpJson(row), 120);
}

class SqlCompensator : public Compensator {
 public:
  explicit SqlCompensator(SqlCallContext ctx) : ctx_(std::move(ctx)) {}

  Settlement Settle(const JournalEntry& e) override {
    Settlement s;
    s.entry = e;
    if (e.operation == "execute" || e.target_id.empty()) {
      s.detail = Ref(e) + ": what a " + e.operation +
                 " did cannot be read back from the database; check it by hand";
      return s;
    }
    auto now = ctx_.db->ReadRow(e.target_type, ParseJsonOrDiscarded(e.target_id));
    if (!now.ok()) {
      s.detail = Ref(e) + ": " + now.status().message();
      return s;
    }
    json before = Parsed(e.pre_image);
    json after = e.operation == "delete" ? json() : Parsed(e.post_image);
    if (*now == after) {
      s.outcome = Settlement::Outcome::kHappened;
      s.detail = Ref(e) + ": the row is as the write would leave it";
      s.entry.state = JournalState::kDone;
      if (e.operation != "delete") s.entry.post_image = DumpJson(*now);
    } else if (*now == before) {
      s.outcome = Settlement::Outcome::kDidNotHappen;
      s.detail = Ref(e) + ": the row is as it was before the write";
      s.entry.state = JournalState::kFailed;
    } else {
      s.detail = Ref(e) + ": the row is neither as before nor as after the write";
    }
    return s;
  }

  RollbackStep PlanUndo(const JournalEntry& e) override {
    RollbackStep step{e, "", "", ""};
    if (e.operation == "execute") {
      step.action = "none";
      step.outcome = "irreversible";
      step.detail = Ref(e) + ": a statement run with execute cannot be undone";
      return step;
    }
    auto now = ctx_.db->ReadRow(e.target_type, ParseJsonOrDiscarded(e.target_id));
    if (!now.ok()) {
      step.outcome = "failed";
      step.detail = Ref(e) + ": " + now.status().message();
      return step;
    }
    json before = Parsed(e.pre_image);
    json left = e.operation == "delete" ? json() : Parsed(e.post_image);
    step.action = e.operation == "insert" ? "delete" : "restore";
    if (*now == before) {
      step.action = "none";
      step.outcome = "already undone";
      step.detail = Ref(e) + " is already as it was before the session";
    } else if (*now != left) {
      step.outcome = "conflict";
      step.detail = Ref(e) + ": the session left " + Shown(left) + " but the row is now " +
                    Shown(*now) +
                    "; someone else changed it, so rollback stops here and changes nothing more";
    }
    return step;
  }

  void Undo(const JournalEntry& e, RollbackStep& step) override {
    json left = e.operation == "delete" ? json() : Parsed(e.post_image);
    auto r = ctx_.db->RestoreRow(e.target_type, ParseJsonOrDiscarded(e.target_id), left,
                                 Parsed(e.pre_image));
    if (!r.ok()) {
      step.outcome = "failed";
      step.detail = Ref(e) + ": " + r.status().message();
    } else if (r->status == RestoreStatus::kConflict) {
      step.outcome = "conflict";
      step.detail = Ref(e) + ": the row changed meanwhile; it is now " + Shown(r->current);
    } else {
      step.outcome = "undone";
      step.detail = Ref(e) + (e.operation == "insert" ? " deleted" : " restored");
    }
  }

  Result<std::string> Drift(const JournalEntry& e) override {
    if (e.operation == "execute" || e.target_id.empty()) return std::string();
    WARD_ASSIGN_OR_RETURN(json now,
                          ctx_.db->ReadRow(e.target_type, ParseJsonOrDiscarded(e.target_id)));
    if (now == Parsed(e.pre_image)) return std::string();
    return Ref(e) + ": the dry run saw " + Shown(Parsed(e.pre_image)) + ", the row is now " +
           Shown(now);
  }

  std::vector<Binding> ReplayBindings(JournalScope* scope) override {
    SqlCallContext ctx = ctx_;
    ctx.scope = scope;
    return MakeSqlBindings(ctx);
  }

  // Values holding a simulated id from the same dry run (a FHIR resource it
  // created) are replayed with the real id.
  GuestCall Replay(const JournalEntry& e, const ReplayIds& ids) override {
    const std::string binding = e.connector + "." + e.operation;
    json post = Parsed(e.post_image);
    RewriteReplayIds(post, ids);
    if (e.operation == "execute") return {binding, DumpJson(post)};
    json key = ParseJsonOrDiscarded(e.target_id);
    RewriteReplayIds(key, ids);
    if (e.operation == "insert")
      return {binding, DumpJson({{"table", e.target_type}, {"row", post}})};
    if (e.operation == "delete")
      return {binding, DumpJson({{"table", e.target_type}, {"key", key}})};
    json changes = json::object();
    json before = Parsed(e.pre_image);
    if (post.is_object())
      for (const auto& [column, value] : post.items())
        if (!key.contains(column) && (!before.is_object() || before.value(column, json()) != value))
          changes[column] = value;
    return {binding, DumpJson({{"table", e.target_type}, {"key", key}, {"changes", changes}})};
  }

  std::string Replayed(const JournalEntry& e, const GuestCall& call, const std::string&,
                       ReplayIds&) override {
    return call.name + " " + e.target_type;
  }

 private:
  SqlCallContext ctx_;
};

}  // namespace

std::unique_ptr<Compensator> NewSqlCompensator(SqlCallContext ctx) {
  return std::make_unique<SqlCompensator>(std::move(ctx));
}

}  // namespace ward::sql
