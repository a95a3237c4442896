// `ward serve`: the remote-management server (REST + SSE API and the web UI).
#include <pthread.h>
#include <signal.h>

#include <cstdio>

#include "commands.h"
#include "runtime/config.h"
#include "server/ward_server.h"

namespace ward {
namespace {

struct ServeFlags {
  std::string home, host, tls_cert, tls_key, web_dir, public_url;
  int port = -1;
  bool tls_self_signed = false;
  int64_t heartbeat_seconds = 15;
};

int Serve(const ServeFlags& f) {
  // Block SIGINT/SIGTERM here so every thread started below inherits the mask and
  // only sigtimedwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto config = LoadConfig(f.home);
  if (!config.ok()) return PrintError(config.status().message()), kExitUsage;
  ServerConfig& s = config->server;
  if (!f.host.empty()) s.host = f.host;
  if (f.port >= 0) s.port = f.port;
  if (!f.tls_cert.empty()) s.tls_cert = f.tls_cert;
  if (!f.tls_key.empty()) s.tls_key = f.tls_key;
  if (f.tls_self_signed) s.tls_self_signed = true;
  if (!f.public_url.empty()) s.public_url = f.public_url;
  server::ServeOptions options{*config, f.web_dir, f.heartbeat_seconds * 1000};
  auto server = server::WardServer::Start(options);
  if (!server.ok()) return PrintError(server.status().message()), kExitUsage;
  std::printf("ward serve: listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);
  if (!(*server)->tls_fingerprint().empty())
    std::fprintf(stderr, "ward serve: TLS certificate SHA-256 %s\n",
                 (*server)->tls_fingerprint().c_str());
  if ((*server)->web_dir().empty())
    std::fprintf(stderr, "ward serve: the web UI is not installed; serving the API only\n");
  timespec tick{0, 200'000'000};
  while (sigtimedwait(&stop, nullptr, &tick) < 0) {
  }
  std::fprintf(stderr, "ward serve: stopping\n");
  (*server)->Stop();
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve the remote-management API and web UI (sessions, approvals, audit)");
  cmd->add_option("--home", f->home, "ward's home directory (default $WARD_HOME or ~/.ward)");
  cmd->add_option("--host", f->host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", f->port, "TCP port (default 7070; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--tls-cert", f->tls_cert, "PEM certificate for HTTPS");
  cmd->add_option("--tls-key", f->tls_key, "PEM private key for HTTPS");
  cmd->add_flag("--tls-self-signed", f->tls_self_signed,
                "HTTPS with a self-signed certificate created once under $WARD_HOME/tls");
  cmd->add_option("--public-url", f->public_url, "Base URL for links in notifications");
  cmd->add_option("--web-dir", f->web_dir, "Serve the web UI from this directory");
  cmd->add_option("--heartbeat", f->heartbeat_seconds,
                  "Seconds between keep-alive comments on idle event streams (default 15)")
      ->check(CLI::Range(1, 300));
  cmd->callback([f, exit_code] { *exit_code = Serve(*f); });
}

}  // namespace ward
