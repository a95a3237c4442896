// Helpers shared by the guest benchmarks (`ward-bench guest` and `ward-bench sandbox`):
// the spec of a minimal session, a call handler that answers nothing, and the memory
// a live idle session costs.
#pragma once

#include <string>

#include "sandbox/guest.h"

namespace ward::bench {

// A guest with only the finish binding, working in `workdir`.
GuestSpec MinimalSpec(const std::string& guest_dir, const std::string& workdir);

// Answers every binding call with null: the benchmarks' code makes none.
GuestCallHandler NoCalls();

// Launches `n` guests, runs one small action in each, and prints their PSS plus the
// host's growth per session, labelled `label` ("20 live", "100 live, zygote-forked").
// Stops them again before returning.
void MeasureMemoryPerSession(GuestLauncher& launcher, const GuestSpec& spec, int n,
                             const std::string& label);

}  // namespace ward::bench
