// The escape suite's attack programs: Python run as guest code through the real
// sandboxing launcher. Placeholders ({PORT}, {UDP}, {ADDR}, {SECRET}, {STORE},
// {OTHER}, {VICTIM}, {ESCAPE_DIR}, {MARKER}) are filled in by the test.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sandbox/guest.h"

namespace ward::testing {

enum class Expect {
  kPrintsContained,  // the code runs and prints CONTAINED (and never ESCAPED)
  kFailure,          // the guest is killed: timeout, death or protocol violation
  kMemoryStopped,    // killed (cgroup memory limit) or MemoryError (address-space limit)
};

struct Attack {
  std::string name;
  std::string code;
  Expect expect = Expect::kPrintsContained;
  int64_t timeout_ms = 10'000;
};

const std::vector<Attack>& Attacks();

// For test names and failure messages: the attack's name.
inline void PrintTo(const Attack& attack, std::ostream* os) { *os << attack.name; }

}  // namespace ward::testing
