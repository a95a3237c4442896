// SendWithBodyLimit: one HTTP exchange whose response body, whatever the status,
// is read only up to a limit — the reading stops there, so a peer that streams
// without end costs at most `max_body_bytes` of memory. Internal to
// src/connectors/http. Thread-safe as the HttpClient is.
#pragma once

#include <cstddef>

#include "net/http_client.h"
#include "util/status.h"

namespace ward {

// The response with its whole body, or ResourceExhausted ("… exceeds N bytes",
// `what` naming the body) when it is longer; otherwise the HttpClient's error.
Result<HttpResponse> SendWithBodyLimit(HttpClient& http, HttpRequest request, size_t max_body_bytes,
                                       const std::string& what);

}  // namespace ward
