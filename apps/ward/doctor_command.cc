// `ward doctor [--json]`: which sandbox layers this host provides, and why not;
// and whether each configured connector can be built here (its settings, the
// variables it reads, an SQL database that opens) — without calling any system.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "net/http_client.h"
#include "runtime/config.h"
#include "runtime/connectors.h"
#include "sandbox/guest.h"
#include "sandbox/sandbox.h"
#include "util/clock.h"

namespace ward {
namespace {

struct DoctorFlags {
  std::string home;
  bool json = false;
};

struct ConnectorCheck {
  std::string name, type, where;
  std::string problem;  // "" when the connector can be used
};

std::vector<ConnectorCheck> CheckConnectors(const WardConfig& config) {
  auto http = NewHttpClient();
  std::vector<ConnectorCheck> out;
  for (const auto& c : config.connectors) {
    ConnectorCheck check{c.name, c.type, DescribeConnector(c), ""};
    if (!(c.type == "fhir" && c.base_url.empty())) {
      auto built = MakeConnector(c, ConnectorDeps{http.get(), SystemClock::Default()});
      if (!built.ok()) check.problem = built.status().message();
    }
    out.push_back(std::move(check));
  }
  return out;
}

void PrintText(const SandboxReport& report, uint32_t required,
               const std::vector<ConnectorCheck>& connectors) {
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
  if (!connectors.empty()) printf("\nconnectors ([connectors.NAME] in ward.toml):\n");
  for (const auto& c : connectors)
    printf("  %-14s %-5s %s  %s\n", c.name.c_str(), c.type.c_str(), c.where.c_str(),
           c.problem.empty() ? "ok" : ("CANNOT BE USED: " + c.problem).c_str());
}

void PrintJson(const SandboxReport& report, uint32_t required,
               const std::vector<ConnectorCheck>& connectors) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& s : report.layers) {
    layers.push_back({{"name", LayerName(s.layer)},
                      {"active", s.active},
                      {"required", (required & s.layer) != 0},
                      {"detail", s.detail}});
  }
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : connectors)
    checks.push_back({{"name", c.name},
                      {"type", c.type},
                      {"where", c.where},
                      {"ok", c.problem.empty()},
                      {"problem", c.problem}});
  std::string missing = report.MissingRequired(required);
  nlohmann::json out = {{"layers", layers},
                        {"required", LayerNames(required)},
                        {"ready", missing.empty()},
                        {"missing", missing},
                        {"connectors", checks}};
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
  std::vector<ConnectorCheck> connectors = CheckConnectors(*config);
  bool connectors_ok = true;
  for (const auto& c : connectors) connectors_ok = connectors_ok && c.problem.empty();
  if (f.json)
    PrintJson(report, options.required, connectors);
  else
    PrintText(report, options.required, connectors);
  bool ready = report.MissingRequired(options.required).empty() && connectors_ok;
  return ready ? kExitOk : kExitFailed;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<DoctorFlags>();
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check which sandbox layers this host provides and whether each configured connector can "
      "be used (exit 1 if a required layer is missing or a connector cannot be built)");
  cmd->add_flag("--json", flags->json, "One JSON object instead of a table");
  cmd->add_option("--home", flags->home, "ward's home directory (default $WARD_HOME or ~/.ward)");
  cmd->callback([=] { *exit_code = Doctor(*flags); });
}

}  // namespace ward
