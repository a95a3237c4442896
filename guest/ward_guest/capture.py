"""Bounded capture of what an action prints: keeps the head and the tail."""
import io


class CappedWriter(io.TextIOBase):
    """A text stream that keeps the first and last `limit // 2` characters written."""

    def __init__(self, limit):
        super().__init__()
        self._half = max(1, limit // 2)
        self._head = []
        self._head_len = 0
        self._tail = ""
        self._dropped = 0

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        n = len(text)
        room = self._half - self._head_len
        if room > 0:
            self._head.append(text[:room])
            self._head_len += min(room, n)
            text = text[room:]
        if text:
            combined = self._tail + text
            if len(combined) > self._half:
                self._dropped += len(combined) - self._half
                combined = combined[-self._half:]
            self._tail = combined
        return n

    def getvalue(self):
        head = "".join(self._head)
        if self._dropped:
            return head + "\n[... %d characters cut ...]\n" % self._dropped + self._tail
        return head + self._tail
