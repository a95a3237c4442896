// Small helpers shared by ward's benchmarks: percentiles and memory readings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ward::bench {

// The p-th percentile (0..100) of `samples` (sorted in place), nearest-rank.
double Percentile(std::vector<double>& samples, double p);

// Proportional set size of a process in KiB, from /proc/PID/smaps_rollup (-1 if unreadable).
int64_t PssKib(int pid);

// "p50 1.23 ms · p99 4.56 ms (n=1000)"
std::string Summary(std::vector<double>& samples_us);

}  // namespace ward::bench
