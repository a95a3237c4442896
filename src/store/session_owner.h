// The owner of a running session: the process that runs it, named so that any
// other process on the same host can tell whether it is still alive — its pid, its
// start time (clock ticks after boot, field 22 of /proc/PID/stat, so a recycled
// pid is not mistaken for it) and the host name.
//
// Pure functions over /proc; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "store/store.h"

namespace ward {

struct ProcessOwner {
  int64_t pid = 0;
  int64_t start = 0;  // 0 when /proc could not be read
  std::string host;
};

// This process.
ProcessOwner CurrentProcessOwner();
// Records `owner` on the session (pid, owner_start, owner_host).
void SetSessionOwner(const ProcessOwner& owner, SessionRecord* session);

// The start time of process `pid` on this host; 0 when there is no such process
// (or /proc cannot be read).
int64_t ProcessStartTime(int64_t pid);

enum class OwnerLiveness {
  kAlive,    // the recorded process still runs
  kGone,     // it ran on this host and no longer does (or the pid now names another process)
  kUnknown,  // it ran on another host, or nothing was recorded: cannot tell from here
};

// Whether the owner recorded on a running session still runs. Only meaningful for
// sessions whose status is "running".
OwnerLiveness CheckSessionOwner(const SessionRecord& session);

}  // namespace ward
