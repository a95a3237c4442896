// The syslog network sinks of export_sink.h: RFC 5424 messages over TCP (RFC 6587
// octet counting, one connection per batch) or UDP (RFC 5426, a datagram each).
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "audit/export_sink.h"
#include "audit/syslog_format.h"

namespace ward {
namespace {

struct HostPort {
  std::string host, port;
};

// "syslog+tcp://host:port" (or udp; "[v6]:port"), nothing else.
Result<HostPort> ParseSyslogUrl(const std::string& url, const std::string& scheme) {
  std::string usage = url + ": " + scheme + " needs host:port";
  if (url.rfind(scheme, 0) != 0) return InvalidArgument("not a " + scheme + " URL: " + url);
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
    return InvalidArgument(usage);
  HostPort hp{rest.substr(0, colon), rest.substr(colon + 1)};
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  if (hp.port.find_first_not_of("0123456789") != std::string::npos || hp.port.size() > 5 ||
      hp.host.find_first_of("/@?# ") != std::string::npos)
    return InvalidArgument(usage);
  return hp;
}

// A socket connected to `hp` (for UDP: with its peer fixed), or Unavailable.
Result<int> Connect(const std::string& url, const HostPort& hp, int type, int64_t timeout_ms) {
  addrinfo hints{};
  hints.ai_socktype = type;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found);
  if (rc != 0) return Unavailable(url + ": cannot resolve: " + gai_strerror(rc));
  std::string why = "no address";
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{static_cast<time_t>(timeout_ms / 1000),
               static_cast<suseconds_t>((timeout_ms % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return Unavailable(url + ": cannot connect: " + why);
  return fd;
}

// Sends all of `bytes` on a connected socket.
Status SendAll(int fd, const std::string& url, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable(url + ": cannot send: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

class SyslogTcpSink : public ExportSink {
 public:
  SyslogTcpSink(std::string url, HostPort hp, int64_t timeout_ms)
      : url_(std::move(url)), hp_(std::move(hp)), timeout_ms_(timeout_ms) {}
  std::string Name() const override { return url_; }

  Status Deliver(const std::vector<std::string>& records) override {
    std::string framed;
    for (const auto& r : records) framed += OctetCounted(r);
    WARD_ASSIGN_OR_RETURN(int fd, Connect(url_, hp_, SOCK_STREAM, timeout_ms_));
    Status result = SendAll(fd, url_, framed);
    ::close(fd);
    return result;
  }

 private:
  std::string url_;
  HostPort hp_;
  int64_t timeout_ms_;
};

class SyslogUdpSink : public ExportSink {
 public:
  SyslogUdpSink(std::string url, HostPort hp) : url_(std::move(url)), hp_(std::move(hp)) {}
  std::string Name() const override { return url_; }

  Status Deliver(const std::vector<std::string>& records) override {
    WARD_ASSIGN_OR_RETURN(int fd, Connect(url_, hp_, SOCK_DGRAM, 5000));
    Status result = Status::Ok();
    for (const auto& r : records) {
      std::string_view datagram(r);
      if (datagram.size() > kMaxSyslogDatagramBytes)
        datagram = datagram.substr(0, kMaxSyslogDatagramBytes);
      result = SendAll(fd, url_, datagram);
      if (!result.ok()) break;
    }
    ::close(fd);
    return result;
  }

 private:
  std::string url_;
  HostPort hp_;
};

}  // namespace

Result<std::unique_ptr<ExportSink>> NewSyslogTcpExportSink(const std::string& url,
                                                           int64_t timeout_ms) {
  WARD_ASSIGN_OR_RETURN(HostPort hp, ParseSyslogUrl(url, "syslog+tcp://"));
  return std::unique_ptr<ExportSink>(new SyslogTcpSink(url, std::move(hp), timeout_ms));
}

Result<std::unique_ptr<ExportSink>> NewSyslogUdpExportSink(const std::string& url) {
  WARD_ASSIGN_OR_RETURN(HostPort hp, ParseSyslogUrl(url, "syslog+udp://"));
  return std::unique_ptr<ExportSink>(new SyslogUdpSink(url, std::move(hp)));
}

}  // namespace ward
