// `ward-bench connectors [N]`: what the gate adds to a real connector call — the
// same call made directly (the binding's prepare and handler, journaling
// included) and through a Gate (policy, binding_intent and outcome audit entries,
// the event), N times each, interleaved; the overhead is the difference of the
// medians. FHIR against the embedded EHR on loopback HTTP (a read, and a create
// that is journaled); SQL an insert into an SQLite file (journaled, with its
// compare-and-set); HTTP a journaled POST to a loopback vendor API (cpp-httplib,
// answering 201 with a Location). The store is a file, as ward runs with.
#include <httplib.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "audit/audit_log.h"
#include "bench_util.h"
#include "connectors/fhir/fhir_bindings.h"
#include "connectors/http/http_api_config.h"
#include "connectors/http/http_connector.h"
#include "connectors/sql/sql_connector.h"
#include "ehr/ehr_service.h"
#include "ehr/http_adapter.h"
#include "ehr/validator.h"
#include "gate/gate.h"
#include "store/event_log.h"
#include "util/clock.h"

namespace ward::bench {
namespace {

struct Rig {
  std::unique_ptr<Store> store;
  std::unique_ptr<EventLog> events;
  std::unique_ptr<AuditLog> audit;
  Policy policy;
  BindingRegistry registry;
  std::unique_ptr<Gate> gate;
  JournalScope scope;
};

Status MakeRig(const std::string& path, Rig& rig) {
  WARD_ASSIGN_OR_RETURN(rig.store, OpenSqliteStore(path));
  Clock* clock = SystemClock::Default();
  rig.events = std::make_unique<EventLog>(rig.store.get(), clock);
  rig.audit = std::make_unique<AuditLog>(rig.store.get(), clock, "bench");
  WARD_ASSIGN_OR_RETURN(rig.policy, Policy::FromToml("[[policy.rule]]\nname = \"all\"\nbinding "
                                                     "= \"*\"\ndecision = \"allow\"\n",
                                                     "bench"));
  SessionRecord s{"s_bench", "bench", "scripted:bench", "code", "bench", "running", 1, 1};
  WARD_RETURN_IF_ERROR(rig.store->CreateSession(s));
  rig.scope = JournalScope{rig.store.get(), "s_bench", false, clock};
  return Status::Ok();
}

void StartGate(Rig& rig) {
  GateOptions options;
  options.store = rig.store.get();
  options.clock = SystemClock::Default();
  options.policy = &rig.policy;
  rig.gate = std::make_unique<Gate>(&rig.registry, rig.audit.get(), rig.events.get(), options);
}

// Runs `direct` and `gated` `n` times each, alternating; prints both and the difference.
int Compare(const char* label, int n, const std::function<bool(int)>& direct,
            const std::function<bool(int)>& gated) {
  Clock* clock = SystemClock::Default();
  std::vector<double> d, g;
  for (int i = 0; i < n; ++i) {
    int64_t t0 = clock->MonotonicMicros();
    if (!direct(i)) return fprintf(stderr, "%s: a direct call failed\n", label), 1;
    int64_t t1 = clock->MonotonicMicros();
    if (!gated(i)) return fprintf(stderr, "%s: a gated call failed\n", label), 1;
    int64_t t2 = clock->MonotonicMicros();
    d.push_back(static_cast<double>(t1 - t0));
    g.push_back(static_cast<double>(t2 - t1));
  }
  double dp = Percentile(d, 50), gp = Percentile(g, 50);
  printf("%-22s direct %s\n%-22s gated  %s\n%-22s gate overhead (p50 difference) %.0f µs\n", label,
         Summary(d).c_str(), "", Summary(g).c_str(), "", gp - dp);
  return 0;
}

// A direct call: prepare, then the handler on what was prepared.
bool Direct(const Binding& b, const std::string& args) {
  PreparedCall p = b.prepare ? b.prepare(args) : PreparedCall{};
  if (b.prepare && !p.refusal.ok) return false;
  return b.handler(BindingContext{"s_bench", 1, b.prepare ? &p : nullptr}, args).reply.ok;
}

bool Gated(Rig& rig, const std::string& name, const std::string& args) {
  GuestCallReply r = rig.gate->Dispatch(BindingContext{"s_bench", 1}, GuestCall{name, args});
  if (!r.ok) fprintf(stderr, "%s: %s\n", name.c_str(), r.error_message.c_str());
  return r.ok;
}

int BenchFhir(const std::filesystem::path& dir, int n) {
  auto validator = ehr::ResourceValidator::LoadFromFile(std::string(WARD_BENCH_SOURCE_DIR) +
                                                        "/share/fhir/fhir.r4.schema.json");
  if (!validator.ok()) return fprintf(stderr, "%s\n", validator.status().ToString().c_str()), 1;
  auto ehr_store = ehr::Store::Open(ehr::StoreOptions{}).value();
  ehr::EhrService service(ehr_store.get(), validator->get());
  ehr::EhrHttpServer server(&service);
  auto port = server.Bind("127.0.0.1", 0);
  if (!port.ok()) return 1;
  std::thread serving([&] { static_cast<void>(server.Serve()); });
  auto http = NewHttpClient();
  FhirConnectorConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(*port) + "/fhir";
  FhirClient client(config, http.get());
  auto made = client.Create("Patient", R"({"resourceType":"Patient","gender":"female"})");
  std::string id = made.ok() ? nlohmann::json::parse(made->body).value("id", "") : "";
  Rig rig;
  Status s = MakeRig((dir / "fhir.db").string(), rig);
  int rc = !s.ok() || id.empty() ? 1 : 0;
  if (rc == 0) {
    for (auto& b : MakeFhirBindings(&client, &rig.scope))
      if (!rig.registry.Add(std::move(b)).ok()) rc = 1;
    StartGate(rig);
  }
  std::string read = R"({"resource_type":"Patient","id":")" + id + "\"}";
  std::string create =
      R"({"resource":{"resourceType":"Observation","status":"final","code":{"text":"bench"}}})";
  if (rc == 0)
    rc = Compare(
        "fhir.read", n, [&](int) { return Direct(*rig.registry.Find("fhir.read"), read); },
        [&](int) { return Gated(rig, "fhir.read", read); });
  if (rc == 0)
    rc = Compare(
        "fhir.create", n / 2,
        [&](int) { return Direct(*rig.registry.Find("fhir.create"), create); },
        [&](int) { return Gated(rig, "fhir.create", create); });
  server.Stop();
  serving.join();
  return rc;
}

int BenchSql(const std::filesystem::path& dir, int n) {
  std::string db = (dir / "report.db").string();
  sqlite3* raw = nullptr;
  sqlite3_open(db.c_str(), &raw);
  sqlite3_exec(raw, "CREATE TABLE report (id INTEGER PRIMARY KEY, value REAL NOT NULL)", nullptr,
               nullptr, nullptr);
  sqlite3_close(raw);
  sql::SqlConnectorConfig config;
  config.name = "reporting";
  config.dsn = db;
  config.tables = {"report"};
  auto connector = sql::SqlConnector::Open(config, SystemClock::Default());
  if (!connector.ok()) return fprintf(stderr, "%s\n", connector.status().ToString().c_str()), 1;
  Rig rig;
  if (!MakeRig((dir / "sql.db").string(), rig).ok()) return 1;
  for (auto& b : (*connector)->Bindings(&rig.scope))
    if (!rig.registry.Add(std::move(b)).ok()) return 1;
  StartGate(rig);
  auto row = [](int key) {
    return R"({"table":"report","row":{"id":)" + std::to_string(key) + R"(,"value":6.2}})";
  };
  return Compare(
      "reporting.insert", n,
      [&](int i) { return Direct(*rig.registry.Find("reporting.insert"), row(2 * i + 1)); },
      [&](int i) { return Gated(rig, "reporting.insert", row(2 * i + 2)); });
}

int BenchHttp(const std::filesystem::path& dir, int n) {
  httplib::Server vendor;
  int created = 0;
  vendor.Post("/notifications", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_header("Location", "/notifications/" + std::to_string(++created));
    res.set_content(R"({"ok":true})", "application/json");
  });
  int port = vendor.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { vendor.listen_after_bind(); });
  toml::table table = toml::parse("base_url = \"http://127.0.0.1:" + std::to_string(port) +
                                  "\"\n[[routes]]\nmethods = [\"POST\"]\npath = "
                                  "\"/notifications\"\nundo.POST = \"DELETE {location}\"\n"
                                  "[[routes]]\nmethods = [\"DELETE\"]\npath = "
                                  "\"/notifications/{id}\"\n");
  auto config = ParseHttpApiConfig(table, "vendor", "bench");
  if (!config.ok()) {
    fprintf(stderr, "%s\n", config.status().ToString().c_str());
    vendor.stop();
    serving.join();
    return 1;
  }
  auto http = NewHttpClient();
  HttpConnector connector(*config, HttpApiOptions{http.get(), SystemClock::Default(), {}});
  Rig rig;
  int rc = MakeRig((dir / "http.db").string(), rig).ok() ? 0 : 1;
  for (auto& b : connector.Bindings(&rig.scope))
    if (rc == 0 && !rig.registry.Add(std::move(b)).ok()) rc = 1;
  if (rc == 0) StartGate(rig);
  std::string post = R"({"path":"/notifications","json":{"report":"hba1c"}})";
  if (rc == 0)
    rc = Compare(
        "vendor.post", n, [&](int) { return Direct(*rig.registry.Find("vendor.post"), post); },
        [&](int) { return Gated(rig, "vendor.post", post); });
  vendor.stop();
  serving.join();
  return rc;
}

}  // namespace

int RunConnectorBench(int argc, char** argv) {
  int n = argc > 0 ? atoi(argv[0]) : 0;
  if (n <= 0) n = 2000;
  auto dir =
      std::filesystem::temp_directory_path() / ("ward-connector-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  int rc = BenchFhir(dir, n);
  if (rc == 0) rc = BenchSql(dir, n);
  if (rc == 0) rc = BenchHttp(dir, n);
  std::filesystem::remove_all(dir);
  return rc;
}

}  // namespace ward::bench
