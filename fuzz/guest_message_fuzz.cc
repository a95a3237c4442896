// Fuzzes the host side of the guest protocol: the input is what a hostile guest
// writes on its channel during one action (JSON lines: calls, done, anything).
// The host must answer or refuse every line without crashing.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "sandbox/guest_protocol.h"

namespace {

// Empties the guest's end of the socket so replies never fill it.
void Drain(int fd) {
  char buf[65536];
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return 0;
  std::string input(reinterpret_cast<const char*>(data), size);
  input += '\n';
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = send(fds[1], input.data() + off, input.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  shutdown(fds[1], SHUT_WR);
  ward::GuestChannel channel(fds[0], 64 * 1024);
  ward::GuestCallHandler echo = [&](const ward::GuestCall& call) {
    Drain(fds[1]);
    ward::GuestCallReply reply;
    reply.ok = call.name != "fail";
    reply.value_json = call.args_json;
    reply.error_type = "BindingError";
    reply.error_message = "refused";
    return reply;
  };
  ward::RunAction(channel, 1, "pass", 1000, echo, nullptr);
  close(fds[1]);
  return 0;
}
