"""The encoded exchange records a capture retains in memory: the snapshot for a newly attached viewer,
and what a runtime change of the rule options re-analyses."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator


class Backlog:
    """The last ``size`` records (NDJSON lines without the newline); ``dropped`` counts what fell off."""

    def __init__(self, size: int) -> None:
        self._lines: deque[bytes] = deque(maxlen=size)
        self.dropped = 0

    def append(self, line: bytes) -> None:
        lines = self._lines
        if lines.maxlen is not None and len(lines) == lines.maxlen:
            self.dropped += 1
        lines.append(line)

    def resize(self, size: int) -> None:
        self._lines = deque(self._lines, maxlen=size)

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._lines)

    def snapshot(self) -> bytes:
        """The stream's ``snapshot`` message (the records spliced in as they are)."""
        return b'{"type":"snapshot","records":[' + b",".join(self._lines) + (b'],"dropped":%d}\n' % self.dropped)
