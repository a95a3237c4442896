#include "sandbox/guest_channel.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "util/clock.h"

namespace ward {

GuestChannel::~GuestChannel() {
  if (fd_ >= 0) close(fd_);
}

Status GuestChannel::Send(const std::string& line) {
  std::string data = line + "\n";
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("guest channel closed: ") + strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> GuestChannel::Receive(int64_t deadline_us, const CancelToken* cancel) {
  Clock* clock = SystemClock::Default();
  constexpr int64_t kSliceMs = 50;  // how often a cancel is noticed while waiting
  while (true) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (buffer_.size() > max_line_) {
      return ResourceExhausted("guest sent a message over " + std::to_string(max_line_) + " bytes");
    }
    if (cancel && cancel->cancelled()) return Cancelled("interrupted");
    int64_t left_ms = (deadline_us - clock->MonotonicMicros()) / 1000;
    if (left_ms <= 0) return DeadlineExceeded("guest did not answer in time");
    struct pollfd p = {fd_, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(std::min(left_ms, kSliceMs)));
    if (rc < 0 && errno != EINTR) return Unavailable(std::string("poll: ") + strerror(errno));
    if (rc <= 0) continue;
    char chunk[65536];
    ssize_t n = read(fd_, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return Unavailable("guest closed the channel");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace ward
