// ward-bench: runs one named benchmark and prints its figures.
//   ward-bench guest [N]   warm round trip (N samples), start to first action, memory
//   ward-bench sandbox [N] sandbox cold start, round trip, memory, N concurrent sessions
//   ward-bench gate [N]       gate overhead per binding call (no upstream I/O)
//   ward-bench validate [N]   code-action validation round trip (N samples)
//   ward-bench connectors [N] the gate's overhead on real connector calls (FHIR, SQL)
//   ward-bench checkpoint [N] one signed audit checkpoint: sign + store + file append
//   ward-bench privacy [N]    pseudonymisation of one observation bound for the model
#include <cstdio>
#include <cstring>

namespace ward::bench {
int RunGuestBench(int argc, char** argv);
int RunSandboxBench(int argc, char** argv);
int RunValidateBench(int argc, char** argv);
int RunGateBench(int argc, char** argv);
int RunConnectorBench(int argc, char** argv);
int RunCheckpointBench(int argc, char** argv);
int RunPrivacyBench(int argc, char** argv);
}  // namespace ward::bench

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "guest") == 0)
    return ward::bench::RunGuestBench(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "sandbox") == 0)
    return ward::bench::RunSandboxBench(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "gate") == 0)
    return ward::bench::RunGateBench(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "connectors") == 0)
    return ward::bench::RunConnectorBench(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "checkpoint") == 0)
    return ward::bench::RunCheckpointBench(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "privacy") == 0)
    return ward::bench::RunPrivacyBench(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "validate") == 0)
    return ward::bench::RunValidateBench(argc - 2, argv + 2);
  fprintf(stderr,
          "usage: ward-bench BENCHMARK [ARGS]\n"
          "  guest [N]   guest round trip p50/p99 (N samples, default 2000), session start to\n"
          "              first action, memory per live session (PSS)\n"
          "  sandbox [N]  sandbox cold start p50/p99 (zygote and plain), warm round trip, memory\n"
          "              per idle session, N concurrent sessions (default 1000)\n"
          "  validate [N] code-action validation p50/p99 (N samples, default 2000)\n"
          "  gate [N]     gate overhead per binding call p50/p99 (N calls, default 5000)\n"
          "  connectors [N]  the gate's overhead on real calls: fhir.read and fhir.create\n"
          "              against the embedded EHR, an SQL row insert, an HTTP POST to a\n"
          "              loopback API (N calls, default 2000)\n"
          "  checkpoint [N]  one signed audit checkpoint: head, Ed25519 signature, store row,\n"
          "              file append with fsync p50/p99 (N checkpoints, default 500)\n"
          "  privacy [N]     pseudonymising one ~6 KB observation for the model, with every\n"
          "              Synthea patient learned; re-identifying code (N calls, default 2000)\n");
  return 2;
}
