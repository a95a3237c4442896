// Metrics: what /metrics reports, in the Prometheus text exposition format (0.0.4).
//
// The server records each API request (route pattern, status, latency) and the
// open event streams here; Render() adds the store's counts (sessions by state,
// pending approvals, model tokens) at scrape time. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "store/server_store.h"

namespace ward::server {

class Metrics {
 public:
  static constexpr std::array<double, 11> kBucketsSeconds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  void ObserveRequest(const std::string& route, int status, int64_t micros);
  void StreamOpened();
  void StreamClosed();
  void NotificationSent(bool ok);
  std::string Render(const StoreCounts& counts) const;

 private:
  struct Histogram {
    std::array<int64_t, kBucketsSeconds.size()> buckets{};
    int64_t count = 0;
    double sum_seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Histogram> latency_;              // by route; guarded by mu_
  std::map<std::pair<std::string, int>, int64_t> count_;  // (route, status); guarded by mu_
  int64_t streams_open_ = 0;                              // guarded by mu_
  int64_t streams_total_ = 0;                             // guarded by mu_
  int64_t notify_ok_ = 0, notify_failed_ = 0;             // guarded by mu_
};

}  // namespace ward::server
