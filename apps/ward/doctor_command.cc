// `ward doctor [--json]`: which sandbox layers this host provides, and why not.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "runtime/config.h"
#include "sandbox/guest.h"
#include "sandbox/sandbox.h"

namespace ward {
namespace {

struct DoctorFlags {
  std::string home;
  bool json = false;
};

void PrintText(const SandboxReport& report, uint32_t required) {
  printf("sandbox layers (a guest is isolated by every layer marked on):\n");
  for (const auto& s : report.layers) {
    bool req = required & s.layer;
    printf("  %-14s %-4s%s  %s\n", LayerName(s.layer), s.active ? "on" : "OFF",
           req ? " (required)" : "           ", s.detail.c_str());
  }
  std::string missing = report.MissingRequired(required);
  if (missing.empty())
    printf("every required layer is available: `ward run` starts sandboxed sessions.\n");
  else
    printf("a required layer is missing, so `ward run` refuses to start sessions: %s\n",
           missing.c_str());
}

void PrintJson(const SandboxReport& report, uint32_t required) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& s : report.layers) {
    layers.push_back({{"name", LayerName(s.layer)},
                      {"active", s.active},
                      {"required", (required & s.layer) != 0},
                      {"detail", s.detail}});
  }
  std::string missing = report.MissingRequired(required);
  nlohmann::json out = {{"layers", layers},
                        {"required", LayerNames(required)},
                        {"ready", missing.empty()},
                        {"missing", missing}};
  printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

int Doctor(const DoctorFlags& f) {
  auto config = LoadConfig(f.home);
  if (!config.ok()) {
    PrintError(config.status().message());
    return kExitUsage;
  }
  SandboxOptions options = config->sandbox;
  auto guest_dir = FindGuestDir();
  if (guest_dir.ok()) options.guest_dir = *guest_dir;
  SandboxReport report = ProbeSandbox(options);
  if (f.json)
    PrintJson(report, options.required);
  else
    PrintText(report, options.required);
  return report.MissingRequired(options.required).empty() ? kExitOk : kExitFailed;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<DoctorFlags>();
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check which sandbox layers this host provides (exit 1 if a required one is missing)");
  cmd->add_flag("--json", flags->json, "One JSON object instead of a table");
  cmd->add_option("--home", flags->home, "ward's home directory (default $WARD_HOME or ~/.ward)");
  cmd->callback([=] { *exit_code = Doctor(*flags); });
}

}  // namespace ward
