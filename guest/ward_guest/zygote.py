"""The zygote: a pre-initialised guest template.

The host starts one zygote per launcher: `python3 -I -c BOOTSTRAP GUEST_DIR LIBRARY
INSIDE_DIR` with a SOCK_SEQPACKET control socket on fd 3. The zygote imports
everything a guest needs, freezes the heap, says b"ready", and then serves spawn
requests, one per message:

  host -> zygote   the encoded isolation plan, with the guest's channel fd attached
  zygote -> host   b"pid N" or b"error MESSAGE"

For each request, libward_isolate clones a child into new namespaces (the child's
parent is the host, not the zygote), isolates it (mounts, pivot_root, capabilities,
seccomp) and returns into Python in the child, which then serves the guest
protocol on fd 3 exactly like a freshly started guest. The zygote never runs
model-written code and never reads anything but the control socket.

Work that does not depend on the request happens while the zygote is idle: where
it may, it moves itself into a fresh network namespace (loopback up) that the next
guest inherits, and builds the part of the guest root that is the same for every
guest (a template in its own private mount namespace) that the next guest's
mount namespace copies, so no guest waits for either. The zygote runs with a
short time slice (sched_hint.h) that guests inherit until they are ready.
"""
import ctypes
import gc
import os
import socket
import sys

from ward_guest import main as guest_main


def _preload():
    # What the guest protocol and typical actions import, so a guest needs no disk reads.
    import ast, collections, datetime, decimal, functools, itertools, json, linecache  # noqa
    import math, random, re, statistics, string, textwrap, traceback, types  # noqa


def _become_guest(inside_dir, started):
    code = 1
    try:
        sys.path[0] = inside_dir  # where the package is bound inside the sandbox
        code = guest_main.serve(3, on_ready=started)
    except BaseException:  # the channel closed or broke: the guest ends
        code = 1
    finally:
        os._exit(code)


def run(control_fd, library, inside_dir):
    _preload()
    lib = ctypes.PyDLL(library)
    spawn = lib.ward_zygote_spawn
    spawn.restype = ctypes.c_int
    spawn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p,
                      ctypes.c_size_t]
    prepare = lib.ward_zygote_prepare
    prepare.restype = None
    prepare.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    started = lib.ward_guest_started
    started.restype = None
    started.argtypes = []
    api = ctypes.pythonapi
    control = socket.socket(fileno=control_fd)
    prepare(None, 0)
    gc.collect()
    gc.freeze()
    control.send(b"ready")
    while True:
        data, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 4)
        if not data:
            return 0
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            control.send(b"error expected exactly one channel descriptor")
            continue
        error = ctypes.create_string_buffer(512)
        api.PyOS_BeforeFork()
        pid = spawn(data, len(data), fds[0], error, len(error))
        if pid == 0:
            api.PyOS_AfterFork_Child()
            control.detach()
            _become_guest(inside_dir, started)
        api.PyOS_AfterFork_Parent()
        os.close(fds[0])
        control.send(b"pid %d" % pid if pid > 0 else b"error " + error.value)
        prepare(data, len(data))  # for the next guest, while the host waits for this one
