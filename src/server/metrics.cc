#include "server/metrics.h"

#include <cstdio>

#include "util/encoding.h"

namespace ward::server {
namespace {

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void Metrics::ObserveRequest(const std::string& route, int status, int64_t micros) {
  std::lock_guard<std::mutex> lock(mu_);
  Histogram& h = latency_[route];
  double seconds = static_cast<double>(micros) / 1e6;
  for (size_t i = 0; i < kBucketsSeconds.size(); ++i)
    if (seconds <= kBucketsSeconds[i]) ++h.buckets[i];
  ++h.count;
  h.sum_seconds += seconds;
  ++count_[{route, status}];
}

void Metrics::StreamOpened() {
  std::lock_guard<std::mutex> lock(mu_);
  ++streams_open_;
  ++streams_total_;
}

void Metrics::StreamClosed() {
  std::lock_guard<std::mutex> lock(mu_);
  --streams_open_;
}

void Metrics::NotificationSent(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(ok ? notify_ok_ : notify_failed_);
}

std::string Metrics::Render(const StoreCounts& c) const {
  std::string out;
  out += "# HELP ward_sessions Sessions in the store by state.\n# TYPE ward_sessions gauge\n";
  for (const char* state : {"running", "succeeded", "failed", "cancelled"}) {
    auto it = c.sessions_by_status.find(state);
    int64_t n = it == c.sessions_by_status.end() ? 0 : it->second;
    out += "ward_sessions{state=\"" + std::string(state) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP ward_approvals_pending Approvals waiting for a decision.\n";
  out += "# TYPE ward_approvals_pending gauge\n";
  out += "ward_approvals_pending " + std::to_string(c.approvals_pending) + "\n";
  out += "# HELP ward_model_tokens_total Model tokens used by all sessions.\n";
  out += "# TYPE ward_model_tokens_total counter\n";
  out += "ward_model_tokens_total{direction=\"input\"} " + std::to_string(c.input_tokens) + "\n";
  out += "ward_model_tokens_total{direction=\"output\"} " + std::to_string(c.output_tokens) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP ward_event_streams_open Server-Sent Event streams open now.\n";
  out += "# TYPE ward_event_streams_open gauge\n";
  out += "ward_event_streams_open " + std::to_string(streams_open_) + "\n";
  out += "# HELP ward_event_streams_total Event streams opened.\n";
  out += "# TYPE ward_event_streams_total counter\n";
  out += "ward_event_streams_total " + std::to_string(streams_total_) + "\n";
  out += "# HELP ward_notifications_total Approval notifications by outcome.\n";
  out += "# TYPE ward_notifications_total counter\n";
  out += "ward_notifications_total{outcome=\"ok\"} " + std::to_string(notify_ok_) + "\n";
  out += "ward_notifications_total{outcome=\"failed\"} " + std::to_string(notify_failed_) + "\n";
  out += "# HELP ward_http_requests_total API requests by route and status.\n";
  out += "# TYPE ward_http_requests_total counter\n";
  for (const auto& [key, n] : count_)
    out += "ward_http_requests_total{route=\"" + MetricLabelValue(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  out += "# HELP ward_http_request_duration_seconds API request latency by route.\n";
  out += "# TYPE ward_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::string r = "route=\"" + MetricLabelValue(route) + "\"";
    for (size_t i = 0; i < kBucketsSeconds.size(); ++i)
      out += "ward_http_request_duration_seconds_bucket{" + r + ",le=\"" +
             Number(kBucketsSeconds[i]) + "\"} " + std::to_string(h.buckets[i]) + "\n";
    out += "ward_http_request_duration_seconds_bucket{" + r + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "ward_http_request_duration_seconds_sum{" + r + "} " + Number(h.sum_seconds) + "\n";
    out += "ward_http_request_duration_seconds_count{" + r + "} " + std::to_string(h.count) + "\n";
  }
  return out;
}

}  // namespace ward::server
