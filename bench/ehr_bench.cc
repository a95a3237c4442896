// ward-bench-ehr: throughput and latency of the embedded EHR over loopback HTTP.
//
//   build/ward-bench-ehr [--clients 4] [--seconds 3] [--data DIR]
//
// Measures (1) loading the Synthea bundles (hospital and practitioner bundles
// first) into a fresh store, (2) reads/s of random Observations and (3) searches/s
// of typical clinical queries, each with concurrent keep-alive clients, reporting
// p50/p99 latency. The client is a minimal HTTP/1.1 client over a socket so the
// numbers include real request parsing and loopback TCP.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ehr/ehr_service.h"
#include "ehr/http_adapter.h"
#include "ehr/loader.h"

namespace {

using namespace ward::ehr;
using Clock = std::chrono::steady_clock;

// One keep-alive HTTP/1.1 connection; Get returns the status (or -1).
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd_ = -1;
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }

  int Get(const std::string& target) {
    std::string req =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/fhir+json\r\n\r\n";
    if (fd_ < 0 || send(fd_, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size()))
      return -1;
    buf_.clear();
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return -1;
    }
    int status = std::atoi(buf_.c_str() + 9);
    size_t cl = buf_.find("Content-Length: ");
    size_t length = cl < header_end ? std::strtoul(buf_.c_str() + cl + 16, nullptr, 10) : 0;
    while (buf_.size() < header_end + 4 + length) {
      if (!Fill()) return -1;
    }
    return status;
  }

 private:
  bool Fill() {
    char chunk[65536];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buf_;
};

struct Stats {
  double per_second = 0, p50_ms = 0, p99_ms = 0;
  size_t requests = 0, errors = 0;
};

// Runs `clients` threads for `seconds`, each issuing targets from `make_target`.
template <typename F>
Stats Drive(int port, int clients, double seconds, F make_target) {
  std::vector<std::vector<double>> lat(clients);
  std::atomic<size_t> errors{0};
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Conn conn(port);
      std::mt19937 rng(c + 1);
      while (Clock::now() < deadline) {
        std::string target = make_target(rng);
        auto t0 = Clock::now();
        int status = conn.Get(target);
        lat[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (status != 200) errors++;
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Stats s;
  s.requests = all.size();
  s.errors = errors;
  s.per_second = all.size() / elapsed;
  if (!all.empty()) {
    s.p50_ms = all[all.size() / 2];
    s.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return s;
}

std::vector<std::string> Ids(EhrService& service, const std::string& query) {
  EhrRequest req{"GET",
                 query.substr(0, query.find('?')),
                 query.substr(query.find('?') + 1),
                 {},
                 "",
                 "http://bench/fhir"};
  auto body = nlohmann::json::parse(service.Handle(req).body);
  std::vector<std::string> ids;
  for (const auto& e : body.value("entry", nlohmann::json::array()))
    ids.push_back(e["resource"]["id"]);
  return ids;
}

void Print(const char* what, const Stats& s) {
  std::printf("%-9s %9.0f req/s  p50 %6.3f ms  p99 %6.3f ms  (%zu requests, %zu errors)\n", what,
              s.per_second, s.p50_ms, s.p99_ms, s.requests, s.errors);
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 4;
  double seconds = 3;
  std::string data = std::string(WARD_BENCH_SOURCE_DIR) + "/../shared/data";
  if (const char* d = std::getenv("WARD_DATA_DIR")) data = d;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--clients") clients = std::atoi(argv[i + 1]);
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    if (flag == "--data") data = argv[i + 1];
  }
  auto validator = ResourceValidator::LoadFromFile(std::string(WARD_BENCH_SOURCE_DIR) +
                                                   "/share/fhir/fhir.r4.schema.json");
  if (!validator.ok()) {
    std::fprintf(stderr, "ward-bench-ehr: %s\n", validator.status().ToString().c_str());
    return 1;
  }
  // Bundle load time: three fresh stores, best and worst.
  std::vector<double> loads;
  std::unique_ptr<Store> store;
  std::unique_ptr<EhrService> service;
  for (int round = 0; round < 3; ++round) {
    service.reset();
    store = Store::Open(StoreOptions{}).value();
    service = std::make_unique<EhrService>(store.get(), validator->get());
    auto stats = LoadPaths(service.get(), {data + "/synthea"}, "http://bench/fhir");
    if (!stats.ok()) {
      std::fprintf(stderr, "ward-bench-ehr: %s\n", stats.status().ToString().c_str());
      return 1;
    }
    loads.push_back(stats->micros / 1000.0);
  }
  std::sort(loads.begin(), loads.end());
  std::printf("load      Synthea (9 bundles, 1194 resources): best %.0f ms, worst %.0f ms\n",
              loads.front(), loads.back());

  EhrHttpServer server(service.get());
  auto port = server.Bind("127.0.0.1", 0);
  if (!port.ok()) return 1;
  std::thread serving([&] { (void)server.Serve(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto observations = Ids(*service, "/Observation?_count=1000");
  auto patients = Ids(*service, "/Patient?_count=100");
  if (observations.empty() || patients.empty()) return 1;
  std::printf("clients   %d concurrent keep-alive connections, %.0f s per phase\n", clients,
              seconds);
  Print("reads", Drive(*port, clients, seconds, [&](std::mt19937& rng) {
          return "/fhir/Observation/" + observations[rng() % observations.size()];
        }));
  const std::vector<std::string> searches = {
      "/fhir/Observation?patient=%s&code=http://loinc.org|4548-4&_sort=-date&_count=1",
      "/fhir/Condition?patient=%s&clinical-status=active",
      "/fhir/Encounter?patient=%s&date=ge2015-01-01&_count=5",
      "/fhir/Patient?family=%c",
      "/fhir/MedicationRequest?patient=Patient/%s&status=active",
  };
  Print("searches", Drive(*port, clients, seconds, [&](std::mt19937& rng) {
          std::string t = searches[rng() % searches.size()];
          const std::string& p = patients[rng() % patients.size()];
          if (size_t at = t.find("%s"); at != std::string::npos) t.replace(at, 2, p);
          if (size_t at = t.find("%c"); at != std::string::npos)
            t.replace(at, 2, std::string(1, "WGCHLDM"[rng() % 7]));
          return t;
        }));
  server.Stop();
  serving.join();
  return 0;
}
