// Who a guest is on the host, and the per-session temporary workspace it works in.
//
// A guest is never the host's root. When ward is not root the guest's host ids
// are ward's own; when ward is root they are kGuestHostId, an id reserved for
// guests (no real user's, above the ranges /etc/subuid hands out by default), so
// anything a guest leaves on the host belongs to nobody who can log in.
//
// TempWorkspace: a fresh directory (mode 0700, owned by the guest's host ids)
// that is removed with everything in it when the object is destroyed, whatever
// way the session ended. Thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "util/status.h"

namespace ward {

// The host uid and gid of every guest when ward runs as root.
inline constexpr uint32_t kGuestHostId = 2147418112;  // 0x7fff0000

struct GuestOwner {
  uint32_t uid = 0, gid = 0;
};

// The host ids a guest runs as (and its files belong to): ward's own when ward is
// not root, else kGuestHostId.
GuestOwner GuestHostOwner();

// The name prefix of a session's own temporary workspace, "ward-<session>-".
inline std::string SessionWorkspacePrefix(const std::string& session_id) {
  return "ward-" + session_id + "-";
}

class TempWorkspace {
 public:
  // Makes <parent>/<prefix>XXXXXX (random suffix), mode 0700, owned by `owner`
  // (chown is only attempted when it differs from the caller's ids). Internal
  // naming the step that failed; nothing is left behind then.
  static Result<std::unique_ptr<TempWorkspace>> Create(const std::string& parent,
                                                       const std::string& prefix, GuestOwner owner);
  ~TempWorkspace() { (void)Remove(); }  // best effort: a destructor cannot report
  TempWorkspace(const TempWorkspace&) = delete;
  TempWorkspace& operator=(const TempWorkspace&) = delete;

  const std::string& path() const { return path_; }
  // Removes the directory and everything in it, without following symlinks,
  // making unreadable directories readable first. Idempotent.
  Status Remove();

  // Removes what Create(parent, prefix, …) made and a killed process left
  // behind: every directory <parent>/<prefix>XXXXXX owned by the guest's host
  // user (GuestHostOwner()). Anything else of that name — a symlink, a file, a
  // directory someone else owns — is left alone. Returns how many were removed,
  // or the first failure (the others are still tried).
  static Result<int> Sweep(const std::string& parent, const std::string& prefix);

 private:
  explicit TempWorkspace(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace ward
