// ward: the command-line multitool. The only place with process-wide state and
// signal handling; every subcommand delegates to a module.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "ehr/ehr_cli.h"

int main(int argc, char** argv) {
  CLI::App app{"ward — a governed coding agent for enterprise APIs"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print ward's version");
  version->callback([] { std::printf("ward %s\n", WARD_VERSION); });
  int exit_code = 0;
  AddEhrCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
