"""Append-only NDJSON journal of every collection exchange seen by the live proxy.

The journal is the durable record of a capture: ``mcscope check`` and the GUI read it back with
:mod:`mcscope.io.journal` (which also holds the record codec and the header line). Callers hand in encoded
NDJSON lines (or JSON-safe dicts, e.g. ``mcscope.io.journal.exchange_to_record``) with :meth:`Journal.append`, which never blocks and wakes nobody:
a background thread wakes every :data:`FLUSH_INTERVAL` (30 ms), writes what accumulated and flushes it
to the OS, so a ``kill -9`` of the proxy loses at most the records of the last ~30 ms (the file is
fsync'ed about once a second: a process kill does not lose what is in the page cache; a power cut
might). A torn last line is tolerated by the reader.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The writer thread wakes this often; a record waits at most this long (plus the write) in memory.
FLUSH_INTERVAL = 0.03
#: fsync at most this often (protects against power loss without costing per record).
FSYNC_INTERVAL = 1.0
#: Environment variable overriding the data directory (tests, portable installs).
DATA_DIR_ENV = "MCSCOPE_DATA_DIR"

def data_dir() -> Path:
    """mcscope's per-user data directory (``$MCSCOPE_DATA_DIR`` or platformdirs' user data dir)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("mcscope", appauthor=False))


def default_journal_path(now: float | None = None, pid: int | None = None) -> Path:
    """A fresh, timestamped journal file name in ``<data dir>/journals/`` (one file per run)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    return data_dir() / "journals" / f"mcscope-{stamp}-{os.getpid() if pid is None else pid}.ndjson"


class JournalError(Exception):
    pass


class Journal:
    """Background NDJSON writer. ``append`` is cheap and thread-safe; ``close`` drains and joins.

    ``on_error`` (optional) is called once, from the writer thread, with a message when writing fails;
    the journal then stops writing (the proxy keeps running).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        header: dict[str, Any] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path)
        # A plain deque: append/popleft are atomic and, unlike a queue, wake nobody. The writer polls
        # every FLUSH_INTERVAL instead of being woken per record (a wake-up per record costs a thread
        # switch and a GIL hand-over on the proxy's loop thread).
        self._buf: deque[Any] = deque()
        self._stop = threading.Event()
        self._on_error = on_error
        self.written = 0  # exchange records written (not counting the header)
        self.failed: str | None = None
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")  # noqa: SIM115 - owned by the writer thread
        except OSError as exc:
            raise JournalError(f"cannot open journal {self.path}: {exc.strerror or exc}") from exc
        if header is not None:
            self._buf.append(header)
        self._thread = threading.Thread(target=self._run, name="mcscope-journal", daemon=True)
        self._thread.start()

    def append(self, record: dict[str, Any] | bytes) -> None:
        """Queue one record (a dict, or an already encoded NDJSON line) for writing. Never blocks."""
        if not self._closed:
            self._buf.append(record)

    def close(self, timeout: float = 5.0) -> None:
        """Write everything queued so far, then stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join(timeout)

    # -- writer thread --------------------------------------------------------------------------
    def _run(self) -> None:
        last_sync = time.monotonic()
        try:
            while True:
                stopping = self._stop.wait(FLUSH_INTERVAL)
                self._write_pending()
                now = time.monotonic()
                if self.failed is None and now - last_sync >= FSYNC_INTERVAL:
                    last_sync = now
                    try:
                        os.fsync(self._fh.fileno())
                    except (OSError, ValueError):
                        pass
                if stopping:
                    self._write_pending()
                    return
        finally:
            try:
                self._fh.close()
            except (OSError, ValueError):
                pass

    def _write_pending(self) -> None:
        buf = self._buf
        while buf:
            batch: list[bytes] = []
            count = 0
            while buf and len(batch) < 2000:
                item = buf.popleft()
                line = self._encode(item)
                if line is not None:
                    batch.append(line)
                    if isinstance(item, bytes) or item.get("type") != "journal":
                        count += 1
            if batch and self.failed is None:
                self._write(b"".join(batch), count)

    @staticmethod
    def _encode(record: Any) -> bytes | None:
        if isinstance(record, bytes):
            return record if record.endswith(b"\n") else record + b"\n"
        try:
            return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
        except (TypeError, ValueError) as exc:
            log.warning("journal: record not JSON-serialisable, skipped: %s", exc)
            return None

    def _write(self, data: bytes, count: int) -> None:
        try:
            self._fh.write(data)
            self._fh.flush()
            self.written += count
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            self.failed = f"journal write failed ({self.path}): {reason}"
            log.warning("%s", self.failed)
            if self._on_error is not None:
                try:
                    self._on_error(self.failed)
                except Exception:  # pragma: no cover - callback bugs must not kill the writer
                    pass
