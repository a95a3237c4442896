// Running an sql binding call: queries straight to the database; row writes and
// statements journaled with the one protocol (intent before, result after), row
// writes as a compare-and-set on the row as prepared.
#include "connectors/sql/sql_internal.h"
#include "util/json_limits.h"

namespace ward::sql {
namespace {

using nlohmann::json;

BindingOutcome Failure(const std::string& binding, const Status& s) {
  return BindingFailure("SqlError", binding + "(): " + s.message());
}

BindingOutcome Conflict(const std::string& binding, const json& current) {
  BindingOutcome out = BindingFailure(
      "SqlConflictError",
      binding +
          "(): nothing was written: the row changed after ward read it (and after any "
          "approver saw it) — read it again and decide whether the change still applies. "
          "It is now: " +
          QuoteModelText(DumpJson(current), 200));
  out.stale = true;
  return out;
}

// The journal entry of a write, before it happens.
JournalEntry Draft(const SqlCallContext& ctx, const std::string& op, const PreparedAction& a,
                   const json& key) {
  JournalEntry j;
  j.connector = ctx.config.name;
  j.endpoint = ctx.endpoint;
  j.operation = op;
  j.target_type = a.descriptor.resource_type;
  j.target_id = key.is_object() ? DumpJson(key) : "";
  j.pre_image = a.before == "null" ? "" : a.before;
  j.post_image = a.after == "null" ? "" : a.after;
  return j;
}

BindingOutcome Query(const SqlCallContext& ctx, const std::string& binding, const json& args) {
  json params = args.value("params", json());
  auto r = ctx.db->Query(args["sql"], params.is_null() ? json::array() : params);
  if (!r.ok()) return Failure(binding, r.status());
  json rows = json::array();
  for (auto& row : r->rows) rows.push_back(std::move(row));
  BindingOutcome out = BindingValue(
      DumpJson({{"columns", r->columns}, {"rows", rows}, {"truncated", r->truncated}}));
  out.audit.Set("rows", static_cast<int64_t>(rows.size())).Set("truncated", r->truncated);
  return out;
}

// Performs one write (inside a rolled-back transaction in a dry run) and returns
// the row as it is after it (null when deleted), or a conflict's current row.
struct WriteResult {
  Status status;
  bool conflict = false;
  bool already = false;  // the row already was as the write would leave it: nothing written
  json row;              // after the write; for a conflict, the row found
  int64_t changed = 0;   // execute
};

WriteResult Write(const SqlCallContext& ctx, const std::string& op, const json& args,
                  const JournalEntry& j) {
  SqlDatabase& db = *ctx.db;
  WriteResult w;
  if (op == "execute") {
    json params = args.value("params", json());
    auto n = db.Execute(args["sql"], params.is_null() ? json::array() : params);
    if (!n.ok())
      w.status = n.status();
    else
      w.changed = *n;
    return w;
  }
  if (op == "insert") {
    auto change = db.Insert(j.target_type, args["row"]);
    if (!change.ok())
      w.status = change.status();
    else
      w.row = change->after;
    return w;
  }
  json key = ParseJsonOrDiscarded(j.target_id);
  json before = Parsed(j.pre_image);
  json target = op == "delete" ? json() : Parsed(j.post_image);
  auto r = db.RestoreRow(j.target_type, key, before, target);
  if (!r.ok()) {
    w.status = r.status();
  } else if (r->status == RestoreStatus::kConflict) {
    w.conflict = true;
    w.row = r->current;
  } else {
    w.already = r->status == RestoreStatus::kAlreadyRestored;
    w.row = r->current;
  }
  return w;
}

}  // namespace

BindingOutcome RunSqlCall(const SqlCallContext& ctx, const std::string& op,
                          const std::string& args_json, const PreparedCall* prepared) {
  const std::string binding = ctx.config.name + "." + op;
  PreparedCall own;
  if (!prepared) {
    own = PrepareSqlCall(*ctx.db, ctx.config, op, args_json);
    prepared = &own;
  }
  if (!prepared->refusal.ok) {
    BindingOutcome out;
    out.reply = prepared->refusal;
    return out;
  }
  json args = ParseJsonOrDiscarded(args_json);
  if (op == "query") return Query(ctx, binding, args);
  if (!ctx.scope)
    return BindingFailure("PermissionDenied",
                          binding + "(): writes are not journaled here; refused");

  const PreparedAction& a = prepared->actions.at(0);
  json key;
  if (op == "update" || op == "delete") {
    key = args["key"];
  } else if (op == "insert") {
    auto k = KeyOf(*ctx.db, a.descriptor.resource_type, args["row"]);
    if (k.ok()) key = *k;  // null: the database assigns it; known once written
  }
  auto j = JournalIntent(*ctx.scope, Draft(ctx, op, a, key));
  if (!j.ok()) return BindingFailure("PermissionDenied", binding + "(): " + j.status().message());

  if (ctx.scope->dry_run && op == "execute") {
    // A statement can act beyond the transaction a dry run rolls back (a sequence,
    // a file, another session, a notification): in a dry run it is not run at all.
    BindingOutcome planned = BindingValue(DumpJson({{"rows_changed", nullptr}, {"dry_run", true}}));
    planned.reply.warnings.push_back(
        "dry run: the statement was not run; recorded in the changeset");
    JournalResult(*ctx.scope, *j, JournalState::kPlanned, "dry run: not run", planned);
    return planned;
  }
  WriteResult w;
  if (ctx.scope->dry_run) {
    auto dry = ctx.db->BeginDryRun();
    if (!dry.ok()) {
      w.status = dry.status();
    } else {
      w = Write(ctx, op, args, *j);
    }
  } else {
    w = Write(ctx, op, args, *j);
  }

  BindingOutcome out;
  if (!w.status.ok() || w.conflict) {
    out = w.conflict ? Conflict(binding, w.row) : Failure(binding, w.status);
    JournalResult(*ctx.scope, *j, JournalState::kFailed,
                  w.conflict ? "conflict: the row changed since it was read" : w.status.message(),
                  out);
    return out;
  }
  if (w.already) {
    // Someone else made this very change first. It is not the session's to undo,
    // so the entry is not "done" (rollback would revert another's work).
    out = BindingValue(DumpJson(w.row));
    out.reply.warnings.push_back(
        "the row already was as requested (changed by someone else meanwhile); nothing was "
        "written");
    JournalResult(*ctx.scope, *j, JournalState::kFailed,
                  "no change: the row already was as requested", out);
    return out;
  }
  if (op == "execute") {
    out = BindingValue(DumpJson({{"rows_changed", w.changed}}));
    out.audit.Set("rows_changed", w.changed);
  } else {
    out = BindingValue(DumpJson(w.row));
    if (op != "delete") j->post_image = DumpJson(w.row);
    if (op == "insert" && j->target_id.empty()) {
      auto k = KeyOf(*ctx.db, j->target_type, w.row);
      if (k.ok() && k->is_object()) j->target_id = DumpJson(*k);
    }
    out.audit.Set("table", j->target_type);  // the key stays in the journal: it may name a person
  }
  if (ctx.scope->dry_run) {
    out.reply.warnings.push_back("dry run: not written (rolled back); recorded in the changeset");
    JournalResult(*ctx.scope, *j, JournalState::kPlanned, "dry run: rolled back", out);
  } else {
    JournalResult(*ctx.scope, *j, JournalState::kDone, "", out);
  }
  return out;
}

}  // namespace ward::sql
