#include "bench_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace ward::bench {

double Percentile(std::vector<double>& s, double p) {
  if (s.empty()) return 0;
  std::sort(s.begin(), s.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * s.size()));
  return s[std::min(s.size() - 1, rank == 0 ? 0 : rank - 1)];
}

int64_t PssKib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string key;
  int64_t value = 0;
  std::string unit;
  while (in >> key) {
    if (key == "Pss:") {
      in >> value >> unit;
      return value;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}

std::string Summary(std::vector<double>& us) {
  char buf[160];
  double p50 = Percentile(us, 50), p99 = Percentile(us, 99);
  auto fmt = [](double v) {
    char b[32];
    if (v >= 1000) {
      snprintf(b, sizeof(b), "%.2f ms", v / 1000);
    } else {
      snprintf(b, sizeof(b), "%.1f µs", v);
    }
    return std::string(b);
  };
  snprintf(buf, sizeof(buf), "p50 %s · p99 %s (n=%zu)", fmt(p50).c_str(), fmt(p99).c_str(),
           us.size());
  return buf;
}

}  // namespace ward::bench
