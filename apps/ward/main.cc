// ward: the command-line multitool. The only place with process-wide state and
// signal handling; every subcommand delegates to a module.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"
#include "ehr/ehr_cli.h"

namespace {

ward::CancelToken g_cancel;
volatile sig_atomic_t g_interrupts = 0;

// First Ctrl-C: cancel the session cleanly (it is recorded as cancelled).
// Second: leave at once.
void OnInterrupt(int) {
  g_interrupts = g_interrupts + 1;
  if (g_interrupts > 1) _exit(ward::kExitInterrupted);
  g_cancel.Cancel();
}

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  InstallSignalHandlers();
  CLI::App app{
      "ward — a governed coding agent for enterprise APIs.\n"
      "A model writes Python; every call it makes to the outside passes ward's gate, "
      "and everything is recorded in a tamper-evident audit log."};
  app.require_subcommand(1);
  int exit_code = ward::kExitOk;
  ward::AddRunCommands(app, &exit_code, &g_cancel);
  ward::AddSessionsCommand(app, &exit_code);
  ward::AddAuditCommand(app, &exit_code);
  ward::AddApprovalCommands(app, &exit_code);
  ward::AddJournalCommands(app, &exit_code);
  ward::AddPolicyCommand(app, &exit_code);
  ward::AddServeCommand(app, &exit_code);
  ward::AddUserCommands(app, &exit_code);
  ward::AddPurgeCommand(app, &exit_code);
  ward::ehr::AddEhrCommands(app, &exit_code);
  ward::AddDoctorCommand(app, &exit_code);
  auto* version = app.add_subcommand("version", "Print ward's version");
  version->callback([] { std::printf("ward %s\n", WARD_VERSION); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? ward::kExitOk : ward::kExitUsage;
  }
  return exit_code;
}
