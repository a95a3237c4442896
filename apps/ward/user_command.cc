// `ward user add|list` and `ward token create|revoke|list`: who may use `ward serve`.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "runtime/config.h"
#include "server/auth.h"
#include "server/password.h"
#include "store/server_store.h"
#include "util/clock.h"

namespace ward {

Result<std::unique_ptr<ServerStore>> OpenUsers(const std::string& home) {
  WARD_ASSIGN_OR_RETURN(WardConfig config, LoadConfig(home));
  std::string db = config.home + "/ward.db";
  WARD_RETURN_IF_ERROR(OpenSqliteStore(db).status());  // creates the shared tables
  return OpenSqliteServerStore(db);
}

std::string ReadPassword(const std::string& prompt) {
  bool tty = isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt.c_str());
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

namespace {

int AddUser(const std::string& home, const std::string& name, const std::string& role_name,
            bool replace) {
  auto role = server::ParseRole(role_name);
  if (!role.ok()) return PrintError(role.status().message()), kExitUsage;
  auto users = OpenUsers(home);
  if (!users.ok()) return PrintError(users.status().message()), kExitUsage;
  std::string password = ReadPassword("password for " + name + ": ");
  if (password.size() < 8)
    return PrintError("the password needs at least 8 characters"), kExitUsage;
  auto hash = server::HashPassword(password);
  if (!hash.ok()) return PrintError(hash.status().message()), kExitFailed;
  int64_t now = SystemClock::Default()->NowMillis();
  Status s = (*users)->PutUser({name, server::RoleName(*role), *hash, now, now}, replace);
  if (!s.ok()) return PrintError(s.message() + (replace ? "" : " (use --replace)")), kExitFailed;
  std::printf("user %s (%s) %s\n", name.c_str(), server::RoleName(*role),
              replace ? "saved" : "added");
  return kExitOk;
}

int ListUsers(const std::string& home) {
  auto users = OpenUsers(home);
  if (!users.ok()) return PrintError(users.status().message()), kExitUsage;
  auto list = (*users)->ListUsers();
  if (!list.ok()) return PrintError(list.status().message()), kExitFailed;
  for (const auto& u : *list) std::printf("%-24s %s\n", u.name.c_str(), u.role.c_str());
  return kExitOk;
}

int CreateToken(const std::string& home, const std::string& user, const std::string& label) {
  auto users = OpenUsers(home);
  if (!users.ok()) return PrintError(users.status().message()), kExitUsage;
  auto token = server::CreateApiToken(users->get(), SystemClock::Default(), user, label);
  if (!token.ok()) return PrintError(token.status().message()), kExitFailed;
  std::fprintf(stderr, "token %s for %s — shown once; send it as \"Authorization: Bearer …\"\n",
               token->record.id.c_str(), user.c_str());
  std::printf("%s\n", token->secret.c_str());
  return kExitOk;
}

int RevokeToken(const std::string& home, const std::string& id) {
  auto users = OpenUsers(home);
  if (!users.ok()) return PrintError(users.status().message()), kExitUsage;
  Status s = (*users)->RevokeCredential(id, SystemClock::Default()->NowMillis());
  if (!s.ok()) return PrintError(s.message()), kExitFailed;
  std::printf("revoked %s\n", id.c_str());
  return kExitOk;
}

int ListTokens(const std::string& home, const std::string& user) {
  auto users = OpenUsers(home);
  if (!users.ok()) return PrintError(users.status().message()), kExitUsage;
  auto list = (*users)->ListCredentials(user);
  if (!list.ok()) return PrintError(list.status().message()), kExitFailed;
  for (const auto& c : *list) {
    if (c.kind != "api") continue;
    std::printf("%-20s %-16s %-8s %s %s\n", c.id.c_str(), c.user.c_str(),
                c.revoked_ms ? "revoked" : "active", FormatIso8601(c.created_ms).c_str(),
                c.label.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddUserCommands(CLI::App& app, int* exit_code) {
  auto home = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>("viewer");
  auto label = std::make_shared<std::string>();
  auto replace = std::make_shared<bool>(false);

  auto* user = app.add_subcommand("user", "Manage the people who may use `ward serve`");
  user->require_subcommand(1);
  auto* add = user->add_subcommand(
      "add", "Add a user; the password is prompted for, or read as one line from stdin");
  add->add_option("name", *name, "User name")->required();
  add->add_option("--role", *role, "viewer, approver or admin (default viewer)")
      ->check(CLI::IsMember({"viewer", "approver", "admin"}));
  add->add_flag("--replace", *replace, "Overwrite an existing user's role and password");
  add->add_option("--home", *home, "ward's home directory");
  add->callback([=] { *exit_code = AddUser(*home, *name, *role, *replace); });
  auto* list = user->add_subcommand("list", "Users and their roles");
  list->add_option("--home", *home, "ward's home directory");
  list->callback([=] { *exit_code = ListUsers(*home); });

  auto* token = app.add_subcommand("token", "Manage API tokens for `ward serve`");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "Create an API token (printed once)");
  create->add_option("--user", *name, "Whose token it is")->required();
  create->add_option("--label", *label, "What it is for");
  create->add_option("--home", *home, "ward's home directory");
  create->callback([=] { *exit_code = CreateToken(*home, *name, *label); });
  auto* revoke = token->add_subcommand("revoke", "Revoke a token by its id (t_…)");
  revoke->add_option("id", *name, "Token id")->required();
  revoke->add_option("--home", *home, "ward's home directory");
  revoke->callback([=] { *exit_code = RevokeToken(*home, *name); });
  auto* tlist = token->add_subcommand("list", "API tokens (ids, never the secrets)");
  tlist->add_option("--user", *name, "Only this user's");
  tlist->add_option("--home", *home, "ward's home directory");
  tlist->callback([=] { *exit_code = ListTokens(*home, *name); });
}

}  // namespace ward
