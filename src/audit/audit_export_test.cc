// Audit export: every entry of a session's log maps to an AuditEvent valid against
// the R4 schema and accepted by the embedded EHR; a failed POST resumes without
// skipping or repeating; --since by seq and time; syslog framing and escaping;
// and the attacks: text in the data meant to break out of JSON or syslog, a
// redirect to another host (the token must not follow), a huge response, a URL
// carrying credentials. Real SQLite files, real loopback HTTP and TCP servers.
#include "audit/audit_export.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "audit/audit_event_fhir.h"
#include "audit/signing_key.h"
#include "audit/syslog_format.h"
#include "audit/testing/session_log.h"
#include "ehr/ehr_service.h"
#include "ehr/http_adapter.h"
#include "ehr/store.h"
#include "ehr/validator.h"
#include "util/encoding.h"
#include "util/hash.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using json = nlohmann::json;

const ehr::ResourceValidator& Validator() {
  static const ehr::ResourceValidator* v = [] {
    auto r = ehr::ResourceValidator::LoadFromFile(std::string(WARD_TEST_SOURCE_DIR) +
                                                  "/share/fhir/fhir.r4.schema.json");
    if (!r.ok()) std::abort();
    return r->release();
  }();
  return *v;
}

std::string Issues(const json& resource) {
  std::string out;
  for (const auto& i : Validator().Validate(resource))
    out += i.expression + ": " + i.message + "\n";
  return out;
}

// Collects what a sink is given (a fake, for tests).
class FakeRecordingSink : public ExportSink {
 public:
  std::string Name() const override { return "recording"; }
  Status Deliver(const std::vector<std::string>& records) override {
    batches.push_back(records);
    for (const auto& r : records) all.push_back(r);
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> batches;
  std::vector<std::string> all;
};

// The embedded EHR on a loopback port.
class LoopbackEhr {
 public:
  LoopbackEhr() : server_(nullptr) {
    store_ = std::move(ehr::Store::Open(ehr::StoreOptions{""})).value();
    ehr::EhrServiceOptions options;
    options.clock = &clock_;
    service_ = std::make_unique<ehr::EhrService>(store_.get(), &Validator(), options);
    server_ = std::make_unique<ehr::EhrHttpServer>(service_.get());
    port_ = server_->Bind("127.0.0.1", 0).value();
    thread_ = std::thread([this] { static_cast<void>(server_->Serve()); });
  }
  ~LoopbackEhr() {
    server_->Stop();
    thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_) + "/fhir"; }
  ehr::EhrService& service() { return *service_; }
  json Get(const std::string& path, const std::string& query = "") {
    ehr::EhrRequest r;
    r.method = "GET";
    r.path = path;
    r.query = query;
    r.base_url = base();
    return json::parse(service_->Handle(r).body);
  }

 private:
  ManualClock clock_;
  std::unique_ptr<ehr::Store> store_;
  std::unique_ptr<ehr::EhrService> service_;
  std::unique_ptr<ehr::EhrHttpServer> server_;
  int port_ = 0;
  std::thread thread_;
};

// A loopback FHIR endpoint in front of an EhrService that fails chosen POSTs with
// 503 (a fake, for tests); it records the AuditEvent ids each accepted batch held.
class FakeFlakyFhirServer {
 public:
  explicit FakeFlakyFhirServer(ehr::EhrService* service) : service_(service) {
    server_.Post("/fhir", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++posts_;
      if (fail_batch_ >= 0 && static_cast<int>(accepted_batches_.size()) == fail_batch_) {
        res.status = 503;
        return;
      }
      ehr::EhrRequest r;
      r.method = "POST";
      r.path = "";
      r.body = req.body;
      r.headers.push_back({"content-type", "application/fhir+json"});
      r.base_url = url();
      auto out = service_->Handle(r);
      res.status = out.status;
      res.set_content(out.body, "application/fhir+json");
      std::vector<std::string> ids;
      json sent = json::parse(req.body);
      for (const auto& e : sent["entry"]) ids.push_back(e["resource"]["id"]);
      if (out.status == 200) accepted_batches_.push_back(ids);
      last_authorization_ = req.get_header_value("Authorization");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeFlakyFhirServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/fhir"; }
  void FailBatch(int index) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_batch_ = index;
  }
  std::vector<std::vector<std::string>> accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_batches_;
  }
  std::string last_authorization() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_authorization_;
  }

 private:
  ehr::EhrService* service_;
  httplib::Server server_;
  std::mutex mu_;
  int fail_batch_ = -1;
  int posts_ = 0;
  std::vector<std::vector<std::string>> accepted_batches_;
  std::string last_authorization_;
  int port_ = 0;
  std::thread thread_;
};

class AuditExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_audit_export_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
    key_ = std::make_unique<SigningKey>(
        std::move(LoadOrCreateSigningKey((dir_ / "key.pem").string())).value());
    log_ = std::make_unique<AuditLog>(store_.get(), &clock_, "alice");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ExportOptions Options(ExportFormat format) {
    ExportOptions o;
    o.format = format;
    o.observer = "ward-test-host";
    o.clock = &clock_;
    return o;
  }
  std::vector<json> ExportFhir(ExportOptions o = {}) {
    if (!o.clock) o = Options(ExportFormat::kFhir);
    FakeRecordingSink sink;
    auto r = ExportAudit(store_.get(), &sink, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<json> out;
    for (const auto& line : sink.all) out.push_back(json::parse(line));
    return out;
  }
  const json* Find(const std::vector<json>& events, const std::string& kind, int nth = 0) {
    for (const auto& e : events)
      for (const auto& d : e["entity"][0].value("detail", json::array()))
        if (d["type"] == "kind" && d["valueString"] == kind && nth-- == 0) return &e;
    return nullptr;
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditExportTest, EveryEntryOfASessionIsAValidAuditEvent) {
  testing::WriteSessionLog(*log_, store_.get(), key_.get());
  auto events = ExportFhir();
  auto entries = store_->ListAudit(0, 0).value();
  ASSERT_EQ(events.size(), entries.size() + 1);  // + the checkpoint
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["resourceType"], "AuditEvent");
    EXPECT_EQ(Issues(events[i]), "") << events[i].dump(1);
  }
  // Each carries its entry's seq and hash.
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(events[i]["id"], AuditEventId(entries[i].seq, entries[i].hash));
    const json& details = events[i]["entity"][0]["detail"];
    EXPECT_EQ(details[0], json({{"type", "seq"}, {"valueString", std::to_string(entries[i].seq)}}));
    EXPECT_EQ(details[1], json({{"type", "hash"}, {"valueString", entries[i].hash}}));
  }
}

TEST_F(AuditExportTest, TheBundleFormatIsAValidCollectionPerBatch) {
  testing::WriteSessionLog(*log_, store_.get(), key_.get());
  ExportOptions o = Options(ExportFormat::kFhirBundle);
  o.batch_size = 10;
  FakeRecordingSink sink;
  ASSERT_TRUE(ExportAudit(store_.get(), &sink, o).ok());
  size_t resources = 0;
  for (const auto& record : sink.all) {
    json bundle = json::parse(record);
    EXPECT_EQ(bundle["type"], "collection");
    EXPECT_EQ(Issues(bundle), "");
    resources += bundle["entry"].size();
  }
  EXPECT_EQ(sink.all.size(), (store_->ListAudit(0, 0).value().size() + 9) / 10);
  EXPECT_EQ(resources, store_->ListAudit(0, 0).value().size() + 1);
}

TEST_F(AuditExportTest, BindingCallsMapToRestInteractions) {
  testing::WriteSessionLog(*log_, store_.get(), nullptr);
  auto events = ExportFhir();
  const json* read = Find(events, "binding_call", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ((*read)["type"]["code"], "rest");
  EXPECT_EQ((*read)["subtype"][0]["code"], "read");
  EXPECT_EQ((*read)["action"], "R");
  EXPECT_EQ((*read)["outcome"], "0");
  EXPECT_EQ((*read)["entity"][1]["what"]["reference"], "Patient/42");
  EXPECT_EQ((*read)["entity"][2]["role"]["code"], "1");  // the patient
  EXPECT_EQ((*read)["purposeOfEvent"][0]["coding"][0]["code"], "TREAT");
  EXPECT_EQ((*read)["agent"][0]["who"]["display"], "alice");
  EXPECT_TRUE((*read)["agent"][0]["requestor"]);
  EXPECT_EQ((*read)["agent"].back()["altId"], "s-1");
  EXPECT_EQ((*read)["source"]["observer"]["identifier"]["value"], "ward-test-host");

  const json* search = Find(events, "binding_call", 1);
  EXPECT_EQ((*search)["subtype"][0]["code"], "search-type");
  EXPECT_EQ((*search)["action"], "E");
  std::string query;
  for (const auto& e : (*search)["entity"])
    if (e.contains("query")) query = e["query"];
  EXPECT_EQ(query,
            Base64Encode("Observation?code=http:%2F%2Floinc.org|4548-4&patient=Patient%2F42"));

  const json* denied = Find(events, "binding_call", 2);
  EXPECT_EQ((*denied)["outcome"], "4");
  EXPECT_EQ((*denied)["outcomeDesc"], "PermissionError: denied by policy");
  // A guest-chosen id that is not a FHIR id is shown, never made a reference.
  EXPECT_FALSE((*denied)["entity"][1]["what"].contains("reference"));

  const json* created = Find(events, "binding_call", 3);
  EXPECT_EQ((*created)["action"], "C");
  EXPECT_EQ((*created)["agent"][1]["who"]["display"], "bob");  // the approver
  EXPECT_EQ((*created)["agent"][1]["type"]["coding"][0]["code"], "VRF");
  EXPECT_EQ(created->dump().find("SECRET-NOTE-TEXT"), std::string::npos);  // bodies stay home

  EXPECT_EQ((*Find(events, "binding_call", 4))["action"], "D");
  EXPECT_EQ((*Find(events, "binding_call", 5))["subtype"][0]["code"], "transaction");
  EXPECT_EQ((*Find(events, "binding_call", 6))["action"], "C");  // POST over http

  const json* finish = Find(events, "binding_call", 7);  // ward's own, not another system's
  EXPECT_EQ((*finish)["type"]["system"], kWardAuditEventTypeSystem);

  const json* model = Find(events, "model_call");
  EXPECT_EQ((*model)["type"]["system"], kWardAuditEventTypeSystem);
  EXPECT_EQ((*model)["type"]["code"], "model_call");
  EXPECT_EQ((*model)["agent"][1]["who"]["display"], "anthropic/m");
  const json* start = Find(events, "session_start");
  EXPECT_EQ((*start)["subtype"][0]["code"], "110120");
  EXPECT_EQ((*Find(events, "session_end"))["subtype"][0]["code"], "110121");
}

TEST_F(AuditExportTest, CheckpointsAreExportedWithTheirSignature) {
  testing::WriteSessionLog(*log_, store_.get(), key_.get());
  auto events = ExportFhir();
  const json& cp = events.back();
  EXPECT_EQ(cp["type"]["code"], "checkpoint");
  auto stored = store_->ListCheckpoints().value().at(0);
  std::map<std::string, std::string> details;
  for (const auto& d : cp["entity"][0]["detail"]) details[d["type"]] = d["valueString"];
  EXPECT_EQ(details["seq"], std::to_string(stored.seq));
  EXPECT_EQ(details["head_hash"], stored.head_hash);
  EXPECT_EQ(details["signature"], stored.signature);
  EXPECT_EQ(details["key_id"], stored.key_id);
}

TEST_F(AuditExportTest, APurgedEntryIsExportedWithWhatRemains) {
  StoredAuditEntry purged;
  purged.seq = 5;
  purged.kind = "binding_call";
  purged.session = "s-1";
  purged.hash = std::string(64, 'a');
  purged.body =
      R"({"actor":"alice","data_sha256":"beef","kind":"binding_call","prev_hash":"","seq":5,"session":"s-1","time":"2026-11-30T04:00:00.000Z"})";
  auto parsed = ParseAuditEntry(purged);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  json event = ToAuditEvent(*parsed, AuditEventContext{"host", nullptr, nullptr});
  EXPECT_EQ(Issues(event), "") << event.dump(1);
  EXPECT_NE(event.dump().find("beef"), std::string::npos);
}

TEST_F(AuditExportTest, TextInTheDataCannotBreakOutOfJsonOrSyslog) {
  const std::string evil = "x\"}],\"outcome\":\"0\"}\n<13>1 - forged - - - [ward@32473 seq=\"1\"]";
  AuditData d;
  d.Set("binding", "fhir.read").SetJson("arguments", R"({"resource_type":"Patient","id":"1"})");
  d.Set("ok", false).Set("outcome", evil).Set("decision", "deny");
  ASSERT_TRUE(log_->Record("s]\n1", "binding_call", d).ok());
  auto events = ExportFhir();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["outcomeDesc"], evil);  // a value, not structure
  EXPECT_EQ(events[0]["outcome"], "4");

  FakeRecordingSink sink;
  ASSERT_TRUE(ExportAudit(store_.get(), &sink, Options(ExportFormat::kSyslog)).ok());
  ASSERT_EQ(sink.all.size(), 1u);
  const std::string& m = sink.all[0];
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_NE(m.find("session=\"s\\]\\n1\""), std::string::npos) << m;
  // The structured data ends at the first unescaped ']': right after actor="alice".
  EXPECT_NE(m.find("actor=\"alice\"] \xEF\xBB\xBF{"), std::string::npos) << m;
  EXPECT_EQ(m.rfind("<108>1 ", 0), 0u) << m;  // log audit, warning: a refused call
}

TEST_F(AuditExportTest, SyslogEscapesAndFramesPerRfc) {
  EXPECT_EQ(EscapeSdParamValue("a\"b\\c]d\ne\x01"), "a\\\"b\\\\c\\]d\\ne\\x01");
  EXPECT_EQ(OctetCounted("<110>1 - - ward - x -"), "21 <110>1 - - ward - x -");
}

TEST_F(AuditExportTest, SyslogOverTcpIsOctetCounted) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string received;
  std::thread reader([&] {
    int c = ::accept(listener, nullptr, nullptr);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(c, buf, sizeof buf)) > 0) received.append(buf, static_cast<size_t>(n));
    ::close(c);
  });
  testing::WriteSessionLog(*log_, store_.get(), key_.get());
  auto sink = NewSyslogTcpExportSink(
      "syslog+tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), 5000);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  auto result = ExportAudit(store_.get(), sink->get(), Options(ExportFormat::kSyslog));
  reader.join();
  ::close(listener);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // Parse the frames back: "<len> <msg>" each.
  size_t pos = 0, frames = 0;
  while (pos < received.size()) {
    size_t sp = received.find(' ', pos);
    ASSERT_NE(sp, std::string::npos);
    size_t n = std::stoul(received.substr(pos, sp - pos));
    std::string msg = received.substr(sp + 1, n);
    EXPECT_TRUE(msg.rfind("<110>1 ", 0) == 0 || msg.rfind("<108>1 ", 0) == 0) << msg;
    EXPECT_NE(msg.find("[ward@32473 seq=\""), std::string::npos);
    pos = sp + 1 + n;
    ++frames;
  }
  EXPECT_EQ(frames, store_->ListAudit(0, 0).value().size() + 1);
}

TEST_F(AuditExportTest, SyslogOverUdpIsOneDatagramPerMessage) {
  int receiver = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(receiver, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(receiver, reinterpret_cast<sockaddr*>(&addr), &len);
  AuditData big;
  big.Set("code", std::string(100'000, 'x'));  // over one datagram
  ASSERT_TRUE(log_->Record("s", "code_action", big).ok());
  ASSERT_TRUE(log_->Record("s", "note", AuditData()).ok());
  auto sink =
      NewSyslogUdpExportSink("syslog+udp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE(ExportAudit(store_.get(), sink->get(), Options(ExportFormat::kSyslog)).ok());
  std::vector<std::string> datagrams;
  std::string buf(70'000, '\0');
  for (int i = 0; i < 2; ++i) {
    ssize_t n = ::recv(receiver, buf.data(), buf.size(), 0);  // queued on loopback already
    ASSERT_GT(n, 0);
    datagrams.emplace_back(buf.data(), static_cast<size_t>(n));
  }
  ::close(receiver);
  EXPECT_EQ(datagrams[0].size(), kMaxSyslogDatagramBytes);
  EXPECT_NE(datagrams[0].find("seq=\"1\""), std::string::npos);
  EXPECT_NE(datagrams[1].find("seq=\"2\""), std::string::npos);
}

TEST_F(AuditExportTest, SinceBySeqAndByTime) {
  for (int i = 0; i < 6; ++i) {
    AuditData d;
    d.Set("i", i);
    ASSERT_TRUE(log_->Record("s", "note", d).ok());
    clock_.Advance(60'000);
  }
  ExportOptions o = Options(ExportFormat::kNdjson);
  o.since = ParseExportSince("4").value();
  FakeRecordingSink by_seq;
  ASSERT_TRUE(ExportAudit(store_.get(), &by_seq, o).ok());
  ASSERT_EQ(by_seq.all.size(), 2u);
  EXPECT_EQ(json::parse(by_seq.all[0])["seq"], 5);
  // Each NDJSON line's body hashes (in its sealed form) to its hash: an archive
  // can be re-verified.
  json line = json::parse(by_seq.all[0]);
  auto hashed = HashedFormOf(line["body"].get<std::string>());
  ASSERT_TRUE(hashed.ok()) << hashed.status().message();
  EXPECT_EQ(Sha256Hex(hashed->hashed), line["hash"]);

  auto third = ParseAuditEntry(store_->ListAudit(2, 1).value()[0]).value();
  o.since = ParseExportSince(third.time).value();
  FakeRecordingSink by_time;
  ASSERT_TRUE(ExportAudit(store_.get(), &by_time, o).ok());
  ASSERT_EQ(by_time.all.size(), 4u);
  EXPECT_EQ(json::parse(by_time.all[0])["seq"], 3);
  EXPECT_FALSE(ParseExportSince("yesterday").ok());
}

TEST_F(AuditExportTest, AFileDestinationResumesFromItsCursor) {
  testing::WriteSessionLog(*log_, store_.get(), key_.get());
  std::string file = (dir_ / "out.ndjson").string();
  auto sink = NewFileExportSink(file);
  ExportOptions o = Options(ExportFormat::kNdjson);
  o.cursor_key = ExportCursorKey(o.format, file);
  ASSERT_TRUE(ExportAudit(store_.get(), sink.get(), o).ok());
  AuditData d;
  ASSERT_TRUE(log_->Record("s", "later", d).ok());
  auto second = ExportAudit(store_.get(), sink.get(), o);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->entries, 1);
  EXPECT_EQ(second->checkpoints, 0);
  int64_t cursor = store_->GetAuditExportCursor(o.cursor_key).value().seq;
  // A --since export to another file re-sends; the cursor of this one never goes back.
  ExportOptions again = o;
  again.since = ParseExportSince("2").value();
  again.since_given = true;
  FakeRecordingSink elsewhere;
  ASSERT_TRUE(ExportAudit(store_.get(), &elsewhere, again).ok());
  EXPECT_EQ(store_->GetAuditExportCursor(o.cursor_key).value().seq, cursor);
  std::ifstream in(file);
  std::set<int64_t> seqs;
  int lines = 0;
  for (std::string l; std::getline(in, l); ++lines) {
    json j = json::parse(l);
    if (j.contains("type")) continue;  // the checkpoint line
    EXPECT_TRUE(seqs.insert(j["seq"].get<int64_t>()).second);
  }
  EXPECT_EQ(seqs.size(), store_->ListAudit(0, 0).value().size());
  EXPECT_EQ(lines, static_cast<int>(seqs.size()) + 1);
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
}

TEST_F(AuditExportTest, PostedToTheEmbeddedEhrAndReadBack) {
  testing::WriteSessionLog(*log_, store_.get(), key_.get());
  LoopbackEhr ehr;
  auto http = NewHttpClient();
  auto sink = NewFhirExportSink({ehr.base(), "", http.get(), 5000, nullptr});
  ASSERT_TRUE(sink.ok());
  ExportOptions o = Options(ExportFormat::kFhir);
  o.cursor_key = ExportCursorKey(o.format, ehr.base());
  auto result = ExportAudit(store_.get(), sink->get(), o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  auto entries = store_->ListAudit(0, 0).value();
  json bundle = ehr.Get("/AuditEvent", "_count=100&_total=accurate");
  EXPECT_EQ(bundle["total"], entries.size() + 1);
  json first = ehr.Get("/AuditEvent/" + AuditEventId(entries[0].seq, entries[0].hash));
  EXPECT_EQ(first["resourceType"], "AuditEvent");
  EXPECT_EQ(store_->GetAuditExportCursor(o.cursor_key).value().seq, entries.back().seq);
  // Nothing new: nothing sent.
  auto again = ExportAudit(store_.get(), sink->get(), o);
  EXPECT_EQ(again->batches, 0);
}

TEST_F(AuditExportTest, AFailedPostResumesWithNothingSkippedAndNothingTwice) {
  for (int i = 0; i < 10; ++i) {
    AuditData d;
    d.Set("i", i);
    ASSERT_TRUE(log_->Record("s", "note", d).ok());
  }
  LoopbackEhr ehr;
  FakeFlakyFhirServer server(&ehr.service());
  server.FailBatch(1);  // the second batch fails, every attempt
  auto http = NewHttpClient();
  auto sink = NewFhirExportSink({server.url(), "t0ken-value", http.get(), 5000, nullptr});
  ExportOptions o = Options(ExportFormat::kFhir);
  o.batch_size = 4;
  o.cursor_key = ExportCursorKey(o.format, server.url());
  auto failed = ExportAudit(store_.get(), sink->get(), o);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("before entry #5"), std::string::npos)
      << failed.status().message();
  EXPECT_NE(failed.status().message().find("after 5 attempts"), std::string::npos);
  EXPECT_EQ(failed.status().message().find("t0ken-value"), std::string::npos);
  EXPECT_EQ(store_->GetAuditExportCursor(o.cursor_key).value().seq, 4);
  EXPECT_EQ(clock_.slept_millis(), 1000 + 2000 + 4000 + 8000);  // backoff, on the test clock
  EXPECT_EQ(server.last_authorization(), "Bearer t0ken-value");

  server.FailBatch(-1);
  auto resumed = ExportAudit(store_.get(), sink->get(), o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  std::vector<std::string> ids;
  for (const auto& batch : server.accepted()) ids.insert(ids.end(), batch.begin(), batch.end());
  auto entries = store_->ListAudit(0, 0).value();
  ASSERT_EQ(ids.size(), entries.size()) << server.accepted().size();
  for (size_t i = 0; i < entries.size(); ++i)
    EXPECT_EQ(ids[i], AuditEventId(entries[i].seq, entries[i].hash));
}

TEST_F(AuditExportTest, RetryAfterIsHonouredUpToTheBackoffCap) {
  httplib::Server busy;
  std::atomic<int> posts{0};
  busy.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++posts;
    res.status = 429;
    res.set_header("Retry-After", "20");
  });
  int port = busy.bind_to_any_port("127.0.0.1");
  std::thread t([&] { busy.listen_after_bind(); });
  ASSERT_TRUE(log_->Record("s", "note", AuditData()).ok());
  auto http = NewHttpClient();
  auto sink = NewFhirExportSink(
      {"http://127.0.0.1:" + std::to_string(port) + "/fhir", "", http.get(), 5000, nullptr});
  ExportOptions o = Options(ExportFormat::kFhir);
  o.max_attempts = 3;
  auto result = ExportAudit(store_.get(), sink->get(), o);
  busy.stop();
  t.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(posts.load(), 3);
  EXPECT_EQ(clock_.slept_millis(), 20'000 + 20'000);  // Retry-After beat 1 s and 2 s
}

TEST_F(AuditExportTest, ARedirectIsNotFollowedAndTheTokenStaysHome) {
  std::atomic<int> elsewhere_hits{0};
  httplib::Server elsewhere;
  elsewhere.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++elsewhere_hits;
    res.status = 200;
  });
  int other_port = elsewhere.bind_to_any_port("127.0.0.1");
  std::thread t1([&] { elsewhere.listen_after_bind(); });
  httplib::Server redirecting;
  redirecting.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "http://127.0.0.1:" + std::to_string(other_port) + "/steal");
  });
  int port = redirecting.bind_to_any_port("127.0.0.1");
  std::thread t2([&] { redirecting.listen_after_bind(); });

  AuditData d;
  ASSERT_TRUE(log_->Record("s", "note", d).ok());
  auto http = NewHttpClient();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  auto sink = NewFhirExportSink({url, "t0ken-value", http.get(), 5000, nullptr});
  auto result = ExportAudit(store_.get(), sink->get(), Options(ExportFormat::kFhir));
  redirecting.stop();
  elsewhere.stop();
  t1.join();
  t2.join();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("does not follow redirects"), std::string::npos);
  EXPECT_EQ(elsewhere_hits.load(), 0);
  EXPECT_EQ(clock_.slept_millis(), 0);  // not retried
}

TEST_F(AuditExportTest, AHugeResponseIsReadOnlyUpToTheLimit) {
  httplib::Server huge;
  huge.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink& sink) {
      static const std::string block(64 * 1024, ' ');
      return sink.write(block.data(), block.size());  // forever
    });
  });
  int port = huge.bind_to_any_port("127.0.0.1");
  std::thread t([&] { huge.listen_after_bind(); });
  AuditData d;
  ASSERT_TRUE(log_->Record("s", "note", d).ok());
  auto http = NewHttpClient();
  auto sink = NewFhirExportSink(
      {"http://127.0.0.1:" + std::to_string(port) + "/fhir", "", http.get(), 5000, nullptr});
  auto result = ExportAudit(store_.get(), sink->get(), Options(ExportFormat::kFhir));
  huge.stop();
  t.join();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("larger than"), std::string::npos)
      << result.status().message();
}

TEST_F(AuditExportTest, AUrlWithCredentialsIsRefusedWithoutEchoingThem) {
  auto http = NewHttpClient();
  auto sink =
      NewFhirExportSink({"https://u:s3cret@ehr.example/fhir", "", http.get(), 5000, nullptr});
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().message().find("s3cret"), std::string::npos);
  EXPECT_FALSE(NewSyslogTcpExportSink("syslog+tcp://host", 100).ok());
  // A bearer token never travels in clear text to another host.
  setenv("WARD_TEST_EXPORT_TOKEN", "s3cret-token", 1);
  ExportDestination d{"http://ehr.example/fhir", "WARD_TEST_EXPORT_TOKEN", http.get(), 1000,
                      nullptr};
  auto clear = OpenExportSink(d, "fhir");
  ASSERT_FALSE(clear.ok());
  EXPECT_EQ(clear.status().message().find("s3cret-token"), std::string::npos);
  d.to = "http://127.0.0.1:9/fhir";
  EXPECT_TRUE(OpenExportSink(d, "fhir").ok());
  d.to = "http://127.0.0.1.evil.example/fhir";
  EXPECT_FALSE(OpenExportSink(d, "fhir").ok());
  d.to = "https://ehr.example/fhir";
  EXPECT_TRUE(OpenExportSink(d, "fhir").ok());
  EXPECT_FALSE(OpenExportSink(d, "syslog").ok());  // a FHIR server takes AuditEvents
  d.token_env = "WARD_TEST_NO_SUCH_VARIABLE";
  auto unset = OpenExportSink(d, "fhir");
  ASSERT_FALSE(unset.ok());
  EXPECT_NE(unset.status().message().find("WARD_TEST_NO_SUCH_VARIABLE"), std::string::npos);
  EXPECT_FALSE(ParseExportFormat("xml").ok());
}

}  // namespace
}  // namespace ward
