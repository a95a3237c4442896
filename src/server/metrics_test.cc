#include "server/metrics.h"

#include <gtest/gtest.h>

namespace ward::server {
namespace {

TEST(MetricsTest, RendersPrometheusText) {
  Metrics m;
  m.ObserveRequest("GET /api/v1/sessions", 200, 3000);
  m.ObserveRequest("GET /api/v1/sessions", 200, 200000);
  m.StreamOpened();
  StoreCounts c;
  c.sessions_by_status["running"] = 2;
  c.approvals_pending = 1;
  c.input_tokens = 40;
  std::string text = m.Render(c);
  EXPECT_NE(text.find("ward_sessions{state=\"running\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ward_sessions{state=\"failed\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("ward_approvals_pending 1\n"), std::string::npos);
  EXPECT_NE(text.find("ward_model_tokens_total{direction=\"input\"} 40\n"), std::string::npos);
  EXPECT_NE(text.find("ward_event_streams_open 1\n"), std::string::npos);
  EXPECT_NE(text.find("ward_http_request_duration_seconds_bucket{route=\"GET /api/v1/sessions\","
                      "le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("ward_http_request_duration_seconds_count{route=\"GET /api/v1/sessions\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("ward_http_requests_total{route=\"GET /api/v1/sessions\",status=\"200\"} 2"),
            std::string::npos);
}

}  // namespace
}  // namespace ward::server
