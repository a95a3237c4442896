// The gate's audit promises against a real SQLite store whose audit log is made to
// refuse chosen kinds of entries (a trigger, as a full disk or a held lock would):
// an effect never runs unless its intent is committed first, an effect whose
// outcome cannot be recorded fails the session closed, and no approval or code
// decision is acted on without its audit entry.
#include "gate/gate.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "store/event_log.h"

namespace ward {
namespace {

using nlohmann::json;

// A manual clock that runs `on_sleep` each time the gate waits (to decide approvals).
class HookClock : public ManualClock {
 public:
  std::function<void()> on_sleep;
  void SleepFor(int64_t millis) override {
    ManualClock::SleepFor(millis);
    if (on_sleep) on_sleep();
  }
};

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_gate_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore(db())).value();
    events_ = std::make_unique<EventLog>(store_.get(), &clock_);
    audit_ = std::make_unique<AuditLog>(store_.get(), &clock_, "tester");
    for (const char* op : {"write", "read"}) {
      Binding b;
      b.name = std::string("t.") + op;
      b.signature = std::string(op) + "()";
      b.operation = op;
      b.handler = [this, op](const BindingContext& context, const std::string&) {
        ++runs_[op];
        seen_cancel_ = context.cancel;
        if (on_run_) on_run_();
        return BindingValue("1");
      };
      ASSERT_TRUE(registry_.Add(b).ok());
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string db() const { return (dir_ / "ward.db").string(); }

  // From now on the audit log refuses entries of `kind`.
  void FailAuditOf(const std::string& kind) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
    std::string sql = "CREATE TRIGGER fail_" + kind + " BEFORE INSERT ON audit WHEN NEW.kind='" +
                      kind + "' BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END;";
    char* err = nullptr;
    int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(raw);
  }

  std::unique_ptr<Gate> MakeGate(const char* policy_toml) {
    if (policy_toml) policy_ = std::move(Policy::FromToml(policy_toml, "test")).value();
    GateOptions o;
    o.policy = policy_toml ? &policy_ : nullptr;
    o.store = store_.get();
    o.clock = &clock_;
    o.actor = "tester";
    o.cancel = &cancel_;
    return std::make_unique<Gate>(&registry_, audit_.get(), events_.get(), o);
  }

  std::vector<StoredAuditEntry> Audit(const std::string& kind) {
    std::vector<StoredAuditEntry> out;
    std::vector<StoredAuditEntry> all = store_->ListAudit(0, 0).value();
    for (auto& e : all)
      if (e.kind == kind) out.push_back(e);
    return out;
  }

  // Approves every pending approval whenever the gate waits.
  void ApproveWhenAsked() {
    clock_.on_sleep = [this] {
      auto pending = store_->ListApprovals("pending", 10, clock_.NowMillis());
      ASSERT_TRUE(pending.ok());
      for (const auto& a : *pending) {
        ApprovalDecision d{true, "approver", "", a.action_hash, clock_.NowMillis()};
        ASSERT_TRUE(store_->DecideApproval(a.id, d).ok());
      }
    };
  }

  static constexpr const char* kAllowAll =
      "[[policy.rule]]\nname = \"allow-all\"\nbinding = \"*\"\ndecision = \"allow\"\n";

  std::filesystem::path dir_;
  HookClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<EventLog> events_;
  std::unique_ptr<AuditLog> audit_;
  BindingRegistry registry_;
  Policy policy_;
  std::map<std::string, int> runs_;
  std::function<void()> on_run_;
  CancelToken cancel_;
  const CancelToken* seen_cancel_ = nullptr;
  BindingContext context_{"s_test", 1};
};

TEST_F(GateTest, AnEffectIsAuditedBeforeItRunsAndItsOutcomeNamesTheIntent) {
  auto gate = MakeGate(kAllowAll);
  std::string last_kind_when_run;
  on_run_ = [&] {
    std::vector<StoredAuditEntry> all = store_->ListAudit(0, 0).value();
    last_kind_when_run = all.empty() ? "(none)" : all.back().kind;
  };
  GuestCallReply reply = gate->Dispatch(context_, {"t.write", R"({"x":1})"});
  ASSERT_TRUE(reply.ok) << reply.error_message;
  EXPECT_EQ(last_kind_when_run, "binding_intent");
  auto intents = Audit("binding_intent");
  auto calls = Audit("binding_call");
  ASSERT_EQ(intents.size(), 1u);
  ASSERT_EQ(calls.size(), 1u);
  json intent = json::parse(intents[0].body)["data"];
  EXPECT_EQ(intent["binding"], "t.write");
  EXPECT_EQ(intent["arguments"], json::parse(R"({"x":1})"));
  EXPECT_EQ(intent["decision"], "allow");
  EXPECT_EQ(intent["rule"], "allow-all");
  EXPECT_EQ(intent["action_sha256"].get<std::string>().size(), 64u);
  json outcome = json::parse(calls[0].body)["data"];
  EXPECT_EQ(outcome["intent_seq"], intents[0].seq);
  EXPECT_EQ(outcome["intent_hash"], intents[0].hash);
}

// A handler that waits on another system (an API that stalls) sees the session's
// cancel, so cancelling the session stops it.
TEST_F(GateTest, AHandlerSeesTheSessionsCancel) {
  auto gate = MakeGate(kAllowAll);
  ASSERT_TRUE(gate->Dispatch(context_, {"t.read", "{}"}).ok);
  EXPECT_EQ(seen_cancel_, &cancel_);
}

TEST_F(GateTest, AReadIsAuditedOnceAfterwards) {
  auto gate = MakeGate(kAllowAll);
  ASSERT_TRUE(gate->Dispatch(context_, {"t.read", "{}"}).ok);
  EXPECT_TRUE(Audit("binding_intent").empty());
  EXPECT_EQ(Audit("binding_call").size(), 1u);
}

TEST_F(GateTest, AnEffectWhoseIntentCannotBeAuditedDoesNotRun) {
  auto gate = MakeGate(kAllowAll);
  FailAuditOf("binding_intent");
  GuestCallReply reply = gate->Dispatch(context_, {"t.write", "{}"});
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.error_message.find("was not run"), std::string::npos) << reply.error_message;
  EXPECT_EQ(runs_["write"], 0);
  EXPECT_TRUE(gate->failure().ok());  // nothing happened: the session may go on
}

TEST_F(GateTest, AnEffectWhoseOutcomeCannotBeAuditedFailsTheSessionClosed) {
  auto gate = MakeGate(kAllowAll);
  FailAuditOf("binding_call");
  GuestCallReply reply = gate->Dispatch(context_, {"t.write", "{}"});
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.error_message.find("its effect happened"), std::string::npos)
      << reply.error_message;
  EXPECT_EQ(runs_["write"], 1);
  EXPECT_FALSE(gate->failure().ok());
  EXPECT_EQ(Audit("binding_intent").size(), 1u);  // the intent stays, unfinished
  // No further call runs, read or write, and no further code.
  EXPECT_FALSE(gate->Dispatch(context_, {"t.write", "{}"}).ok);
  EXPECT_FALSE(gate->Dispatch(context_, {"t.read", "{}"}).ok);
  EXPECT_FALSE(gate->CheckCode(context_, "print(1)").ok);
  EXPECT_EQ(runs_["write"], 1);
  EXPECT_EQ(runs_["read"], 0);
}

TEST_F(GateTest, NoApprovalIsRequestedWithoutItsAuditEntry) {
  auto gate = MakeGate(nullptr);  // the default policy asks for writes
  FailAuditOf("approval_requested");
  ApproveWhenAsked();
  GuestCallReply reply = gate->Dispatch(context_, {"t.write", "{}"});
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.error_message.find("could not be requested"), std::string::npos)
      << reply.error_message;
  EXPECT_EQ(runs_["write"], 0);
  EXPECT_TRUE(store_->ListApprovals("", 10, clock_.NowMillis()).value().empty());
  std::vector<StoredEvent> events = store_->ListEvents(context_.session, 0, 0).value();
  for (const auto& e : events) EXPECT_NE(e.type, "approval_requested");
}

TEST_F(GateTest, AnApprovalWhoseDecisionCannotBeAuditedIsNotActedOn) {
  auto gate = MakeGate(nullptr);
  FailAuditOf("approval_decided");
  ApproveWhenAsked();
  GuestCallReply reply = gate->Dispatch(context_, {"t.write", "{}"});
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.error_message.find("could not be audited"), std::string::npos)
      << reply.error_message;
  EXPECT_EQ(runs_["write"], 0);
  EXPECT_TRUE(Audit("binding_intent").empty());
}

TEST_F(GateTest, AnApprovedEffectRunsOnceItsDecisionIsAudited) {
  auto gate = MakeGate(nullptr);
  ApproveWhenAsked();
  ASSERT_TRUE(gate->Dispatch(context_, {"t.write", "{}"}).ok);
  EXPECT_EQ(runs_["write"], 1);
  EXPECT_EQ(Audit("approval_requested").size(), 1u);
  EXPECT_EQ(Audit("approval_decided").size(), 1u);
  EXPECT_EQ(json::parse(Audit("binding_intent").at(0).body)["data"]["decision"], "ask");
}

// A person asked to approve an effect ward cannot undo is told so, and the hash
// they approve covers that fact.
TEST_F(GateTest, AnApprovalOfAnIrreversibleEffectSaysItCannotBeUndone) {
  Binding b;
  b.name = "db.execute";
  b.signature = "execute(sql)";
  b.operation = "execute";
  b.handler = [](const BindingContext&, const std::string&) { return BindingValue("1"); };
  b.prepare = [](const std::string&) {
    PreparedCall p;
    PreparedAction a;
    a.descriptor = ActionDescriptor{"binding", "db.execute", "db", "execute"};
    a.descriptor.reversible = false;
    a.summary = "db.execute model text \"DELETE FROM t\"";
    p.summary = a.summary;
    p.actions.push_back(a);
    return p;
  };
  ASSERT_TRUE(registry_.Add(b).ok());
  auto gate = MakeGate(nullptr);  // the default policy: statements ask
  ApproveWhenAsked();
  ASSERT_TRUE(gate->Dispatch(context_, {"db.execute", "{\"sql\":\"DELETE FROM t\"}"}).ok);
  auto all = store_->ListApprovals("", 10, clock_.NowMillis());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_NE((*all)[0].summary.find("— cannot be undone"), std::string::npos) << (*all)[0].summary;
  json action = json::parse((*all)[0].action_json);
  EXPECT_EQ(action["actions"][0]["reversible"], false);
  EXPECT_EQ(action["actions"][0]["connector"], "db");
}

TEST_F(GateTest, CodeWhosePolicyDecisionCannotBeAuditedDoesNotRun) {
  auto gate =
      MakeGate("[[policy.rule]]\nname = \"code-ok\"\ncode = \"print\"\ndecision = \"allow\"\n");
  ASSERT_TRUE(gate->CheckCode(context_, "print(1)").ok);
  EXPECT_EQ(Audit("code_policy").size(), 1u);
  FailAuditOf("code_policy");
  GuestCallReply verdict = gate->CheckCode(context_, "print(2)");
  EXPECT_FALSE(verdict.ok);
  EXPECT_NE(verdict.error_message.find("could not be audited"), std::string::npos)
      << verdict.error_message;
}

}  // namespace
}  // namespace ward

namespace ward {
namespace {

Binding Raising(const std::string& name, std::vector<GuestErrorType> raises) {
  Binding b{name, name.substr(name.rfind('.') + 1) + "()", "", "read",
            [](const BindingContext&, const std::string&) { return BindingValue("null"); }};
  b.raises = std::move(raises);
  return b;
}

// Connectors declare the error types their bindings raise; the guest is told
// them, bases first, each once — and nothing can redefine ward's own or clash.
TEST(BindingRegistryTest, ErrorTypesAreDeclaredOnceBasesFirstAndCannotClash) {
  BindingRegistry r;
  GuestErrorType api{"ApiError", "BindingError", "an API said no"};
  GuestErrorType gone{"GoneError", "ApiError", "it is gone"};
  ASSERT_TRUE(r.Add(Raising("api.get", {api, gone})).ok());
  ASSERT_TRUE(r.Add(Raising("api.put", {api})).ok());
  ASSERT_EQ(r.ErrorTypes().size(), 2u);
  EXPECT_EQ(r.ErrorTypes()[0].name, "ApiError");
  EXPECT_EQ(r.ErrorTypes()[1].base, "ApiError");

  auto refused = [&](const std::string& binding, GuestErrorType type) {
    Status s = r.Add(Raising(binding, {type}));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << type.name;
    return s.message();
  };
  EXPECT_NE(refused("x.a", {"ApiError", "GoneError", ""}).find("declared before with base"),
            std::string::npos);
  EXPECT_NE(refused("x.b", {"OrphanError", "NoSuchError", ""}).find("not declared before"),
            std::string::npos);
  refused("x.c", {"PermissionDenied", "BindingError", ""});
  refused("x.d", {"BindingError", "BindingError", ""});
  refused("x.e", {"print", "BindingError", ""});
  refused("x.f", {"Bad Error", "BindingError", ""});
  refused("x.g", {"__import__Error", "BindingError", ""});
  EXPECT_EQ(r.ErrorTypes().size(), 2u);
  EXPECT_EQ(r.Find("x.a"), nullptr) << "a binding with a bad declaration was registered";
}

}  // namespace
}  // namespace ward
