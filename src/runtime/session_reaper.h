// Dead sessions are seen as dead. A session is "running" only while its owner —
// the process that runs it (SessionRecord pid, owner_start, owner_host) — is
// alive. Whoever lists or serves sessions calls these first; a running session
// whose owner on this host has ended (killed, crashed) becomes "interrupted",
// terminal, with the reason, in one store transaction that also:
//   - appends its `finished` event (status "interrupted"), so live streams end;
//   - closes its pending approvals (state "closed"), so no one decides for nobody;
//   - writes a `session_interrupted` audit entry (pid, host, approvals closed);
// and then removes the session's own temporary workspace, which the killed
// process left (best effort; see TempWorkspace::Sweep).
// Sessions whose owner runs on another host (or recorded none) are left alone.
//
// `actor` names who noticed, for the audit entry. Thread-safe as the Store is;
// two processes noticing at once interrupt the session once.
#pragma once

#include <string>

#include "store/store.h"
#include "util/clock.h"

namespace ward {

// Interrupts every running session whose owner is gone; returns how many.
Result<int> InterruptDeadSessions(Store* store, Clock* clock, const std::string& actor);

// The session `id` as it stands after the same check (interrupted when its owner
// is gone). NotFound when there is no such session.
Result<SessionRecord> GetLiveSession(Store* store, Clock* clock, const std::string& actor,
                                     const std::string& id);

}  // namespace ward
