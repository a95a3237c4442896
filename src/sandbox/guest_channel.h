// GuestChannel: the host's end of the JSON-lines RPC channel to a guest.
// Owns the socket fd. Enforces a maximum line length, so a flooding guest cannot
// exhaust host memory. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "util/cancel.h"
#include "util/status.h"

namespace ward {

class GuestChannel {
 public:
  GuestChannel(int fd, size_t max_line_bytes) : fd_(fd), max_line_(max_line_bytes) {}
  ~GuestChannel();
  GuestChannel(const GuestChannel&) = delete;
  GuestChannel& operator=(const GuestChannel&) = delete;

  // Writes one line (a newline is appended). Unavailable when the guest is gone.
  Status Send(const std::string& line);

  // Reads the next line, waiting until `deadline_us` (monotonic, from
  // MonotonicMicros of the system clock). DeadlineExceeded on timeout, Cancelled
  // when `cancel` fires, Unavailable on EOF, ResourceExhausted when a line exceeds
  // the maximum.
  Result<std::string> Receive(int64_t deadline_us, const CancelToken* cancel);

 private:
  int fd_;
  size_t max_line_;
  std::string buffer_;
};

}  // namespace ward
