"""Open any capture: the format is sniffed from the content (never the file name), then read by its reader.

Formats: mitmproxy flow files (:mod:`mcscope.io.mitmfile`), HAR 1.2 (:mod:`mcscope.io.har`) and mcscope
journals (:mod:`mcscope.io.journal`). Readers never crash on bad input: they yield every exchange they
could read and then raise :class:`CaptureError` saying what went wrong and where reading stopped. A torn
last line of a journal (a proxy killed mid-write) is tolerated silently.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Literal

from mcscope.core.model import Exchange
from mcscope.io.common import BOM, CaptureError, ReadProgress
from mcscope.io.har import entries_in_start_order, read_har
from mcscope.io.journal import read_journal
from mcscope.io.mitmfile import read_mitm
from mcscope.io.ordering import in_start_order

__all__ = ["Capture", "CaptureError", "Format", "detect_format", "open_capture", "read_exchanges", "sniff_format"]

Format = Literal["mitm", "har", "journal"]
Reader = Callable[[IO[bytes], Path, ReadProgress], Iterator[Exchange]]

READERS: dict[Format, Reader] = {"mitm": read_mitm, "har": read_har, "journal": read_journal}
#: Formats read in request-start order (HAR 1.2 requires it; .mitm likewise). A journal is read as the
#: proxy wrote it: the order in which the live analysis saw the exchanges.
SORTED_FORMATS: frozenset[Format] = frozenset({"mitm", "har"})
_SNIFF_BYTES = 64 * 1024
_TNETSTRING_START = re.compile(rb"^\d{1,12}:")


def sniff_format(head: bytes) -> Format | None:
    """The capture format of a file starting with ``head`` (its first few KB), or None if unknown."""
    if head.startswith(BOM):
        head = head[len(BOM) :]
    stripped = head.lstrip(b" \t\r\n")
    if not stripped:
        return None
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0]
        try:
            obj = json.loads(first_line)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict) and obj.get("type") in ("journal", "exchange"):
            return "journal"
        if isinstance(obj, dict) and "log" in obj:
            return "har"
        if obj is None and (b'"log"' in stripped or stripped.rstrip() == b"{"):
            return "har"
        return None
    if _TNETSTRING_START.match(head):
        return "mitm"
    return None


def detect_format(path: str | Path) -> Format:
    """Sniff a file's capture format; CaptureError for missing, unreadable, empty or unknown files."""
    p = Path(path)
    try:  # a FIFO, socket or device would block the open or the read: only regular files are captures
        st = p.stat()
    except FileNotFoundError:
        raise CaptureError(f"{p}: no such file") from None
    except OSError as exc:
        raise CaptureError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise CaptureError(f"{p}: is a directory, not a capture file")
    if not stat.S_ISREG(st.st_mode):
        raise CaptureError(f"{p}: not a regular file (a pipe, socket or device), not a capture file")
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise CaptureError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise CaptureError(f"{p}: is a directory, not a capture file") from None
    except OSError as exc:
        raise CaptureError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise CaptureError(f"{p}: empty file, not a capture")
    fmt = sniff_format(head)
    if fmt is None:
        raise CaptureError(
            f"{p}: unknown format (expected a mitmproxy flow file, a HAR 1.2 export or an mcscope journal)"
        )
    return fmt


class Capture:
    """An open capture file: iterate it for Exchanges; ``position``/``size`` give reading progress."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format: Format = detect_format(self.path)
        try:
            self.size = self.path.stat().st_size
        except OSError:
            self.size = 0
        self.progress = ReadProgress()

    @property
    def position(self) -> int:
        return self.progress.position

    @position.setter
    def position(self, value: int) -> None:  # a sharded check reads the file itself and reports how far
        self.progress.position = value

    @property
    def read_count(self) -> int:
        return self.progress.read_count

    def __iter__(self) -> Iterator[Exchange]:
        reader = READERS[self.format]
        progress = self.progress
        try:
            with self.path.open("rb") as fh:
                ordered = self.format == "har" and entries_in_start_order(fh, self.path)
                exchanges = reader(fh, self.path, progress)
                if self.format in SORTED_FORMATS and not ordered:
                    exchanges = in_start_order(exchanges)
                for ex in exchanges:
                    progress.read_count += 1
                    yield ex
        except CaptureError as exc:
            exc.read_count = progress.read_count
            raise
        except OSError as exc:
            raise CaptureError(
                f"{self.path}: read error after {progress.read_count} exchanges ({exc.strerror or exc})",
                progress.read_count,
            ) from None
        progress.position = self.size


def open_capture(path: str | Path) -> Capture:
    """Open a capture (sniffs the format now: raises CaptureError for missing/unknown files)."""
    return Capture(path)


def read_exchanges(path: str | Path) -> Iterator[Exchange]:
    """Yield the Exchanges of a capture file; CaptureError (after yielding what was read) on bad input."""
    yield from Capture(path)
