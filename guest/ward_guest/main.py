"""Entry point of the guest worker.

Protocol (JSON lines on the channel fd):
  host -> guest  {"t":"hello","bindings":[{"name","signature","doc"}...],
                  "errors":[{"name","base","doc"}...]}
  guest -> host  {"t":"ready","pid":N,"python":"3.x.y"}
  host -> guest  {"t":"exec","id":N,"code":"..."}
  guest -> host  {"t":"call","id":M,"name":"...","args":{...}}     (zero or more)
  host -> guest  {"t":"reply","id":M,"ok":true,"value":...} or {"ok":false,"error":{"type","message"}}
  guest -> host  {"t":"done","id":N,"stdout","stderr","value","error","finished"}
"""
import os
import sys

from ward_guest import bindings, runner
from ward_guest.channel import Channel, ChannelClosed


def serve(fd, on_ready=None):
    channel = Channel(fd)
    hello = channel.receive()
    if hello.get("t") != "hello":
        channel.send({"t": "fatal", "message": "expected hello"})
        return 2
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        error_types = bindings.declare_errors(hello.get("errors", []))
    except ValueError as error:
        channel.send({"t": "fatal", "message": str(error)})
        return 2
    bindings.install(namespace, hello.get("bindings", []),
                     bindings.make_caller(channel, error_types), error_types)
    channel.send({"t": "ready", "pid": os.getpid(), "python": sys.version.split()[0]})
    if on_ready:
        on_ready()
    while True:
        try:
            message = channel.receive()
        except ChannelClosed:
            return 0
        if message.get("t") != "exec":
            channel.send({"t": "fatal", "message": "unexpected message %r" % message.get("t")})
            continue
        result = runner.run(message.get("code", ""), namespace, message.get("id", 0))
        result.update({"t": "done", "id": message.get("id")})
        channel.send(result)


def main():
    fd = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    try:
        sys.exit(serve(fd))
    except ChannelClosed:
        sys.exit(0)


if __name__ == "__main__":
    main()
