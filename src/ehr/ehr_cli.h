// `ward ehr serve` and `ward ehr load`: the command-line face of the embedded EHR.
//
//   ward ehr serve [--port 8080] [--host 127.0.0.1] [--db PATH] [--load FILE_OR_DIR ...]
//   ward ehr load --db PATH FILE_OR_DIR...
//
// `serve` prints "ward ehr: serving http://HOST:PORT/fhir" as the first line on
// stdout once it accepts connections (with the real port when --port 0), and
// stops cleanly on SIGINT or SIGTERM (it waits for them with sigwait, blocking
// them in the calling thread and the threads it starts). Without --db the data
// lives in a temporary file removed on exit. Runtime failures print one line
// "ward ehr: <reason>" on stderr and set *exit_code to 1; usage errors are
// CLI11 parse errors (the caller maps them to exit code 2).
#pragma once

#include <CLI/CLI.hpp>

namespace ward::ehr {

void AddEhrCommands(CLI::App& app, int* exit_code);

}  // namespace ward::ehr

using ward::ehr::AddEhrCommands;
