// `ward policy check [FILE]`: loads a policy and checks every rule's examples.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "gate/policy/policy.h"
#include "runtime/config.h"

namespace ward {
namespace {

// FILE, or the ward.toml in the home directory; "" (and no error) when that has none.
Result<std::string> PolicyPath(const std::string& file, const std::string& home) {
  if (!file.empty()) return file;
  WARD_ASSIGN_OR_RETURN(WardConfig config, LoadConfig(home));
  std::string path = config.home + "/ward.toml";
  std::error_code ec;
  return std::filesystem::exists(path, ec) ? path : std::string();
}

int Check(const std::string& file, const std::string& home) {
  auto path = PolicyPath(file, home);
  if (!path.ok()) return PrintError(path.status().message()), kExitUsage;
  if (path->empty()) {
    printf("no ward.toml: the built-in default applies (reads allowed, writes ask)\n");
    printf("policy OK: 0 rules, 0 examples\n");
    return kExitOk;
  }
  auto policy = Policy::FromFile(*path);
  if (!policy.ok()) return PrintError(policy.status().message()), kExitUsage;
  std::vector<std::string> failures = policy->CheckExamples();
  for (const auto& f : failures) printf("FAIL %s\n", f.c_str());
  if (!failures.empty()) {
    printf("policy FAILED: %zu of %zu examples fail in %s\n", failures.size(),
           policy->example_count(), path->c_str());
    return kExitFailed;
  }
  printf("policy OK: %zu rules, %zu examples\n", policy->rule_count(), policy->example_count());
  return kExitOk;
}

}  // namespace

void AddPolicyCommand(CLI::App& app, int* exit_code) {
  auto* policy = app.add_subcommand("policy", "The policy: which calls are allowed, asked, denied");
  policy->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto home = std::make_shared<std::string>();
  auto* check = policy->add_subcommand(
      "check",
      "Load a policy (FILE, or [[policy.rule]] in ward.toml) and check every rule's examples; "
      "exit 1 naming each failing rule, 2 when the file cannot be read or parsed");
  check->add_option("FILE", *file, "A policy file ([[policy.rule]] tables)");
  check->add_option("--home", *home, "ward's home directory");
  check->callback([=] { *exit_code = Check(*file, *home); });
}

}  // namespace ward
