// `ward-bench validate`: the cost of checking a code action before it runs —
// one Validate() round trip to the warm checker process, for a 20-line action.
#include <cstdio>
#include <cstdlib>

#include "bench_util.h"
#include "gate/validate.h"
#include "sandbox/guest.h"
#include "util/clock.h"

namespace ward::bench {
namespace {

std::string TwentyLineAction() {
  std::string code;
  for (int i = 0; i < 10; ++i) {
    std::string n = std::to_string(i);
    code += "rows_" + n + " = fhir.search('Observation', patient='123', code='4548-4')\n";
    code += "print(len(rows_" + n + "), rows_" + n + "[0]['id'] if rows_" + n + " else None)\n";
  }
  return code;
}

}  // namespace

int RunValidateBench(int argc, char** argv) {
  auto dir = FindGuestDir();
  if (!dir.ok()) return fprintf(stderr, "%s\n", dir.status().ToString().c_str()), 2;
  Clock* clock = SystemClock::Default();
  int64_t t0 = clock->MonotonicMicros();
  auto validator = NewCodeValidator("/usr/bin/python3", *dir, ValidationRules());
  if (!validator.ok()) return fprintf(stderr, "%s\n", validator.status().ToString().c_str()), 2;
  printf("checker start: %.2f ms\n", (clock->MonotonicMicros() - t0) / 1000.0);
  int n = argc > 0 ? atoi(argv[0]) : 0;
  if (n <= 0) n = 2000;
  std::string code = TwentyLineAction();
  for (int i = 0; i < 50; ++i) (void)(*validator)->Validate(code);
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    int64_t start = clock->MonotonicMicros();
    auto r = (*validator)->Validate(code);
    us.push_back(static_cast<double>(clock->MonotonicMicros() - start));
    if (!r.ok() || !r->ok) return fprintf(stderr, "validation failed\n"), 1;
  }
  printf("Validate() of a 20-line action (%zu bytes): %s\n", code.size(), Summary(us).c_str());
  return 0;
}

}  // namespace ward::bench
