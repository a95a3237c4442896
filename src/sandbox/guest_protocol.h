// The host side of the guest protocol (see guest/ward_guest/main.py for the
// message list), independent of how the guest process was created, so every
// launcher shares it. Not thread-safe.
#pragma once

#include <string>

#include "sandbox/guest.h"
#include "sandbox/guest_channel.h"

namespace ward {

// Sends hello (the binding list) and waits for ready within spec.start_timeout_ms.
Status Handshake(GuestChannel& channel, const GuestSpec& spec);

// The two halves of Handshake, for a launcher that has work to overlap with the
// guest's start: hello may be sent as soon as the guest process exists (it waits
// in the socket until the guest reads it), ready is awaited later.
Status SendHello(GuestChannel& channel, const GuestSpec& spec);
Status AwaitReady(GuestChannel& channel, const GuestSpec& spec);

// Runs one action to completion: forwards the guest's binding calls to `on_call`
// (time spent there does not count against `timeout_ms`) and decodes the result.
// Never returns an error; failures are in ActionOutcome::failure (the caller then
// kills the guest). kProtocol covers a message that is not a JSON object, is nested
// deeper than JsonLimits allows, or is unexpected, and a `done` whose `finished` is
// not a boolean or is true although `on_call` accepted no finish() call in this
// action: the guest alone cannot end the session.
ActionOutcome RunAction(GuestChannel& channel, int64_t action_id, const std::string& code,
                        int64_t timeout_ms, const GuestCallHandler& on_call,
                        const CancelToken* cancel);

// "exited with status N" / "killed by signal N (SIGKILL)" from a waitpid status.
std::string DescribeExit(int wait_status);

}  // namespace ward
