#include "ehr/ehr_cli.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "ehr/ehr_service.h"
#include "ehr/http_adapter.h"
#include "ehr/loader.h"

namespace ward::ehr {
namespace {

struct ServeFlags {
  int port = 8080;
  std::string host = "127.0.0.1";
  std::string db;
  std::vector<std::string> load;
  std::string schema;
  size_t max_body_mb = 64;
  HttpServerOptions http;
};

struct LoadFlags {
  std::string db;
  std::vector<std::string> paths;
  std::string schema;
};

int Fail(const Status& st) {
  std::fprintf(stderr, "ward ehr: %s\n", st.message().c_str());
  return 1;
}

std::string ExeDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

Result<std::unique_ptr<ResourceValidator>> LoadValidator(const std::string& flag) {
  std::string path = flag;
  if (path.empty()) {
    WARD_ASSIGN_OR_RETURN(path, ResourceValidator::FindInstalledSchema(ExeDir()));
  }
  return ResourceValidator::LoadFromFile(path);
}

// Everything a running EHR needs, in construction order.
struct Ehr {
  std::unique_ptr<ResourceValidator> validator;
  std::unique_ptr<Store> store;
  std::unique_ptr<EhrService> service;
};

Result<Ehr> OpenEhr(const std::string& schema, const std::string& db) {
  Ehr e;
  WARD_ASSIGN_OR_RETURN(e.validator, LoadValidator(schema));
  WARD_ASSIGN_OR_RETURN(e.store, Store::Open(StoreOptions{db}));
  e.service = std::make_unique<EhrService>(e.store.get(), e.validator.get());
  return e;
}

Status LoadAndReport(EhrService* service, const std::vector<std::string>& paths,
                     const std::string& base) {
  WARD_ASSIGN_OR_RETURN(LoadStats stats, LoadPaths(service, paths, base));
  std::fprintf(stderr, "ward ehr: loaded %zu entries from %zu files in %.0f ms\n", stats.entries,
               stats.files, stats.micros / 1000.0);
  return Status::Ok();
}

// Serves until SIGINT/SIGTERM (blocked here, so threads started later inherit the
// mask and the signal is only seen by sigtimedwait below).
int RunServe(const ServeFlags& f) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto ehr = OpenEhr(f.schema, f.db);
  if (!ehr.ok()) return Fail(ehr.status());
  HttpServerOptions http = f.http;
  http.max_body_bytes = f.max_body_mb << 20;
  EhrHttpServer server(ehr->service.get(), http);
  auto port = server.Bind(f.host, f.port);
  if (!port.ok()) return Fail(port.status());
  std::string base = "http://" + f.host + ":" + std::to_string(*port) + "/fhir";
  if (!f.load.empty()) {
    Status st = LoadAndReport(ehr->service.get(), f.load, base);
    if (!st.ok()) return Fail(st);
  }
  std::atomic<bool> done{false};
  Status serve_status;
  std::thread serving([&] {
    serve_status = server.Serve();
    done = true;
  });
  std::printf("ward ehr: serving %s\n", base.c_str());
  std::fflush(stdout);
  timespec tick{0, 200'000'000};
  while (!done && sigtimedwait(&stop_signals, nullptr, &tick) < 0) {
  }
  server.Stop();
  serving.join();
  if (!serve_status.ok()) return Fail(serve_status);
  std::fprintf(stderr, "ward ehr: stopped\n");
  return 0;
}

int RunLoad(const LoadFlags& f) {
  auto ehr = OpenEhr(f.schema, f.db);
  if (!ehr.ok()) return Fail(ehr.status());
  Status st = LoadAndReport(ehr->service.get(), f.paths, "http://localhost/fhir");
  return st.ok() ? 0 : Fail(st);
}

// Runs a command; an exception that escapes a library is a runtime failure.
template <typename F>
int Guarded(F&& run) {
  try {
    return run();
  } catch (const std::exception& e) {
    return Fail(Internal(e.what()));
  }
}

}  // namespace

void AddEhrCommands(CLI::App& app, int* exit_code) {
  auto* ehr = app.add_subcommand("ehr", "The embedded FHIR R4 server");
  ehr->require_subcommand(1);

  auto serve = std::make_shared<ServeFlags>();
  auto* s = ehr->add_subcommand("serve", "Serve FHIR R4 (JSON) at http://HOST:PORT/fhir");
  s->add_option("--port", serve->port, "TCP port (0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  s->add_option("--host", serve->host, "Address to listen on");
  s->add_option("--db", serve->db, "SQLite file (default: a temporary file)");
  s->add_option("--load", serve->load, "FHIR JSON files or directories to load first")
      ->check(CLI::ExistingPath);
  s->add_option("--schema", serve->schema, "FHIR R4 JSON schema (default: the installed one)")
      ->check(CLI::ExistingFile);
  s->add_option("--max-body-mb", serve->max_body_mb,
                "Largest request body accepted, in MiB (default 64); larger ones get 413")
      ->check(CLI::Range(1, 4096));
  s->add_option("--read-timeout", serve->http.request_timeout_seconds,
                "Seconds a request's head and body may take to arrive (default 30)")
      ->check(CLI::Range(1, 3600));
  s->add_option("--max-connections", serve->http.threads,
                "Connections served at once (default 64); past it the longest-idle one is closed")
      ->check(CLI::Range(4, 4096));
  s->callback([serve, exit_code] { *exit_code = Guarded([&] { return RunServe(*serve); }); });

  auto load = std::make_shared<LoadFlags>();
  auto* l = ehr->add_subcommand("load", "Load FHIR JSON files into a database without serving");
  l->add_option("--db", load->db, "SQLite file")->required();
  l->add_option("paths", load->paths, "FHIR JSON files or directories")
      ->required()
      ->check(CLI::ExistingPath);
  l->add_option("--schema", load->schema, "FHIR R4 JSON schema (default: the installed one)")
      ->check(CLI::ExistingFile);
  l->callback([load, exit_code] { *exit_code = Guarded([&] { return RunLoad(*load); }); });
}

}  // namespace ward::ehr
