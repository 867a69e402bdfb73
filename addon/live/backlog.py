"""The encoded exchange records a capture retains in memory: the snapshot for a newly attached viewer,
and what a runtime change of the rule options re-analyses."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

#: The backlog never holds more than this many bytes of records (the oldest fall off first).
MAX_BYTES = 256 * 1024 * 1024


class Backlog:
    """The last ``size`` records (NDJSON lines without the newline), at most ``max_bytes`` of them;
    ``dropped`` counts what fell off."""

    def __init__(self, size: int, max_bytes: int = MAX_BYTES) -> None:
        self._lines: deque[bytes] = deque(maxlen=size)
        self.max_bytes = max_bytes
        self.bytes = 0
        self.dropped = 0

    def append(self, line: bytes) -> None:
        lines = self._lines
        if lines.maxlen is not None and len(lines) == lines.maxlen:
            if not lines:
                self.dropped += 1
                return
            self.bytes -= len(lines[0])
            self.dropped += 1
        lines.append(line)
        self.bytes += len(line)
        while self.bytes > self.max_bytes and lines:
            self.bytes -= len(lines.popleft())
            self.dropped += 1

    def resize(self, size: int) -> None:
        self._lines = deque(self._lines, maxlen=size)
        self.bytes = sum(len(line) for line in self._lines)

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._lines)

    def snapshot(self) -> bytes:
        """The stream's ``snapshot`` message (the records spliced in as they are)."""
        return b'{"type":"snapshot","records":[' + b",".join(self._lines) + (b'],"dropped":%d}\n' % self.dropped)
