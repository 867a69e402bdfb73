"""What every capture reader shares: the error it raises and the reading progress it reports."""

from __future__ import annotations

from dataclasses import dataclass

#: UTF-8 byte order mark, tolerated at the start of a HAR file or journal.
BOM = b"\xef\xbb\xbf"


class CaptureError(Exception):
    """A capture could not be read (fully). ``read_count`` exchanges were yielded before the error."""

    def __init__(self, message: str, read_count: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.read_count = read_count

    def __str__(self) -> str:
        return self.message


@dataclass
class ReadProgress:
    """How far a reader got: bytes consumed of the file and exchanges yielded (for progress bars, errors)."""

    position: int = 0
    read_count: int = 0
