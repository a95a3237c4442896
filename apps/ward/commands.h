// The CLI's subcommands. Each Add*Command registers its subcommand on `app`; when
// it runs, it stores the process exit code in *exit_code (0 success, 1 failure,
// 2 usage or configuration error, 130 interrupted).
#pragma once

#include <CLI/CLI.hpp>

#include "store/server_store.h"
#include "util/cancel.h"

namespace ward {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

// `ward run` and `ward exec --json`. `cancel` fires on Ctrl-C.
void AddRunCommands(CLI::App& app, int* exit_code, CancelToken* cancel);
// `ward sessions list|show`.
void AddSessionsCommand(CLI::App& app, int* exit_code);
// `ward audit verify|checkpoint|key`.
void AddAuditCommand(CLI::App& app, int* exit_code);
// `ward doctor [--json]`: the sandbox layers this host provides.
void AddDoctorCommand(CLI::App& app, int* exit_code);

// `ward approvals list`, `ward approve`, `ward deny`.
void AddApprovalCommands(CLI::App& app, int* exit_code);
// `ward rollback`, `ward changeset show|apply`.
void AddJournalCommands(CLI::App& app, int* exit_code);
// `ward policy check [FILE]`.
void AddPolicyCommand(CLI::App& app, int* exit_code);
// `ward serve`.
void AddServeCommand(CLI::App& app, int* exit_code);
// `ward user add|list`, `ward token create|revoke|list`.
void AddUserCommands(CLI::App& app, int* exit_code);
// `ward purge --before DATE`: retention purge (audit/purge.h).
void AddPurgeCommand(CLI::App& app, int* exit_code);

// The users and credentials of `ward serve` in <home>/ward.db.
Result<std::unique_ptr<ServerStore>> OpenUsers(const std::string& home);
// Reads a password: prompted without echo on a terminal, else one line of stdin.
std::string ReadPassword(const std::string& prompt);

// One-line error to stderr: "ward: <message>".
void PrintError(const std::string& message);

}  // namespace ward
