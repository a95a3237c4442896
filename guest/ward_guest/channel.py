"""JSON-lines framing over the host channel (a Unix socket on a known fd).

One message per line, UTF-8 JSON objects. Printing by user code never touches this
channel: it is a separate descriptor from stdout/stderr.
"""
import json
import os


class ChannelClosed(Exception):
    """The host closed the channel; the guest should exit."""


class Channel:
    def __init__(self, fd):
        self._fd = fd
        self._buf = bytearray()

    def send(self, message):
        data = (json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n").encode(
            "utf-8", "surrogatepass")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def receive(self):
        while True:
            newline = self._buf.find(b"\n")
            if newline >= 0:
                line = bytes(self._buf[:newline])
                del self._buf[:newline + 1]
                return json.loads(line.decode("utf-8"))
            chunk = os.read(self._fd, 65536)
            if not chunk:
                raise ChannelClosed()
            self._buf += chunk
