// The `http` connector on the seam, against a real loopback API (a fake vendor
// that keeps appointments in memory): what prepare tells the policy and refuses
// before it, the journal protocol around each write (the intent is stored before
// the API sees the request), dry runs that send nothing, and the compensator's
// plans, undos, conflicts and irreversible routes.
#include "connectors/http/http_connector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "connectors/http/fake_vendor_api.h"
#include "connectors/http/http_compensator.h"
#include "connectors/http/http_test_config.h"
#include "util/clock.h"

namespace ward {
namespace {

using nlohmann::json;
using testing::FakeVendorApi;
using testing::ParseTestConfig;

constexpr char kNotesRoute[] = R"(
[[routes]]
methods = ["POST"]
path = "/notes"
[[routes]]
methods = ["POST"]
path = "/tasks"
undo.POST = "DELETE {location}"
[[routes]]
methods = ["DELETE"]
path = "/tasks/{id}"
)";

class HttpConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_http_connector_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
    SessionRecord s;
    s.id = "s_http";
    s.task = "t";
    s.model = "m";
    s.mode = "code";
    s.actor = "tester";
    s.status = "running";
    ASSERT_TRUE(store_->CreateSession(s).ok());
    scope_ = JournalScope{store_.get(), "s_http", false, &clock_};
    auto config = ParseTestConfig("base_url = \"" + api_.Url("/v1") + "\"\n" +
                                  testing::kAppointmentRoutes + kNotesRoute);
    ASSERT_TRUE(config.ok()) << config.status().message();
    config_ = *config;
    connector_ = std::make_unique<HttpConnector>(config_, HttpApiOptions{nullptr, &clock_, {}});
    for (Binding& b : connector_->Bindings(&scope_)) bindings_[b.name] = std::move(b);
  }
  void TearDown() override {
    stall_.Release();
    std::filesystem::remove_all(dir_);
  }

  PreparedCall Prepare(const std::string& name, const json& args) {
    return bindings_.at(name).prepare(args.dump());
  }
  // Prepares and executes, as the gate does once the policy allowed the call.
  BindingOutcome Call(const std::string& name, const json& args, PreparedCall* prepared = nullptr) {
    PreparedCall p = Prepare(name, args);
    if (prepared) *prepared = p;
    BindingContext context{"s_http", 1, &p};
    return bindings_.at(name).handler(context, args.dump());
  }
  std::vector<JournalEntry> Journal(JournalMode mode = JournalMode::kLive) {
    return std::move(store_->ListJournal("s_http", mode)).value();
  }
  std::unique_ptr<Compensator> CompensatorFor(const JournalEntry& e) {
    return std::move(connector_->NewCompensator(e)).value();
  }

  testing::RequestStall stall_;  // outlives api_, whose handlers may wait on it
  FakeVendorApi api_;
  ManualClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  JournalScope scope_;
  HttpApiConfig config_;
  std::unique_ptr<HttpConnector> connector_;
  std::map<std::string, Binding> bindings_;
};

// ---- the bindings and prepare ----

TEST_F(HttpConnectorTest, BindingsAreTheConnectorsObjectWithItsErrorTypes) {
  ASSERT_EQ(bindings_.size(), 5u);
  EXPECT_EQ(bindings_.at("vendor.get").signature, "get(path, params=None, headers=None)");
  EXPECT_EQ(bindings_.at("vendor.post").signature,
            "post(path, json=None, params=None, headers=None)");
  EXPECT_EQ(bindings_.at("vendor.delete").operation, "delete");
  EXPECT_EQ(bindings_.at("vendor.patch").operation, "write");
  ASSERT_EQ(bindings_.at("vendor.get").raises.size(), 2u);
  EXPECT_EQ(bindings_.at("vendor.get").raises[0].name, "HttpApiError");
  EXPECT_EQ(bindings_.at("vendor.get").raises[0].base, "BindingError");
  BindingRegistry registry;
  for (auto& [name, b] : bindings_) EXPECT_TRUE(registry.Add(b).ok()) << name;
}

TEST_F(HttpConnectorTest, PrepareDescribesAWriteWithItsRouteAndPreImage) {
  api_.Put("7", {{"id", "7"}, {"time", "09:00"}});
  PreparedCall p =
      Prepare("vendor.put", {{"path", "/appointments/7"}, {"json", {{"time", "10:00"}}}});
  ASSERT_TRUE(p.refusal.ok) << p.refusal.error_message;
  ASSERT_EQ(p.actions.size(), 1u);
  const PreparedAction& a = p.actions[0];
  EXPECT_EQ(a.descriptor.kind, "binding");
  EXPECT_EQ(a.descriptor.binding, "vendor.put");
  EXPECT_EQ(a.descriptor.connector, "vendor");
  EXPECT_EQ(a.descriptor.operation, "write");
  EXPECT_EQ(a.descriptor.resource_type, "/appointments/{id}");
  EXPECT_TRUE(a.descriptor.reversible);
  EXPECT_EQ(json::parse(a.before), json({{"id", "7"}, {"time", "09:00"}}));
  EXPECT_EQ(json::parse(a.after), json({{"time", "10:00"}}));
  EXPECT_EQ(a.summary, "vendor.put /appointments/{id} (path model text \"/appointments/7\")");

  PreparedCall post = Prepare("vendor.post", {{"path", "/appointments"}, {"json", json::object()}});
  EXPECT_EQ(post.summary, "vendor.post /appointments");
  EXPECT_TRUE(post.actions[0].descriptor.reversible);
  EXPECT_EQ(post.actions[0].before, "null");
  EXPECT_EQ(Prepare("vendor.get", {{"path", "/appointments"}}).actions[0].descriptor.operation,
            "read");
  PreparedCall del = Prepare("vendor.delete", {{"path", "/appointments/7"}});
  EXPECT_EQ(del.actions[0].descriptor.operation, "delete");
  EXPECT_FALSE(del.actions[0].descriptor.reversible) << "the route declares no undo for DELETE";
  PreparedCall note = Prepare("vendor.post", {{"path", "/notes"}, {"json", {{"x", 1}}}});
  EXPECT_FALSE(note.actions[0].descriptor.reversible);
  EXPECT_NE(note.summary.find("irreversible"), std::string::npos);
}

// Attacker: paths no route allows, or that try to escape the API, never reach the
// policy (let alone the API), and are refused with the allowed routes.
TEST_F(HttpConnectorTest, PrepareRefusesPathsNoRouteAllowsBeforeThePolicy) {
  for (const std::string path :
       {"/admin/users", "/appointments/7/../../admin", "http://evil.example/x", "//evil/x",
        "/appointments/%2e%2e", "/appointments/7\r\nX-Evil: 1", "/appointments?x=1"}) {
    PreparedCall p = Prepare("vendor.post", {{"path", path}, {"json", json::object()}});
    EXPECT_FALSE(p.refusal.ok) << path;
    EXPECT_TRUE(p.actions.empty()) << path;
  }
  PreparedCall p = Prepare("vendor.post", {{"path", "/admin/users"}});
  EXPECT_EQ(p.refusal.error_type, "PermissionDenied");
  EXPECT_NE(p.refusal.error_message.find("/appointments/{id}"), std::string::npos)
      << p.refusal.error_message;
  EXPECT_EQ(Prepare("vendor.patch", {{"path", "/appointments"}}).refusal.error_type,
            "PermissionDenied")
      << "the route does not allow PATCH";
  EXPECT_EQ(Prepare("vendor.get", {{"path", 7}}).refusal.error_type, "ValueError");
  EXPECT_EQ(
      Prepare("vendor.get", {{"path", "/appointments"}, {"params", {1, 2}}}).refusal.error_type,
      "ValueError");
  EXPECT_EQ(Prepare("vendor.get", {{"path", "/appointments"}, {"headers", {{"X-A", 1}}}})
                .refusal.error_type,
            "ValueError");
  // Headers ward owns, CR/LF smuggling and control characters in the query.
  for (const json& headers : {json{{"Authorization", "Bearer stolen"}}, json{{"Host", "evil"}},
                              json{{"X-A", "1\r\nX-Evil: 1"}}}) {
    PreparedCall h = Prepare("vendor.post", {{"path", "/appointments"}, {"headers", headers}});
    EXPECT_EQ(h.refusal.error_type, "ValueError") << headers.dump();
  }
  EXPECT_EQ(Prepare("vendor.get", {{"path", "/appointments"}, {"params", {{"q", "a\nb"}}}})
                .refusal.error_type,
            "ValueError");
  EXPECT_EQ(api_.received_count(), 0u) << "a refused call reached the API";
  EXPECT_TRUE(Journal().empty());
}

// What would make the API act on another method, URL or resource than the one the
// policy, the approver and the journal saw is refused before the policy.
TEST_F(HttpConnectorTest, NothingMayMakeTheApiActOnAnotherMethodOrResource) {
  for (const json& headers :
       {json{{"X-HTTP-Method-Override", "DELETE"}}, json{{"X-Method-Override", "DELETE"}},
        json{{"X-Original-URL", "/admin/users"}}, json{{"X-Rewrite-URL", "/admin"}},
        json{{"X-Forwarded-Host", "evil.example"}}, json{{"Forwarded", "host=evil.example"}}}) {
    PreparedCall h = Prepare("vendor.post",
                             {{"path", "/notes"}, {"json", json::object()}, {"headers", headers}});
    EXPECT_EQ(h.refusal.error_type, "ValueError") << headers.dump();
  }
  EXPECT_EQ(
      Prepare("vendor.post",
              {{"path", "/notes"}, {"json", json::object()}, {"params", {{"_method", "DELETE"}}}})
          .refusal.error_type,
      "ValueError");
  // "%37" is "7" to the API: an encoded letter or digit would pick another route here.
  EXPECT_FALSE(
      Prepare("vendor.put", {{"path", "/appointments/%37"}, {"json", json::object()}}).refusal.ok);
  // A write its route can undo takes no params or headers: its pre-image and undo
  // address the path alone, so they could not name another tenant's resource.
  PreparedCall tenant = Prepare(
      "vendor.put",
      {{"path", "/appointments/7"}, {"json", json::object()}, {"params", {{"tenant", "B"}}}});
  EXPECT_EQ(tenant.refusal.error_type, "ValueError") << tenant.refusal.error_message;
  EXPECT_EQ(api_.received_count(), 0u) << "a refused call reached the API";
}

// ---- calls and the journal ----

TEST_F(HttpConnectorTest, ReadsReturnStatusHeadersAndBodyAndAreNotJournaled) {
  api_.Put("7", {{"id", "7"}});
  BindingOutcome out = Call("vendor.get", {{"path", "/appointments/7"}});
  ASSERT_TRUE(out.reply.ok) << out.reply.error_message;
  json v = json::parse(out.reply.value_json);
  EXPECT_EQ(v["status"], 200);
  EXPECT_EQ(v["body"], json({{"id", "7"}}));
  EXPECT_EQ(v["headers"]["content-type"], "application/json");
  BindingOutcome missing = Call("vendor.get", {{"path", "/appointments/8"}});
  ASSERT_TRUE(missing.reply.ok) << "an HTTP error status is a value, not an exception";
  EXPECT_EQ(json::parse(missing.reply.value_json)["status"], 404);
  EXPECT_TRUE(Journal().empty());
}

TEST_F(HttpConnectorTest, AWriteIsJournaledBeforeTheApiSeesIt) {
  std::vector<std::string> states_seen;
  api_.on_request = [this, &states_seen](const httplib::Request& req) {
    if (req.method != "POST") return;
    for (const auto& e : Journal()) states_seen.push_back(JournalStateName(e.state));
  };
  BindingOutcome out =
      Call("vendor.post", {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  api_.on_request = nullptr;
  ASSERT_TRUE(out.reply.ok) << out.reply.error_message;
  EXPECT_EQ(states_seen, std::vector<std::string>{"intent"});
  json v = json::parse(out.reply.value_json);
  EXPECT_EQ(v["status"], 201);
  EXPECT_EQ(v["headers"]["location"], "/v1/appointments/42");
  auto journal = Journal();
  ASSERT_EQ(journal.size(), 1u);
  const JournalEntry& e = journal[0];
  EXPECT_EQ(e.state, JournalState::kDone);
  EXPECT_EQ(e.connector, "vendor");
  EXPECT_EQ(e.endpoint, api_.Url("/v1"));
  EXPECT_EQ(e.operation, "post");
  EXPECT_EQ(e.target_type, "/appointments");
  EXPECT_EQ(e.target_id, "/appointments");
  EXPECT_EQ(json::parse(e.post_image), json({{"id", "42"}, {"time", "09:00"}}));
  EXPECT_EQ(e.post_version, "/v1/appointments/42");
  EXPECT_TRUE(out.unrecorded.ok());
}

// Posts through a connector built from `config` (unprepared, as a replay may call it).
BindingOutcome PostWith(const HttpApiConfig& config, JournalScope* scope, Clock* clock,
                        const json& args) {
  HttpConnector connector(config, HttpApiOptions{nullptr, clock, {}});
  for (Binding& b : connector.Bindings(scope))
    if (b.name == "vendor.post")
      return b.handler(BindingContext{"s_http", 1, nullptr}, args.dump());
  return BindingOutcome{};
}

TEST_F(HttpConnectorTest, AnErrorStatusOrNoConnectionIsRecordedAsFailed) {
  api_.forced_status = 500;
  BindingOutcome out = Call("vendor.post", {{"path", "/appointments"}, {"json", json::object()}});
  ASSERT_TRUE(out.reply.ok) << "an HTTP error status is a value, not an exception";
  EXPECT_EQ(json::parse(out.reply.value_json)["status"], 500);
  api_.forced_status = 0;
  HttpApiConfig closed = config_;
  closed.base_url = "http://127.0.0.1:1/v1";  // nothing listens there
  BindingOutcome refused =
      PostWith(closed, &scope_, &clock_, {{"path", "/appointments"}, {"json", json::object()}});
  EXPECT_FALSE(refused.reply.ok);
  EXPECT_EQ(refused.reply.error_type, "HttpApiError");
  auto journal = Journal();
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_EQ(journal[0].state, JournalState::kFailed);
  EXPECT_NE(journal[0].detail.find("HTTP 500"), std::string::npos);
  EXPECT_EQ(journal[1].state, JournalState::kFailed) << journal[1].detail;
}

// The API acted, but its answer was lost (here: over max_response_bytes): the
// entry stays at "intent" so rollback stops at it instead of skipping it.
TEST_F(HttpConnectorTest, AWriteWithoutAnAnswerStaysAtIntent) {
  HttpApiConfig small = config_;
  small.max_response_bytes = 8;
  BindingOutcome out =
      PostWith(small, &scope_, &clock_, {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  EXPECT_FALSE(out.reply.ok);
  EXPECT_NE(out.reply.error_message.find("may have reached"), std::string::npos);
  EXPECT_TRUE(api_.Get("42").has_value()) << "the fake did create it";
  auto journal = Journal();
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].state, JournalState::kIntent);
  EXPECT_NE(journal[0].detail.find("unknown"), std::string::npos) << journal[0].detail;
}

// An API that stops answering holds the session no longer than the call's
// budget: the call is cut off with a clear error, and since the request reached
// the API the entry stays at "intent" (whether it acted is unknown), not "failed".
TEST_F(HttpConnectorTest, AStalledApiIsCutOffAtTheDeadlineAndTheEntryStaysAtIntent) {
  api_.on_request = [this](const httplib::Request& req) {
    if (req.method != "POST") return;
    clock_.Advance(config_.call_timeout_ms + 1000);  // the API takes its time
    stall_.Wait();
  };
  BindingOutcome out =
      Call("vendor.post", {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  EXPECT_FALSE(out.reply.ok);
  EXPECT_EQ(out.reply.error_type, "HttpApiError");
  EXPECT_NE(out.reply.error_message.find("call_timeout_seconds"), std::string::npos)
      << out.reply.error_message;
  EXPECT_NE(out.reply.error_message.find("may have reached the API"), std::string::npos);
  auto journal = Journal();
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].state, JournalState::kIntent);
  EXPECT_NE(journal[0].detail.find("unknown"), std::string::npos) << journal[0].detail;
  EXPECT_NE(journal[0].detail.find("call_timeout_seconds"), std::string::npos);
}

// The budget is the whole call's: what the pre-image read spent in prepare is not
// given again to the execution, whose own reads count too. Cut off before the
// write was sent, nothing is journaled and the PUT never leaves.
TEST_F(HttpConnectorTest, ThePreImageReadsShareTheCallsBudget) {
  api_.Put("7", {{"id", "7"}, {"time", "09:00"}});
  int gets = 0;
  api_.on_request = [this, &gets](const httplib::Request& req) {
    if (req.method != "GET") return;
    if (++gets == 1) {
      clock_.Advance(40'000);  // prepare's read: 40 s of the 60
    } else {
      clock_.Advance(25'000);  // the re-read before the write: over the budget
      stall_.Wait();
    }
  };
  BindingOutcome out =
      Call("vendor.put", {{"path", "/appointments/7"}, {"json", {{"id", "7"}, {"time", "10:00"}}}});
  EXPECT_FALSE(out.reply.ok);
  EXPECT_EQ(out.reply.error_type, "HttpApiError");
  EXPECT_NE(out.reply.error_message.find("call_timeout_seconds"), std::string::npos)
      << out.reply.error_message;
  EXPECT_TRUE(Journal().empty());
  for (const auto& r : api_.received()) EXPECT_NE(r.method, "PUT") << "the write was sent";
}

// The session's cancel stops a call waiting on the API at once.
TEST_F(HttpConnectorTest, TheSessionsCancelStopsAWaitingCall) {
  CancelToken session;
  api_.on_request = [this, &session](const httplib::Request& req) {
    if (req.method != "POST") return;
    session.Cancel();  // the user cancels while the API is silent
    stall_.Wait();
  };
  json args = {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}};
  PreparedCall p = Prepare("vendor.post", args);
  BindingContext context{"s_http", 1, &p, &session};
  BindingOutcome out = bindings_.at("vendor.post").handler(context, args.dump());
  EXPECT_FALSE(out.reply.ok);
  EXPECT_NE(out.reply.error_message.find("cancelled"), std::string::npos)
      << out.reply.error_message;
  auto journal = Journal();
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].state, JournalState::kIntent) << "the request had reached the API";
  // A call made after the cancel sends nothing and journals it as not sent.
  BindingOutcome later = bindings_.at("vendor.post").handler(context, args.dump());
  EXPECT_FALSE(later.reply.ok);
  journal = Journal();
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_EQ(journal[1].state, JournalState::kFailed);
  EXPECT_NE(journal[1].detail.find("not sent"), std::string::npos) << journal[1].detail;
}

// A body over max_request_bytes is refused in prepare: never journaled, never sent.
TEST_F(HttpConnectorTest, ABodyOverTheLimitIsRefusedBeforeThePolicy) {
  config_.max_request_bytes = 16;
  HttpConnector small(config_, HttpApiOptions{nullptr, &clock_, {}});
  for (Binding& b : small.Bindings(&scope_)) {
    if (b.name != "vendor.post") continue;
    json args = {{"path", "/appointments"}, {"json", {{"text", std::string(64, 'x')}}}};
    PreparedCall p = b.prepare(args.dump());
    EXPECT_FALSE(p.refusal.ok);
    EXPECT_EQ(p.refusal.error_type, "HttpApiError");
    EXPECT_NE(p.refusal.error_message.find("max_request_bytes"), std::string::npos);
  }
  EXPECT_TRUE(Journal().empty());
  EXPECT_EQ(api_.received_count(), 0u);
}

// Attacker: a write with no journal to record it in never happens (fail closed).
TEST_F(HttpConnectorTest, WritesWithoutAJournalAreRefusedAndNotSent) {
  auto unjournaled = connector_->Bindings(nullptr);
  for (Binding& b : unjournaled) {
    if (b.name != "vendor.post") continue;
    json args = {{"path", "/appointments"}, {"json", json::object()}};
    PreparedCall p = b.prepare(args.dump());
    BindingOutcome out = b.handler(BindingContext{"s_http", 1, &p}, args.dump());
    EXPECT_FALSE(out.reply.ok);
    EXPECT_EQ(out.reply.error_type, "PermissionDenied");
  }
  EXPECT_EQ(api_.received_count(), 0u);
}

// The target changed between prepare (what an approver saw) and the write.
TEST_F(HttpConnectorTest, AWriteWhoseTargetChangedSincePrepareIsNotSent) {
  api_.Put("7", {{"id", "7"}, {"time", "09:00"}});
  json args = {{"path", "/appointments/7"}, {"json", {{"time", "10:00"}}}};
  PreparedCall p = Prepare("vendor.put", args);
  api_.Put("7", {{"id", "7"}, {"time", "11:30"}});  // someone else
  BindingOutcome out = bindings_.at("vendor.put").handler({"s_http", 1, &p}, args.dump());
  EXPECT_FALSE(out.reply.ok);
  EXPECT_EQ(out.reply.error_type, "HttpConflictError");
  EXPECT_TRUE(out.stale);
  EXPECT_EQ(api_.Get("7")->at("time"), "11:30");
  EXPECT_TRUE(Journal().empty());
}

TEST_F(HttpConnectorTest, ADryRunSendsNothingAndPlansTheWrite) {
  scope_.dry_run = true;
  size_t before = api_.received_count();
  BindingOutcome out = Call(
      "vendor.post",
      {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}, {"params", {{"notify", true}}}});
  ASSERT_TRUE(out.reply.ok) << out.reply.error_message;
  json v = json::parse(out.reply.value_json);
  EXPECT_EQ(v["status"], 0);
  EXPECT_EQ(v["dry_run"], true);
  ASSERT_FALSE(out.reply.warnings.empty());
  EXPECT_NE(out.reply.warnings[0].find("not sent"), std::string::npos);
  EXPECT_EQ(api_.received_count(), before) << "a dry run sent the write";
  auto planned = Journal(JournalMode::kDryRun);
  ASSERT_EQ(planned.size(), 1u);
  EXPECT_EQ(planned[0].state, JournalState::kPlanned);

  // Applying the changeset replays it as the same call, params included.
  auto c = CompensatorFor(planned[0]);
  GuestCall replay = c->Replay(planned[0], {});
  EXPECT_EQ(replay.name, "vendor.post");
  json args = json::parse(replay.args_json);
  EXPECT_EQ(args["path"], "/appointments");
  EXPECT_EQ(args["json"], json({{"time", "09:00"}}));
  EXPECT_EQ(args["params"], json({{"notify", {"true"}}}));
  EXPECT_EQ(c->Drift(planned[0]).value(), "");
  scope_.dry_run = false;
  std::vector<Binding> live = c->ReplayBindings(&scope_);
  for (Binding& b : live) {
    if (b.name != replay.name) continue;
    PreparedCall p = b.prepare(replay.args_json);
    BindingOutcome done = b.handler({"s_http", 1, &p}, replay.args_json);
    ASSERT_TRUE(done.reply.ok) << done.reply.error_message;
    ReplayIds ids;
    EXPECT_EQ(c->Replayed(planned[0], replay, done.reply.value_json, ids),
              "vendor.post /appointments → HTTP 201");
  }
  EXPECT_EQ(api_.received().back().params.find("notify")->second, "true");
}

// A planned write that names a resource the same dry run created (simulated id
// "dryrun-3") is replayed with the real id in its path, params and body.
TEST_F(HttpConnectorTest, AReplayRewritesTheDryRunsSimulatedIds) {
  JournalEntry e;
  e.connector = "vendor";
  e.endpoint = api_.Url("/v1");
  e.operation = "put";
  e.target_type = "/appointments/{id}";
  e.target_id = "/appointments/dryrun-3";
  e.post_image = json{{"id", "dryrun-3"},
                      {"patient", "Patient/dryrun-3"},
                      {"note", "about dryrun-3"},
                      {"refs", {"Patient/dryrun-3", "Patient/other"}}}
                     .dump();
  e.state = JournalState::kPlanned;
  e.detail = "dry run: not sent " +
             json{{"params", json::array({json::array({"patient", "Patient/dryrun-3"}),
                                          json::array({"id", "dryrun-3"})})},
                  {"headers", json::array()}}
                 .dump();
  ReplayIds ids = {{"Patient/dryrun-3", "Patient/8f2c"}};
  GuestCall call = CompensatorFor(e)->Replay(e, ids);
  EXPECT_EQ(call.name, "vendor.put");
  json args = json::parse(call.args_json);
  EXPECT_EQ(args["path"], "/appointments/8f2c");
  EXPECT_EQ(args["json"], json({{"id", "8f2c"},
                                {"patient", "Patient/8f2c"},
                                {"note", "about dryrun-3"},
                                {"refs", {"Patient/8f2c", "Patient/other"}}}));
  EXPECT_EQ(args["params"], json({{"patient", {"Patient/8f2c"}}, {"id", {"8f2c"}}}));

  // A real id that is not a plain segment is percent-encoded, so it stays one segment.
  GuestCall odd = CompensatorFor(e)->Replay(e, {{"Patient/dryrun-3", "Patient/a b"}});
  EXPECT_EQ(json::parse(odd.args_json)["path"], "/appointments/a%20b");
  // Without ids the call is replayed as it was planned.
  EXPECT_EQ(json::parse(CompensatorFor(e)->Replay(e, {}).args_json)["path"],
            "/appointments/dryrun-3");
}

// ---- the compensator ----

TEST_F(HttpConnectorTest, RollbackOfACreateDeletesTheLocation) {
  Call("vendor.post", {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  JournalEntry e = Journal().at(0);
  auto c = CompensatorFor(e);
  RollbackStep step = c->PlanUndo(e);
  EXPECT_EQ(step.outcome, "") << step.detail;
  EXPECT_EQ(step.action, "delete");
  c->Undo(e, step);
  EXPECT_EQ(step.outcome, "undone") << step.detail;
  EXPECT_FALSE(api_.Get("42").has_value());
  EXPECT_EQ(api_.received().back().method, "DELETE");
  EXPECT_EQ(api_.received().back().path, "/v1/appointments/42");
  RollbackStep again = c->PlanUndo(e);
  EXPECT_EQ(again.outcome, "already undone");
}

TEST_F(HttpConnectorTest, RollbackOfAnUpdatePutsThePreImageBack) {
  api_.Put("7", {{"id", "7"}, {"time", "09:00"}});
  Call("vendor.put", {{"path", "/appointments/7"}, {"json", {{"id", "7"}, {"time", "10:00"}}}});
  JournalEntry e = Journal().at(0);
  EXPECT_EQ(json::parse(e.pre_image), json({{"id", "7"}, {"time", "09:00"}}));
  auto c = CompensatorFor(e);
  RollbackStep step = c->PlanUndo(e);
  ASSERT_EQ(step.outcome, "") << step.detail;
  EXPECT_EQ(step.action, "restore");
  c->Undo(e, step);
  EXPECT_EQ(step.outcome, "undone") << step.detail;
  EXPECT_EQ(api_.Get("7")->at("time"), "09:00");
}

// Attacker (or just a colleague): the target was changed after the session, so
// the undo would clobber someone else's work — it is a conflict, nothing is sent.
TEST_F(HttpConnectorTest, RollbackFindsAConflictWhenTheTargetMovedOn) {
  Call("vendor.post", {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  JournalEntry e = Journal().at(0);
  api_.Put("42", {{"id", "42"}, {"time", "12:00"}});
  auto c = CompensatorFor(e);
  size_t sent = api_.received_count();
  RollbackStep step = c->PlanUndo(e);
  EXPECT_EQ(step.outcome, "conflict");
  EXPECT_NE(step.detail.find("12:00"), std::string::npos) << step.detail;
  EXPECT_NE(step.detail.find("09:00"), std::string::npos) << step.detail;
  EXPECT_EQ(api_.received_count(), sent + 1) << "only the GET";
  EXPECT_EQ(api_.received().back().method, "GET");
}

TEST_F(HttpConnectorTest, AnUndoTheApiRefusesIsAConflictOrAFailure) {
  Call("vendor.post", {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  JournalEntry e = Journal().at(0);
  auto c = CompensatorFor(e);
  RollbackStep step = c->PlanUndo(e);
  ASSERT_EQ(step.outcome, "");
  api_.forced_status = 409;
  c->Undo(e, step);
  EXPECT_EQ(step.outcome, "conflict");
  api_.forced_status = 500;
  c->Undo(e, step);
  EXPECT_EQ(step.outcome, "failed");
  EXPECT_NE(step.detail.find("HTTP 500"), std::string::npos);
}

TEST_F(HttpConnectorTest, AWriteOnARouteWithoutCompensationIsIrreversible) {
  Call("vendor.post", {{"path", "/notes"}, {"json", {{"text", "hello"}}}});
  JournalEntry e = Journal().at(0);
  auto c = CompensatorFor(e);
  size_t sent = api_.received_count();
  RollbackStep step = c->PlanUndo(e);
  EXPECT_EQ(step.outcome, "irreversible");
  EXPECT_NE(step.detail.find("/notes"), std::string::npos) << step.detail;
  EXPECT_EQ(api_.received_count(), sent);
}

// A create answered without a body: what the session left is read back by the
// route's GET, and rollback compares the target with it — a change since is a
// conflict naming both versions, not a blind DELETE.
TEST_F(HttpConnectorTest, AWriteWithoutABodyIsReadBackAndRollbackChecksIt) {
  api_.bodiless_writes = true;
  BindingOutcome out =
      Call("vendor.post", {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  ASSERT_TRUE(out.reply.ok) << out.reply.error_message;
  JournalEntry e = Journal().at(0);
  EXPECT_EQ(e.state, JournalState::kDone);
  EXPECT_EQ(json::parse(e.post_image), json({{"id", "42"}, {"time", "09:00"}}));
  auto c = CompensatorFor(e);
  EXPECT_EQ(c->PlanUndo(e).outcome, "") << "unchanged: it can be undone";
  api_.Put("42", {{"id", "42"}, {"time", "12:00"}});  // someone else
  size_t sent = api_.received_count();
  RollbackStep step = c->PlanUndo(e);
  EXPECT_EQ(step.outcome, "conflict");
  EXPECT_NE(step.detail.find("09:00"), std::string::npos) << step.detail;
  EXPECT_NE(step.detail.find("12:00"), std::string::npos) << step.detail;
  EXPECT_EQ(api_.received_count(), sent + 1) << "only the GET";

  // An update answered 204 is read back the same way.
  api_.Put("7", {{"id", "7"}, {"time", "09:00"}});
  Call("vendor.put", {{"path", "/appointments/7"}, {"json", {{"id", "7"}, {"time", "10:00"}}}});
  JournalEntry put = Journal().at(1);
  EXPECT_EQ(json::parse(put.post_image), json({{"id", "7"}, {"time", "10:00"}}));
}

// When the read-back fails, nothing is known to compare with: rollback stops
// at the entry instead of undoing it unchecked.
TEST_F(HttpConnectorTest, AWriteWhosePostImageCouldNotBeReadIsNeverUndoneBlindly) {
  api_.bodiless_writes = true;
  api_.forced_get_status = 503;
  BindingOutcome out =
      Call("vendor.post", {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  ASSERT_TRUE(out.reply.ok) << out.reply.error_message;
  ASSERT_FALSE(out.reply.warnings.empty());
  EXPECT_NE(out.reply.warnings[0].find("not captured"), std::string::npos);
  JournalEntry e = Journal().at(0);
  EXPECT_EQ(e.state, JournalState::kDone);
  EXPECT_NE(e.detail.find("HTTP 503"), std::string::npos) << e.detail;
  api_.forced_get_status = 0;
  RollbackStep step = CompensatorFor(e)->PlanUndo(e);
  EXPECT_EQ(step.outcome, "conflict") << step.detail;
  EXPECT_NE(step.detail.find("not recorded"), std::string::npos) << step.detail;
  EXPECT_TRUE(api_.Get("42").has_value()) << "undone blindly";
}

// A route whose target has no GET is undone unchecked, and the step says so.
TEST_F(HttpConnectorTest, AnUndoThatCouldNotBeCheckedSaysSo) {
  auto config = ParseTestConfig("base_url = \"" + api_.Url("/v1") + "\"\n" + R"(
[[routes]]
methods = ["POST"]
path = "/appointments"
undo.POST = "DELETE {location}"
[[routes]]
methods = ["DELETE"]
path = "/appointments/{id}"
)");
  ASSERT_TRUE(config.ok()) << config.status().message();
  BindingOutcome out = PostWith(*config, &scope_, &clock_,
                                {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  ASSERT_TRUE(out.reply.ok) << out.reply.error_message;
  JournalEntry e = Journal().at(0);
  HttpConnector unchecked(*config, HttpApiOptions{nullptr, &clock_, {}});
  auto c = std::move(unchecked.NewCompensator(e)).value();
  RollbackStep step = c->PlanUndo(e);
  EXPECT_EQ(step.outcome, "");
  EXPECT_NE(step.detail.find("NOT CHECKED"), std::string::npos) << step.detail;
  c->Undo(e, step);
  EXPECT_EQ(step.outcome, "undone") << step.detail;
  EXPECT_NE(step.detail.find("NOT CHECKED"), std::string::npos) << step.detail;
  EXPECT_FALSE(api_.Get("42").has_value());
}

// A create whose route declares DELETE {location} but whose answer names no
// Location took effect and cannot be undone: the entry, the guest, the audit
// entry and rollback all say so.
TEST_F(HttpConnectorTest, ACreateAnsweredWithoutALocationIsIrreversibleAndSaysWhy) {
  BindingOutcome out = Call("vendor.post", {{"path", "/tasks"}, {"json", {{"x", 1}}}});
  ASSERT_TRUE(out.reply.ok) << out.reply.error_message;
  ASSERT_EQ(out.reply.warnings.size(), 1u);
  EXPECT_NE(out.reply.warnings[0].find("cannot be undone"), std::string::npos);
  EXPECT_NE(out.reply.warnings[0].find("Location"), std::string::npos) << out.reply.warnings[0];
  std::string audited;
  for (const auto& [key, value] : out.audit.fields())
    if (key == "irreversible") audited = std::get<std::string>(value);
  EXPECT_NE(audited.find("Location"), std::string::npos) << audited;
  JournalEntry e = Journal().at(0);
  EXPECT_EQ(e.state, JournalState::kDone);
  EXPECT_EQ(e.detail.rfind("irreversible: ", 0), 0u) << e.detail;
  EXPECT_NE(e.detail.find("Location"), std::string::npos) << e.detail;
  size_t sent = api_.received_count();
  RollbackStep step = CompensatorFor(e)->PlanUndo(e);
  EXPECT_EQ(step.outcome, "irreversible");
  EXPECT_NE(step.detail.find("Location"), std::string::npos) << step.detail;
  EXPECT_EQ(api_.received_count(), sent);
}

// Attacker: a Location pointing off the API (another host) is never followed on undo.
TEST_F(HttpConnectorTest, AnUndoNeverFollowsALocationOffTheApi) {
  Call("vendor.post", {{"path", "/appointments"}, {"json", {{"time", "09:00"}}}});
  JournalEntry e = Journal().at(0);
  e.post_version = "http://evil.example/v1/appointments/42";
  auto c = CompensatorFor(e);
  size_t sent = api_.received_count();
  RollbackStep step = c->PlanUndo(e);
  EXPECT_EQ(step.outcome, "irreversible") << step.detail;
  EXPECT_EQ(api_.received_count(), sent);
}

TEST_F(HttpConnectorTest, AnEntryLeftAtIntentCannotBeSettled) {
  JournalEntry e;
  e.connector = "vendor";
  e.endpoint = api_.Url("/v1");
  e.operation = "post";
  e.target_type = "/appointments";
  e.target_id = "/appointments";
  Settlement s = CompensatorFor(e)->Settle(e);
  EXPECT_EQ(s.outcome, Settlement::Outcome::kUnknown);
  EXPECT_NE(s.detail.find("cannot tell"), std::string::npos) << s.detail;
}

// Attacker: an entry naming another server is not undone with this connector's
// credentials there.
TEST_F(HttpConnectorTest, EntriesWrittenToAnotherServerAreNotUndoneHere) {
  JournalEntry e;
  e.connector = "vendor";
  e.endpoint = "http://127.0.0.1:1/v1";
  EXPECT_FALSE(connector_->NewCompensator(e).ok());
}

}  // namespace
}  // namespace ward
