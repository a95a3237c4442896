// `ward serve` against the real binary: authentication, roles, CSRF, tokens,
// approvals bound to hashes, sessions started elsewhere, and SSE resumption.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "net/sse_parser.h"
#include "protocol/event_json.h"
#include "store/session_owner.h"
#include "store/store.h"
#include "util/clock.h"
#include "ward_server_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

class ServerApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    served_ = new ServedHome("server_api");
    RoleTokens tokens = served_->AddOneUserPerRole();
    admin_ = new std::string(tokens.admin);
    approver_ = new std::string(tokens.approver);
    viewer_ = new std::string(tokens.viewer);
    ASSERT_FALSE(served_->Serve().empty());
  }
  static void TearDownTestSuite() {
    delete served_;
    delete admin_;
    delete approver_;
    delete viewer_;
  }

  static std::unique_ptr<Store> OpenStore() {
    return std::move(OpenSqliteStore((served_->home() / "ward.db").string())).value();
  }
  static ApiReply Call(const std::string& method, const std::string& path,
                       const std::string& body = "", const std::string& token = "",
                       const HttpHeaders& headers = {}) {
    return served_->Call(method, path, body, token, headers);
  }

  // A session record with `n` observation events, as a run elsewhere would leave.
  static std::string MakeSession(Store* store, int n, const std::string& status = "running") {
    static int counter = 0;
    std::string id = "s_test" + std::to_string(++counter);
    SessionRecord r{id, "task", "scripted:x", "code", "val", status, 1, 1};
    EXPECT_TRUE(store->CreateSession(r).ok());
    for (int i = 0; i < n; ++i) AppendObservation(store, id, i);
    return id;
  }
  static void AppendObservation(Store* store, const std::string& id, int i) {
    ObservationEvent o;
    o.kind = "result";
    o.text = "output " + std::to_string(i);
    EXPECT_TRUE(store->AppendEvent(id, 1, "observation", PayloadJson(o)).ok());
  }
  static void Finish(Store* store, const std::string& id) {
    FinishedEvent f;
    f.status = "succeeded";
    EXPECT_TRUE(store->AppendEvent(id, 2, "finished", PayloadJson(f)).ok());
    SessionRecord r{id, "task", "scripted:x", "code", "val", "succeeded", 1, 2};
    EXPECT_TRUE(store->UpdateSession(r).ok());
  }
  static ApprovalRecord MakeApproval(Store* store, const std::string& session) {
    static int counter = 0;
    ApprovalRecord a;
    a.id = "a_test" + std::to_string(++counter);
    a.session = session;
    a.action_json = R"({"binding":"fhir.create","arguments":{"resourceType":"Observation"}})";
    a.action_hash = std::string(64, 'a' + counter % 6);
    a.summary = "fhir.create Observation";
    a.requested_by = "val";
    a.created_ms = SystemClock::Default()->NowMillis();
    a.expires_ms = a.created_ms + 600'000;
    a.state = "pending";
    EXPECT_TRUE(store->CreateApproval(a).ok());
    return a;
  }

  // Reads the session's SSE stream until `stop_after` events (0 = until the server
  // ends it), then drops the connection. Returns the seqs seen.
  static std::vector<int64_t> ReadStream(const std::string& session, const std::string& token,
                                         const std::string& last_event_id, size_t stop_after) {
    HttpRequest req;
    req.url = served_->url() + "/api/v1/sessions/" + session + "/stream";
    req.headers = {{"Authorization", "Bearer " + token}};
    if (!last_event_id.empty()) req.headers.emplace_back("Last-Event-ID", last_event_id);
    req.read_timeout_ms = 20'000;
    SseParser parser;
    std::vector<int64_t> seqs;
    req.on_body_chunk = [&](std::string_view chunk) {
      for (const SseEvent& e : parser.Feed(chunk)) {
        json j = json::parse(e.data);
        EXPECT_EQ(std::to_string(j["seq"].get<int64_t>()), e.id);
        seqs.push_back(j["seq"]);
        if (stop_after && seqs.size() >= stop_after) return false;
      }
      return true;
    };
    auto res = served_->http()->Send(req);
    EXPECT_TRUE(res.ok() || stop_after) << res.status().ToString();
    return seqs;
  }

  static ServedHome* served_;

 public:
  static ServedHome* Served() { return served_; }

 protected:
  static std::string *admin_, *approver_, *viewer_;
};

ServedHome* ServerApiTest::served_ = nullptr;

std::string ServedHomeCall(const std::string& method, const std::string& path,
                           const std::string& token);
std::string* ServerApiTest::admin_ = nullptr;
std::string* ServerApiTest::approver_ = nullptr;
std::string* ServerApiTest::viewer_ = nullptr;

TEST_F(ServerApiTest, OnlyHealthzIsOpen) {
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  for (const char* path : {"/api/v1/sessions", "/api/v1/approvals?state=pending", "/metrics",
                           "/api/v1/audit/verify", "/api/v1/me"}) {
    ApiReply r = Call("GET", path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "unauthenticated") << path;
    EXPECT_EQ(Call("GET", path, "", "t_0000000000000000.bad").status, 401) << path;
    EXPECT_EQ(Call("GET", path, "", *viewer_).status, 200) << path;
  }
  EXPECT_EQ(Call("POST", "/api/v1/sessions", R"({"task":"x"})").status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/nothing", "", *viewer_).status, 404);
}

TEST_F(ServerApiTest, RolesAreEnforced) {
  auto store = OpenStore();
  std::string session = MakeSession(store.get(), 1);
  ApprovalRecord a = MakeApproval(store.get(), session);
  std::string decide = json{{"decision", "approve"}, {"hash", a.action_hash}}.dump();
  ApiReply r = Call("POST", "/api/v1/approvals/" + a.id, decide, *viewer_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "permission_denied");
  EXPECT_EQ(Call("POST", "/api/v1/sessions", R"({"task":"x","model":"openai:m"})", *viewer_).status,
            403);
  EXPECT_EQ(Call("POST", "/api/v1/sessions/" + session + "/cancel", "", *viewer_).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/users", "", *approver_).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/users", "", *admin_).status, 200);
  // Scripted (file-replaying) models are for admins only.
  EXPECT_EQ(
      Call("POST", "/api/v1/sessions", R"({"task":"x","model":"scripted:/etc/passwd"})", *approver_)
          .status,
      403);
  EXPECT_EQ(store->GetApproval(a.id)->state, "pending");
}

TEST_F(ServerApiTest, BrowserStateChangesNeedTheCsrfToken) {
  ApiReply login =
      Call("POST", "/api/v1/login", R"({"user":"abe","password":"approver-password-1"})");
  ASSERT_EQ(login.status, 200) << login.body;
  std::string set_cookie = login.Header("Set-Cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  std::string csrf = json::parse(login.body)["csrf"];
  HttpHeaders with_cookie = {{"Cookie", cookie}};
  EXPECT_EQ(Call("GET", "/api/v1/me", "", "", with_cookie).status, 200);

  auto store = OpenStore();
  std::string session = MakeSession(store.get(), 1);
  ApprovalRecord a = MakeApproval(store.get(), session);
  std::string decide = json{{"decision", "deny"}, {"hash", a.action_hash}, {"reason", "no"}}.dump();
  ApiReply refused = Call("POST", "/api/v1/approvals/" + a.id, decide, "", with_cookie);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("CSRF"), std::string::npos);
  HttpHeaders wrong = {{"Cookie", cookie}, {"X-CSRF-Token", std::string(csrf.size(), '0')}};
  EXPECT_EQ(Call("POST", "/api/v1/approvals/" + a.id, decide, "", wrong).status, 403);
  EXPECT_EQ(store->GetApproval(a.id)->state, "pending");
  HttpHeaders right = {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
  ApiReply ok = Call("POST", "/api/v1/approvals/" + a.id, decide, "", right);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(store->GetApproval(a.id)->state, "denied");
  // The cookie is not a bearer token.
  EXPECT_EQ(Call("GET", "/api/v1/me", "", cookie.substr(cookie.find('=') + 1)).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/logout", "", "", right).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", "", with_cookie).status, 401);
}

TEST_F(ServerApiTest, RevokedTokensStopWorking) {
  std::string token = served_->CreateToken("val");
  ASSERT_EQ(Call("GET", "/api/v1/sessions", "", token).status, 200);
  std::string id = token.substr(0, token.find('.'));
  auto r = RunWard({"token", "revoke", id}, served_->Env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Call("GET", "/api/v1/sessions", "", token).status, 401);
  auto list = RunWard({"token", "list", "--user", "val"}, served_->Env());
  EXPECT_NE(list.out.find(id + " "), std::string::npos);
  EXPECT_NE(list.out.find("revoked"), std::string::npos);
  EXPECT_EQ(list.out.find(token), std::string::npos);  // secrets are never shown again
}

// The owner record of a process that ran on this host and has exited.
ProcessOwner DeadProcessOwner() {
  int ready[2];
  EXPECT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    char byte;
    close(ready[1]);
    (void)!read(ready[0], &byte, 1);
    _exit(0);
  }
  close(ready[0]);
  ProcessOwner owner = CurrentProcessOwner();
  owner.pid = child;
  owner.start = ProcessStartTime(child);
  close(ready[1]);
  int status = 0;
  waitpid(child, &status, 0);
  return owner;
}

// How many audit entries of `kind` by `actor` name `approval` (in data.ids or data.what).
int ApprovalReadsAudited(Store* store, const std::string& actor, const std::string& approval) {
  int n = 0;
  auto audit = store->ListAudit(0, 0);
  EXPECT_TRUE(audit.ok());
  for (const auto& e : *audit) {
    if (e.kind != "api_approval_read") continue;
    json body = json::parse(e.body);
    std::string ids = body["data"].value("ids", "") + "," + body["data"].value("what", "");
    if (body["actor"] == actor && ids.find(approval) != std::string::npos) ++n;
  }
  return n;
}

// A session left "running" by a process that has ended (a killed `ward run`, a
// crashed server): the server shows it interrupted, ends its stream, closes its
// approvals and refuses to cancel it.
TEST_F(ServerApiTest, ASessionWhoseProcessEndedIsInterrupted) {
  auto store = OpenStore();
  std::string id = MakeSession(store.get(), 2);
  SessionRecord r = *store->GetSession(id);
  SetSessionOwner(DeadProcessOwner(), &r);
  ASSERT_TRUE(store->UpdateSession(r).ok());
  ApprovalRecord a = MakeApproval(store.get(), id);

  ApiReply cancel = Call("POST", "/api/v1/sessions/" + id + "/cancel", "", *approver_);
  EXPECT_EQ(cancel.status, 409) << cancel.body;
  ApiReply got = Call("GET", "/api/v1/sessions/" + id, "", *viewer_);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(json::parse(got.body)["status"], "interrupted");
  // The stream replays what there was, then the end, and stops.
  std::vector<int64_t> seqs = ReadStream(id, *viewer_, "", 0);
  EXPECT_EQ(seqs.size(), 3u);
  std::string decide = json{{"decision", "approve"}, {"hash", a.action_hash}}.dump();
  EXPECT_EQ(Call("POST", "/api/v1/approvals/" + a.id, decide, *approver_).status, 409);
  EXPECT_EQ(store->GetApproval(a.id)->state, "closed");
  int audited = 0;
  auto audit = store->ListAudit(0, 0);
  ASSERT_TRUE(audit.ok());
  for (const auto& e : *audit)
    if (e.kind == "session_interrupted" && e.session == id) ++audited;
  EXPECT_EQ(audited, 1);
}

// Its stream, opened while the process still seems to run, ends when it is found gone.
TEST_F(ServerApiTest, AStreamEndsWhenTheSessionsProcessIsFoundGone) {
  auto store = OpenStore();
  std::string id = MakeSession(store.get(), 1);
  std::thread kill_owner([&] {
    auto other = OpenStore();
    SessionRecord r = *other->GetSession(id);
    SetSessionOwner(DeadProcessOwner(), &r);
    EXPECT_TRUE(other->UpdateSession(r).ok());
  });
  std::vector<int64_t> seqs = ReadStream(id, *viewer_, "", 0);
  kill_owner.join();
  EXPECT_EQ(seqs.size(), 2u);  // the observation and the `finished` that ended it
  EXPECT_EQ(store->GetSession(id)->status, "interrupted");
}

// Approvals carry before/after resources: a viewer reading them is audited.
TEST_F(ServerApiTest, ViewerReadsOfApprovalsAreAudited) {
  auto store = OpenStore();
  std::string session = MakeSession(store.get(), 1);
  ApprovalRecord a = MakeApproval(store.get(), session);
  ASSERT_EQ(Call("GET", "/api/v1/approvals/" + a.id, "", *viewer_).status, 200);
  EXPECT_EQ(ApprovalReadsAudited(store.get(), "val", a.id), 1);
  ASSERT_EQ(Call("GET", "/api/v1/approvals?session=" + session, "", *viewer_).status, 200);
  EXPECT_EQ(ApprovalReadsAudited(store.get(), "val", a.id), 2);
  // A list that polls is audited when it first shows the approval, not every time.
  ASSERT_EQ(Call("GET", "/api/v1/approvals?session=" + session, "", *viewer_).status, 200);
  EXPECT_EQ(ApprovalReadsAudited(store.get(), "val", a.id), 2);
}

TEST_F(ServerApiTest, ApprovalNeedsTheActionsHash) {
  auto store = OpenStore();
  std::string session = MakeSession(store.get(), 1);
  ApprovalRecord a = MakeApproval(store.get(), session);
  ApiReply pending = Call("GET", "/api/v1/approvals?state=pending", "", *viewer_);
  ASSERT_EQ(pending.status, 200);
  bool listed = false;
  for (const auto& item : json::parse(pending.body))
    if (item["id"] == a.id) {
      listed = true;
      EXPECT_EQ(item["hash"], a.action_hash);
      EXPECT_EQ(item["action"]["binding"], "fhir.create");
    }
  EXPECT_TRUE(listed);
  std::string other_hash(64, a.action_hash[0] == '0' ? '1' : '0');  // never the action's
  std::string wrong = json{{"decision", "approve"}, {"hash", other_hash}}.dump();
  ApiReply refused = Call("POST", "/api/v1/approvals/" + a.id, wrong, *approver_);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(store->GetApproval(a.id)->state, "pending");
  std::string right =
      json{{"decision", "approve"}, {"hash", a.action_hash}, {"reason", "ok"}}.dump();
  ApiReply ok = Call("POST", "/api/v1/approvals/" + a.id, right, *approver_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["state"], "approved");
  EXPECT_EQ(store->GetApproval(a.id)->decided_by, "abe");
  EXPECT_EQ(Call("POST", "/api/v1/approvals/" + a.id, right, *approver_).status, 409);
  // Audited with the user.
  bool audited = false;
  auto audit = store->ListAudit(0, 0);
  ASSERT_TRUE(audit.ok());
  for (const auto& e : *audit) {
    if (e.kind != "api_approval_decision") continue;
    json body = json::parse(e.body);
    if (body["data"]["approval"] == a.id && body["actor"] == "abe") audited = true;
  }
  EXPECT_TRUE(audited);
}

TEST_F(ServerApiTest, StreamResumesWithLastEventIdWithNothingMissedOrRepeated) {
  auto store = OpenStore();
  std::string session = MakeSession(store.get(), 8);
  std::vector<int64_t> first = ReadStream(session, *viewer_, "", 5);
  ASSERT_EQ(first, (std::vector<int64_t>{1, 2, 3, 4, 5}));
  // Events keep arriving while the viewer is disconnected, and after it is back.
  for (int i = 8; i < 12; ++i) AppendObservation(store.get(), session, i);
  std::thread writer([&] {
    auto writer_store = OpenStore();
    for (int i = 12; i < 20; ++i) AppendObservation(writer_store.get(), session, i);
    Finish(writer_store.get(), session);
  });
  std::vector<int64_t> rest = ReadStream(session, *viewer_, "5", 0);
  writer.join();
  std::vector<int64_t> all = first;
  all.insert(all.end(), rest.begin(), rest.end());
  ASSERT_EQ(all.size(), 21u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<int64_t>(i + 1));
}

TEST_F(ServerApiTest, EventsAsJsonAfterASequenceNumber) {
  auto store = OpenStore();
  std::string session = MakeSession(store.get(), 4);
  ApiReply r = Call("GET", "/api/v1/sessions/" + session + "/events?after=2", "", *viewer_);
  ASSERT_EQ(r.status, 200);
  json events = json::parse(r.body);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["seq"], 3);
  EXPECT_EQ(events[0]["type"], "observation");
  EXPECT_EQ(Call("GET", "/api/v1/sessions/s_none/events", "", *viewer_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/sessions/" + session + "/events?after=x", "", *viewer_).status,
            400);
}

TEST_F(ServerApiTest, FailedLoginsAreRateLimited) {
  served_->AddUser("rita", "viewer", "rita-password-1");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Call("POST", "/api/v1/login", R"({"user":"rita","password":"nope"})").status, 401);
  ApiReply r = Call("POST", "/api/v1/login", R"({"user":"rita","password":"rita-password-1"})");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "resource_exhausted");
}

TEST_F(ServerApiTest, MetricsAndAuditStatus) {
  auto store = OpenStore();
  std::string session = MakeSession(store.get(), 1);
  // Reading a session's events is audited.
  ASSERT_EQ(Call("GET", "/api/v1/sessions/" + session + "/events", "", *viewer_).status, 200);
  ApiReply m = Call("GET", "/metrics", "", *viewer_);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("ward_sessions{state=\"running\"}"), std::string::npos);
  EXPECT_NE(m.body.find("ward_approvals_pending"), std::string::npos);
  EXPECT_NE(m.body.find("ward_model_tokens_total"), std::string::npos);
  EXPECT_NE(m.body.find("ward_http_request_duration_seconds_bucket"), std::string::npos);
  ApiReply v = Call("GET", "/api/v1/audit/verify", "", *viewer_);
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(json::parse(v.body)["ok"], true);
  EXPECT_GT(json::parse(v.body)["entries"].get<int>(), 0);
  EXPECT_TRUE(json::parse(v.body)["unfinished_intents"].is_array()) << v.body;
}

TEST_F(ServerApiTest, ChangesetAndRollbackOfASessionWithoutWrites) {
  auto store = OpenStore();
  std::string session = MakeSession(store.get(), 1, "succeeded");
  ApiReply r = Call("GET", "/api/v1/sessions/" + session + "/changeset", "", *viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).empty());
  EXPECT_EQ(Call("POST", "/api/v1/sessions/" + session + "/rollback", "", *viewer_).status, 403);
  ApiReply undo = Call("POST", "/api/v1/sessions/" + session + "/rollback", "", *approver_);
  ASSERT_EQ(undo.status, 200) << undo.body;
  EXPECT_EQ(json::parse(undo.body)["complete"], true);
  EXPECT_TRUE(json::parse(undo.body)["steps"].empty());
  std::string running = MakeSession(store.get(), 2, "running");
  EXPECT_NE(Call("POST", "/api/v1/sessions/" + running + "/rollback", "", *approver_).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/sessions/s_none/changeset", "", *viewer_).status, 404);
}

// The session's status once it is no longer running (the record is updated just
// after the finished event is published).
std::string FinalStatus(const std::string& id, const std::string& token) {
  for (int i = 0; i < 200; ++i) {
    json s = json::parse(ServedHomeCall("GET", "/api/v1/sessions/" + id, token));
    if (s["status"] != "running") return s["status"];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "running";
}

std::string ServedHomeCall(const std::string& method, const std::string& path,
                           const std::string& token) {
  return ServerApiTest::Served()->Call(method, path, "", token).body;
}

// A transcript whose first action takes a while, so a session is seen running.
std::string SlowTranscript(const std::filesystem::path& dir, double seconds) {
  std::string path = (dir / ("slow_" + std::to_string(seconds) + ".jsonl")).string();
  std::ofstream out(path);
  out << json{{"content", "```python\nimport time\nprint('working')\ntime.sleep(" +
                              std::to_string(seconds) + ")\nprint('done')\n```"}}
             .dump()
      << "\n";
  out << json{{"content", "```python\nfinish('slept')\n```"}}.dump() << "\n";
  return path;
}

TEST_F(ServerApiTest, SessionStartedByWardRunIsVisibleLive) {
  std::string transcript = SlowTranscript(served_->home(), 2);
  WardProcess run({"exec", "--json", "--model", "scripted:" + transcript, "wait then finish"},
                  served_->Env());
  std::string first = run.ReadLine(60'000);
  ASSERT_FALSE(first.empty());
  std::string session = json::parse(first)["session"];
  ApiReply live = Call("GET", "/api/v1/sessions/" + session, "", *viewer_);
  ASSERT_EQ(live.status, 200);
  EXPECT_EQ(json::parse(live.body)["status"], "running");
  std::vector<int64_t> seqs = ReadStream(session, *viewer_, "", 0);
  ASSERT_EQ(run.Wait().exit_code, 0);
  auto store = OpenStore();
  auto stored = store->ListEvents(session, 0, 0);
  ASSERT_EQ(seqs.size(), stored->size());
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int64_t>(i + 1));
  json listed = json::parse(Call("GET", "/api/v1/sessions", "", *viewer_).body);
  bool found = false;
  for (const auto& s : listed) found |= s["id"] == session && s["status"] == "succeeded";
  EXPECT_TRUE(found);
}

TEST_F(ServerApiTest, StartAndCancelSessionsThroughTheApi) {
  std::string quick = (served_->home() / "quick.jsonl").string();
  std::ofstream(quick) << json{{"content", "```python\nfinish(6 * 7)\n```"}}.dump() << "\n";
  ApiReply started = Call("POST", "/api/v1/sessions",
                          json{{"task", "answer"}, {"model", "scripted:" + quick}}.dump(), *admin_);
  ASSERT_EQ(started.status, 201) << started.body;
  std::string id = json::parse(started.body)["id"];
  std::vector<int64_t> seqs = ReadStream(id, *viewer_, "", 0);
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(FinalStatus(id, *viewer_), "succeeded");
  json s = json::parse(Call("GET", "/api/v1/sessions/" + id, "", *viewer_).body);
  EXPECT_EQ(s["answer"], "42");
  EXPECT_EQ(s["actor"], "ada");

  std::string slow = SlowTranscript(served_->home(), 30);
  ApiReply running = Call("POST", "/api/v1/sessions",
                          json{{"task", "wait"}, {"model", "scripted:" + slow}}.dump(), *admin_);
  ASSERT_EQ(running.status, 201) << running.body;
  std::string slow_id = json::parse(running.body)["id"];
  ApiReply cancel = Call("POST", "/api/v1/sessions/" + slow_id + "/cancel", "", *approver_);
  EXPECT_EQ(cancel.status, 202) << cancel.body;
  ReadStream(slow_id, *viewer_, "", 0);  // ends with the finished event
  EXPECT_EQ(FinalStatus(slow_id, *viewer_), "cancelled");
  EXPECT_EQ(Call("POST", "/api/v1/sessions", R"({"model":"openai:m"})", *admin_).status, 400);
}

// Privacy can be made stricter by whoever may start a session, weakened only by an
// admin; a purpose of use is checked and audited at the session's start.
TEST_F(ServerApiTest, PrivacyAndPurposeOfUseOptions) {
  std::string quick = (served_->home() / "quick.jsonl").string();
  std::ofstream(quick) << json{{"content", "```python\nfinish(1)\n```"}}.dump() << "\n";
  auto start = [&](const json& options, const std::string& token) {
    return Call("POST", "/api/v1/sessions",
                json{{"task", "t"}, {"model", "scripted:" + quick}, {"options", options}}.dump(),
                token);
  };
  ApiReply weaker =
      Call("POST", "/api/v1/sessions",
           json{{"task", "t"}, {"model", "openai:m"}, {"options", {{"privacy", "off"}}}}.dump(),
           *approver_);
  EXPECT_EQ(weaker.status, 403) << weaker.body;
  EXPECT_NE(weaker.body.find("privacy weaker"), std::string::npos) << weaker.body;
  EXPECT_EQ(start({{"privacy", "loose"}}, *admin_).status, 400);
  EXPECT_EQ(start({{"purpose_of_use", "TREAT\n<script>"}}, *admin_).status, 400);
  ApiReply ok = start({{"privacy", "strict"}, {"purpose_of_use", "TREAT"}}, *admin_);
  ASSERT_EQ(ok.status, 201) << ok.body;
  std::string id = json::parse(ok.body)["id"];
  EXPECT_EQ(FinalStatus(id, *viewer_), "succeeded");
  auto store = OpenSqliteStore((served_->home() / "ward.db").string());
  ASSERT_TRUE(store.ok());
  bool found = false;
  auto entries = (*store)->ListAudit(0, 0);
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries) {
    if (e.session != id || e.kind != "session_start") continue;
    json body = json::parse(e.body);
    EXPECT_EQ(body["data"]["privacy"], "strict");
    EXPECT_EQ(body["data"]["purpose_of_use"], "TREAT");
    found = true;
  }
  EXPECT_TRUE(found);
}

// A server's sessions share one zygote. A guest cloned from it lives as long as its
// own session, not as long as the session that happened to start the zygote.
TEST(ServerSharedZygoteTest, OneSessionEndingLeavesAnotherSessionsGuestAlone) {
  ServedHome served("server_zygote");
  served.AddUser("ada", "admin", "admin-password-1");
  std::string token = served.CreateToken("ada");
  ASSERT_FALSE(served.Serve().empty());
  auto start = [&](double seconds) {
    std::string transcript = SlowTranscript(served.home(), seconds);
    ApiReply r =
        served.Call("POST", "/api/v1/sessions",
                    json{{"task", "t"}, {"model", "scripted:" + transcript}}.dump(), token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? json::parse(r.body)["id"].get<std::string>() : "";
  };
  auto final_status = [&](const std::string& id) {
    for (int i = 0; i < 400; ++i) {
      json s = json::parse(served.Call("GET", "/api/v1/sessions/" + id, "", token).body);
      if (s["status"] != "running") return s["status"].get<std::string>();
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return std::string("running");
  };
  std::string first = start(0.5);   // the server's first session: its thread starts the zygote
  std::string second = start(2.0);  // cloned from that zygote; outlives the first session
  ASSERT_FALSE(first.empty() || second.empty());
  EXPECT_EQ(final_status(first), "succeeded");
  ASSERT_EQ(final_status(second), "succeeded");
  json events =
      json::parse(served.Call("GET", "/api/v1/sessions/" + second + "/events", "", token).body);
  std::string step_one;
  for (const auto& e : events)
    if (e["type"] == "observation" && e["step"] == 1)
      step_one = e["kind"].get<std::string>() + ": " + e["text"].get<std::string>();
  EXPECT_EQ(step_one, "result: working\ndone\n");
}

TEST(ServerTlsTest, SelfSignedCertificateIsCreatedOnceAndServes) {
  ServedHome served("server_tls");
  served.AddUser("val", "viewer", "viewer-password-1");
  std::string url = served.Serve({"--tls-self-signed"});
  ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << url;
  std::string cert = (served.home() / "tls" / "cert.pem").string();
  ASSERT_TRUE(std::filesystem::exists(cert));
  auto written = std::filesystem::last_write_time(cert);
  std::string host_port = url.substr(8);
  int port = std::stoi(host_port.substr(host_port.find(':') + 1));
  {
    httplib::SSLClient client("127.0.0.1", port);
    client.set_ca_cert_path(cert.c_str());
    client.enable_server_certificate_verification(true);
    auto res = client.Get("/healthz");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    auto login = client.Post("/api/v1/login", R"({"user":"val","password":"viewer-password-1"})",
                             "application/json");
    ASSERT_TRUE(login);
    EXPECT_NE(login->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);
  }
  served.StopServer();
  served.Serve({"--tls-self-signed"});
  EXPECT_EQ(std::filesystem::last_write_time(cert), written);  // reused
}

}  // namespace
}  // namespace ward::testing
