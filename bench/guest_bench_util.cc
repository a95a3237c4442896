#include "guest_bench_util.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench_util.h"

namespace ward::bench {

GuestSpec MinimalSpec(const std::string& guest_dir, const std::string& workdir) {
  GuestSpec spec;
  spec.guest_dir = guest_dir;
  spec.workdir = workdir;
  spec.bindings = {{"finish", "finish(answer)", "End the task."}};
  return spec;
}

GuestCallHandler NoCalls() {
  return [](const GuestCall&) { return GuestCallReply{true, "null", "", ""}; };
}

void MeasureMemoryPerSession(GuestLauncher& launcher, const GuestSpec& spec, int n,
                             const std::string& label) {
  int64_t host_before = PssKib(getpid());
  std::vector<std::unique_ptr<Guest>> guests;
  for (int i = 0; i < n; ++i) {
    auto g = launcher.Launch(spec);
    if (!g.ok()) return (void)fprintf(stderr, "%s\n", g.status().ToString().c_str());
    (void)(*g)->Execute("x = 1", 5000, NoCalls(), nullptr);
    guests.push_back(std::move(g).value());
  }
  int64_t guest_total = 0;
  for (const auto& g : guests) guest_total += PssKib(g->pid());
  int64_t host_share = std::max<int64_t>(0, (PssKib(getpid()) - host_before) / n);
  printf("memory per live idle session (%s): guest PSS %.2f MiB + host share %.2f MiB = %.2f MiB\n",
         label.c_str(), guest_total / 1024.0 / n, host_share / 1024.0,
         (guest_total / static_cast<double>(n) + host_share) / 1024.0);
  guests.clear();
  launcher.WaitForStopped();
}

}  // namespace ward::bench
