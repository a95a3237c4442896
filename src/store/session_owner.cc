#include "store/session_owner.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace ward {
namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

int64_t ProcessStartTime(int64_t pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields
  // are counted from the last ')'. Field 3 (state) follows it; field 22 is starttime.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int index = 3; index <= 22; ++index) {
    if (!(fields >> field)) return 0;
    if (index == 22) return std::strtoll(field.c_str(), nullptr, 10);
  }
  return 0;
}

ProcessOwner CurrentProcessOwner() {
  int64_t pid = getpid();
  return {pid, ProcessStartTime(pid), HostName()};
}

void SetSessionOwner(const ProcessOwner& owner, SessionRecord* session) {
  session->pid = owner.pid;
  session->owner_start = owner.start;
  session->owner_host = owner.host;
}

OwnerLiveness CheckSessionOwner(const SessionRecord& session) {
  if (session.pid <= 0 || session.owner_start == 0 || session.owner_host.empty())
    return OwnerLiveness::kUnknown;
  static const std::string host = HostName();
  if (session.owner_host != host) return OwnerLiveness::kUnknown;
  return ProcessStartTime(session.pid) == session.owner_start ? OwnerLiveness::kAlive
                                                              : OwnerLiveness::kGone;
}

}  // namespace ward
