// ward-bench-server: `ward serve` under load, through its API, against the real binary.
//
//   ward-bench-server [VIEWERS=200] [SESSIONS=100]
//
// One long scripted session is watched by VIEWERS concurrent SSE streams while
// SESSIONS more scripted sessions are started at once through POST /sessions, and
// a few clients keep calling the read API. Reports the API latency percentiles
// (p50/p99/max), the start latency, events per viewer, and any viewer that missed
// or repeated an event (it must be none), and sessions that did not succeed or
// whose guest died. Exits 1 when a viewer lost an event, a session failed or lost
// its guest, or the API p99 is 100 ms or more.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench_util.h"
#include "net/http_client.h"
#include "net/sse_parser.h"

namespace ward::bench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Ward() { return std::string(WARD_BENCH_BUILD_DIR) + "/ward"; }

int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteTranscript(const std::string& path, int steps, const std::string& work) {
  std::ofstream out(path);
  for (int i = 0; i < steps; ++i)
    out << json{{"content", "Step " + std::to_string(i) + ".\n```python\n" + work +
                                "\nprint('step " + std::to_string(i) + "')\n```"}}
               .dump()
        << "\n";
  out << json{{"content", "```python\nfinish('done')\n```"}}.dump() << "\n";
}

struct Served {
  fs::path home;
  pid_t pid = -1;
  std::string url, token;
};

bool StartServer(Served* s) {
  s->home = fs::temp_directory_path() / ("ward_server_bench_" + std::to_string(getpid()));
  fs::create_directories(s->home);
  std::ofstream(s->home / "ward.toml") << "[server]\nthreads = 640\nmax_sessions = 160\n";
  std::string env = "HOME=" + s->home.string() + " WARD_HOME=" + s->home.string() + " ";
  if (Sh("echo bench-password-1 | " + env + Ward() + " user add bench --role admin >/dev/null") !=
      0)
    return false;
  std::string tok = (s->home / "token").string();
  if (Sh(env + Ward() + " token create --user bench > " + tok + " 2>/dev/null") != 0) return false;
  s->token = ReadAll(tok);
  while (!s->token.empty() && s->token.back() == '\n') s->token.pop_back();
  std::string out = (s->home / "serve.out").string();
  std::string cmd = env + "exec " + Ward() + " serve --port 0 > " + out + " 2>" +
                    (s->home / "serve.err").string();
  s->pid = fork();
  if (s->pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 600 && s->url.empty(); ++i) {
    std::string text = ReadAll(out);
    size_t at = text.find("http://");
    if (at != std::string::npos && text.find('\n', at) != std::string::npos)
      s->url = text.substr(at, text.find('\n', at) - at);
    else
      usleep(100'000);
  }
  return !s->url.empty();
}

Result<HttpResponse> Call(HttpClient* http, const Served& s, const std::string& method,
                          const std::string& path, const std::string& body = "") {
  HttpRequest req;
  req.method = method;
  req.url = s.url + path;
  req.body = body;
  req.headers = {{"Authorization", "Bearer " + s.token}};
  return http->Send(req);
}

std::string StartSession(HttpClient* http, const Served& s, const std::string& transcript,
                         double* micros) {
  auto t0 = std::chrono::steady_clock::now();
  auto res = Call(
      http, s, "POST", "/api/v1/sessions",
      json{
          {"task", "bench"}, {"model", "scripted:" + transcript}, {"options", {{"max_steps", 200}}}}
          .dump());
  *micros =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  if (!res.ok() || res->status != 201) {
    std::fprintf(stderr, "start failed: %s %s\n",
                 res.ok() ? std::to_string(res->status).c_str() : "",
                 res.ok() ? res->body.c_str() : res.status().ToString().c_str());
    return "";
  }
  return json::parse(res->body)["id"];
}

// Streams the session to its end; returns the seqs seen.
std::vector<int64_t> View(const Served& s, const std::string& session) {
  auto http = NewHttpClient();
  HttpRequest req;
  req.url = s.url + "/api/v1/sessions/" + session + "/stream";
  req.headers = {{"Authorization", "Bearer " + s.token}};
  req.read_timeout_ms = 120'000;
  SseParser parser;
  std::vector<int64_t> seqs;
  req.on_body_chunk = [&](std::string_view chunk) {
    for (const SseEvent& e : parser.Feed(chunk)) seqs.push_back(std::stoll(e.id));
    return true;
  };
  auto res = http->Send(req);
  if (!res.ok()) std::fprintf(stderr, "viewer: %s\n", res.status().ToString().c_str());
  return seqs;
}

}  // namespace

int RunServerBench(int viewers, int sessions) {
  Served s;
  if (!StartServer(&s)) {
    std::fprintf(stderr, "could not start ward serve (see %s)\n", s.home.c_str());
    return 1;
  }
  std::printf("ward serve at %s; %d SSE viewers on one session + %d concurrent sessions\n",
              s.url.c_str(), viewers, sessions);
  std::string watched_t = (s.home / "watched.jsonl").string();
  std::string short_t = (s.home / "short.jsonl").string();
  WriteTranscript(watched_t, 60, "import time\ntime.sleep(0.05)");
  WriteTranscript(short_t, 3, "x = sum(range(1000))");
  auto http = NewHttpClient();
  double start_us = 0;
  std::string watched = StartSession(http.get(), s, watched_t, &start_us);
  if (watched.empty()) return 1;

  std::vector<std::vector<int64_t>> seen(viewers);
  std::vector<std::thread> threads;
  for (int i = 0; i < viewers; ++i) threads.emplace_back([&, i] { seen[i] = View(s, watched); });

  std::atomic<bool> done{false};
  std::mutex mu;
  std::vector<double> api_us, start_lat;
  std::vector<std::thread> pollers;
  for (int i = 0; i < 4; ++i) {
    pollers.emplace_back([&, i] {
      auto h = NewHttpClient();
      const char* paths[] = {"/api/v1/sessions?limit=20", "/api/v1/approvals?state=pending",
                             "/healthz", "/api/v1/me"};
      std::vector<std::string> all = {paths[0], paths[1], paths[2], paths[3],
                                      "/api/v1/sessions/" + watched};
      for (int n = 0; !done; ++n) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = Call(h.get(), s, "GET", all[(n + i) % all.size()]);
        double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                        .count();
        std::lock_guard<std::mutex> lock(mu);
        if (r.ok() && r->status == 200) api_us.push_back(us);
        usleep(20'000);
      }
    });
  }
  std::vector<std::string> ids(sessions);
  std::vector<std::thread> starters;
  auto t_start = std::chrono::steady_clock::now();
  for (int i = 0; i < sessions; ++i) {
    starters.emplace_back([&, i] {
      auto h = NewHttpClient();
      double us = 0;
      ids[i] = StartSession(h.get(), s, short_t, &us);
      std::lock_guard<std::mutex> lock(mu);
      start_lat.push_back(us);
    });
  }
  for (auto& t : starters) t.join();
  for (auto& t : threads) t.join();
  // Wait for the short sessions to end too.
  for (int tries = 0; tries < 1200; ++tries) {
    auto r = Call(http.get(), s, "GET", "/api/v1/sessions?limit=1000");
    int running = 0;
    if (r.ok())
      for (const auto& x : json::parse(r->body)) running += x["status"] == "running";
    if (running == 0) break;
    usleep(100'000);
  }
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  done = true;
  for (auto& t : pollers) t.join();

  auto events = Call(http.get(), s, "GET", "/api/v1/sessions/" + watched + "/events?limit=10000");
  size_t expected = events.ok() ? json::parse(events->body).size() : 0;
  int bad = 0;
  for (const auto& v : seen) {
    bool ok = v.size() == expected;
    for (size_t i = 0; ok && i < v.size(); ++i) ok = v[i] == static_cast<int64_t>(i + 1);
    bad += ok ? 0 : 1;
  }
  int succeeded = 0, guest_failures = 0;
  auto list = Call(http.get(), s, "GET", "/api/v1/sessions?limit=1000");
  if (list.ok())
    for (const auto& x : json::parse(list->body)) {
      std::string id = x["id"];
      auto ev = Call(http.get(), s, "GET", "/api/v1/sessions/" + id + "/events?limit=10000");
      if (ev.ok())
        for (const auto& e : json::parse(ev->body))
          guest_failures += e["type"] == "observation" && e["kind"] == "guest_failed";
      if (x["status"] == "succeeded") {
        ++succeeded;
      } else {
        std::printf("session %s %s: %s\n", x["id"].get<std::string>().c_str(),
                    x["status"].get<std::string>().c_str(), x["reason"].get<std::string>().c_str());
      }
    }
  std::printf(
      "watched session: %zu events; viewers with every event exactly once, in order: %d/%d\n",
      expected, viewers - bad, viewers);
  std::printf("sessions succeeded: %d/%d (all done in %.1f s); guest processes that died: %d\n",
              succeeded, sessions + 1, wall_s, guest_failures);
  std::printf("POST /sessions latency: %s\n", Summary(start_lat).c_str());
  std::vector<double> api_copy = api_us;
  double p99_ms = Percentile(api_copy, 99) / 1000.0;
  double max_ms = Percentile(api_copy, 100) / 1000.0;
  std::printf("API read latency under load: %s · max %.2f ms\n", Summary(api_us).c_str(), max_ms);
  kill(s.pid, SIGTERM);
  int st = 0;
  waitpid(s.pid, &st, 0);
  std::error_code ec;
  fs::remove_all(s.home, ec);
  bool pass = bad == 0 && expected > 0 && p99_ms < 100.0 && succeeded == sessions + 1 &&
              guest_failures == 0;
  std::printf("%s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}

}  // namespace ward::bench

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  int viewers = argc > 1 ? std::atoi(argv[1]) : 200;
  int sessions = argc > 2 ? std::atoi(argv[2]) : 100;
  return ward::bench::RunServerBench(viewers, sessions);
}
