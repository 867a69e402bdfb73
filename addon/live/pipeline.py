"""One capture's processing behind the journal: the backlog and the viewers, then (only when reports or an
exit code are wanted) the analysis.

The journal is written first, by the proxy process (:mod:`mcscope.live.journalwriter`); the pipeline reads
behind it (:class:`~mcscope.live.journalwriter.Tail` on ``settings.source``: the journal, or a private
spool file when the journal is off), so a slow or restarted pipeline never delays or loses a record. A
restarted pipeline reads the capture from its first record again: its analysis and backlog are whole.

The very same :class:`Pipeline` runs in the proxy process (``mcscope_worker=false``, or when the analysis
process cannot start, through :class:`~mcscope.live.link.LocalLink`) and in the analysis process
(:mod:`mcscope.live.worker`); it never reads ``ctx.options``: its :class:`~mcscope.live.options.Settings`
and the runtime changes (``set_*``) come from the addon.

Every exchange is encoded once, by the journal writer; the same bytes go to the backlog and every viewer. The stream
carries exchanges (plus ``stats`` and ``log``): a window analyses them itself, so nothing here computes
findings for a viewer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mitmproxy.version import VERSION as MITMPROXY_VERSION

from mcscope import __version__
from mcscope.core.config import Config
from mcscope.core.fastjson import loads_line
from mcscope.io.journal import record_to_exchange
from mcscope.live import stream as stream_mod
from mcscope.live.analysis import Analysis
from mcscope.live.backlog import Backlog
from mcscope.live.journalwriter import Tail
from mcscope.live.options import Settings
from mcscope.live.reports import Outcome, ReportRequest
from mcscope.live.viewers import StreamSpec, Viewers

log = logging.getLogger(__name__)

#: Viewers get a ``stats`` message at most this often.
STATS_INTERVAL = 0.5
_EXCHANGE_HEAD = b'{"type":"exchange","record":'
_RECORD = b'{"type":"exchange"'


class Pipeline:
    """Journal -> backlog -> viewers -> analysis for the exchanges of one capture."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tail: Tail | None = None
        self.backlog = Backlog(settings.backlog)
        self.viewers: Viewers | None = None
        self.analysis: Analysis | None = Analysis(settings.config) if settings.analyse else None
        self.exchanges = 0
        self._last_stats = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    # -- lifecycle ----------------------------------------------------------------------------------
    def open(self) -> None:
        """Start following the capture's journal (or spool) file."""
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        source = self.settings.source
        if source is not None and self.tail is None:
            try:
                self.tail = Tail(source, self.settings.start)
            except OSError as exc:
                log.warning("mcscope: cannot read the journal %s: %s", source, exc)

    def poll(self, max_bytes: int = 64 * 1024 * 1024) -> int:
        """Feed the records written since the last poll (from at most ``max_bytes`` of the journal); the
        number of lines read."""
        if self.tail is None:
            return 0
        lines = self.tail.read(max_bytes)
        if lines:
            self.feed_lines(lines)
        return len(lines)

    def catch_up(self, end: int) -> None:
        """Feed every record up to file offset ``end`` (the writer has finished)."""
        if self.tail is not None:
            self.feed_lines(self.tail.read_until(end))

    @property
    def journal_path(self) -> Path | None:
        return self.settings.journal

    async def serve(self, sock: socket.socket, spec: StreamSpec) -> None:
        """Serve viewers on the bound socket and advertise it (a failure is a warning)."""
        viewers = Viewers(spec, self.settings.client_queue, self._hello, self._snapshot)
        try:
            await viewers.serve(sock)
        except (OSError, ValueError) as exc:
            log.warning("mcscope: viewer stream not available: %s", exc)
            viewers.close()
            return
        self.viewers = viewers
        journal = self.journal_path
        viewers.advertise(self.settings.pid, journal=str(journal) if journal else None,
                          listen=self.settings.listen, mcscope=__version__, mitmproxy=MITMPROXY_VERSION)

    def finish(self, request: ReportRequest) -> Outcome:
        """The reports and exit code (an empty Outcome when not analysing); viewers get the final stats."""
        outcome = self.analysis.finish(request) if self.analysis is not None else Outcome()
        self.publish_stats(force=True)
        return outcome

    def close(self) -> None:
        """Stop serving (socket and discovery file removed) and stop reading."""
        if self._closed:
            return
        self._closed = True
        if self.viewers is not None:
            self.viewers.close()
        if self.tail is not None:
            self.tail.close()

    # -- exchanges ----------------------------------------------------------------------------------
    def feed_lines(self, lines: Iterable[bytes]) -> None:
        """Journal lines (without the newline) as the writer wrote them; header lines are skipped."""
        backlog, analysis = self.backlog, self.analysis
        viewers = self.viewers if self.viewers is not None and self.viewers.has_clients() else None
        for line in lines:
            if not line.startswith(_RECORD):
                continue  # the header (repeated after a restart), blank lines
            self.exchanges += 1
            backlog.append(line)
            if viewers is not None:
                viewers.publish(_EXCHANGE_HEAD + line + b"}\n")
            if analysis is not None:
                try:
                    analysis.feed(record_to_exchange(loads_line(line)))
                except Exception as exc:  # noqa: BLE001 - stream must outlive any analysis bug
                    log.warning("mcscope: analysis of a journal record failed: %s", exc)
        self.publish_stats()

    # -- runtime changes ----------------------------------------------------------------------------
    def set_rules(self, config: Config) -> None:
        """New rule options: re-analyse what is retained (only when analysing)."""
        self.settings.config = config
        if self.analysis is not None:
            self.analysis = Analysis(config, self.backlog)

    def set_analyse(self, on: bool) -> None:
        """Start analysing (what is retained, then what follows) or stop."""
        self.settings.analyse = on
        if on and self.analysis is None:
            self.analysis = Analysis(self.settings.config, self.backlog)
        elif not on:
            self.analysis = None

    def set_backlog(self, size: int) -> None:
        self.settings.backlog = size
        self.backlog.resize(size)

    def set_mock(self, on: bool) -> None:
        self.settings.mock = on

    # -- stream messages ----------------------------------------------------------------------------
    def _hello(self) -> dict[str, Any]:
        journal = self.journal_path
        return {
            "type": "hello", "v": stream_mod.PROTOCOL_VERSION, "mcscope": __version__,
            "mitmproxy": MITMPROXY_VERSION, "journal": str(journal) if journal else None,
            "listen": self.settings.listen, "mock": self.settings.mock, "restarts": self.settings.restarts,
        }

    def _snapshot(self) -> bytes:
        snap = self.backlog.snapshot()
        if self.settings.restarts:  # a viewer attached to a restarted analysis process is told so
            snap += stream_mod.encode({"type": "log", "level": "warning", "message": self._restart_note()})
        return snap

    def _restart_note(self) -> str:
        return (f"the analysis process was restarted ({self.settings.restarts} time(s)); the journal is "
                "complete and was read again from its start")

    def stats(self) -> dict[str, Any]:
        return {
            "type": "stats",
            "exchanges": self.exchanges,
            "journal_records": self.exchanges,
            "restarts": self.settings.restarts,
            "retained": len(self.backlog),
            "dropped": self.backlog.dropped,
            "clients": self.viewers.clients if self.viewers is not None else 0,
        }

    def publish_stats(self, force: bool = False) -> None:
        viewers = self.viewers
        if viewers is None or not viewers.has_clients():
            return
        now = time.monotonic()
        if force or now - self._last_stats >= STATS_INTERVAL:
            self._last_stats = now
            viewers.publish(self.stats())

    def _journal_failed(self, message: str) -> None:
        """From the journal's writer thread: tell the viewers, on the loop."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self._loop.call_soon_threadsafe(self._publish_log, "warning", message)

    def _publish_log(self, level: str, message: str) -> None:
        if self.viewers is not None:
            self.viewers.publish({"type": "log", "level": level, "message": message})
