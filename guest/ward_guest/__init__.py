"""ward's guest worker: runs model-written Python inside the sandbox.

The host starts this package with the RPC channel on a dedicated file descriptor
(a Unix socketpair). Everything the code may do to the outside world is a binding
call sent over that channel, which the host passes through its gate.
"""
