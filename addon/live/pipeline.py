"""One capture's processing, composed of its parts: journal first, then the backlog and the viewers, then
(only when reports or an exit code are wanted) the analysis.

The very same :class:`Pipeline` runs in the proxy process (``mcscope_worker=false``, or when the analysis
process cannot start, through :class:`~mcscope.live.link.LocalLink`) and in the analysis process
(:mod:`mcscope.live.worker`); it never reads ``ctx.options``: its :class:`~mcscope.live.options.Settings`
and the runtime changes (``set_*``) come from the addon.

Every exchange is encoded once; the same bytes go to the journal, the backlog and every viewer. The stream
carries exchanges (plus ``stats`` and ``log``): a window analyses them itself, so nothing here computes
findings for a viewer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mitmproxy.version import VERSION as MITMPROXY_VERSION

from mcscope import __version__
from mcscope.core.config import Config
from mcscope.core.model import Exchange
from mcscope.io.flows import exchange_from_parts
from mcscope.io.journal import exchange_to_record
from mcscope.live import stream as stream_mod
from mcscope.live.analysis import Analysis
from mcscope.live.backlog import Backlog
from mcscope.live.journalwriter import Journal, JournalError
from mcscope.live.options import Settings
from mcscope.live.reports import Outcome, ReportRequest
from mcscope.live.viewers import StreamSpec, Viewers

log = logging.getLogger(__name__)

#: Viewers get a ``stats`` message at most this often.
STATS_INTERVAL = 0.5
_EXCHANGE_HEAD = b'{"type":"exchange","record":'


class Pipeline:
    """Journal -> backlog -> viewers -> analysis for the exchanges of one capture."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.journal: Journal | None = None
        self.backlog = Backlog(settings.backlog)
        self.viewers: Viewers | None = None
        self.analysis: Analysis | None = Analysis(settings.config) if settings.analyse else None
        self.exchanges = 0
        self._last_stats = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    # -- lifecycle ----------------------------------------------------------------------------------
    def open(self) -> None:
        """Open the journal (a journal that cannot be opened is a warning: the capture goes on)."""
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        path = self.settings.journal
        if path is None:
            return
        try:
            self.journal = Journal(path, header=self.settings.journal_header, on_error=self._journal_failed)
            log.info("mcscope journal: %s", path)
        except JournalError as exc:
            log.warning("mcscope: %s (capture continues without a journal)", exc)

    @property
    def journal_path(self) -> Path | None:
        return self.journal.path if self.journal is not None else None

    async def serve(self, sock: socket.socket, spec: StreamSpec) -> None:
        """Serve viewers on the bound socket and advertise it (a failure is a warning)."""
        viewers = Viewers(spec, self.settings.client_queue, self._hello, self.backlog.snapshot)
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
        """Stop serving (socket and discovery file removed), then write the rest of the journal."""
        if self._closed:
            return
        self._closed = True
        if self.viewers is not None:
            self.viewers.close()
        if self.journal is not None:
            self.journal.close()

    # -- exchanges ----------------------------------------------------------------------------------
    def feed_parts(self, batch: Iterable[tuple[Any, ...]]) -> None:
        """Flows as ``mcscope.io.flows.flow_parts`` copied them in the proxy's hook."""
        exchanges = []
        for parts in batch:
            try:
                exchanges.append(exchange_from_parts(parts))
            except Exception as exc:  # noqa: BLE001 - any input mitmproxy accepted must not break the capture
                log.warning("mcscope: cannot read flow %s: %s", parts[0] if parts else "?", exc)
        self.feed(exchanges)

    def feed(self, exchanges: Iterable[Exchange]) -> None:
        journal, backlog, analysis = self.journal, self.backlog, self.analysis
        viewers = self.viewers if self.viewers is not None and self.viewers.has_clients() else None
        for ex in exchanges:
            self.exchanges += 1
            try:
                line = json.dumps(exchange_to_record(ex), separators=(",", ":"), ensure_ascii=False).encode()
            except (TypeError, ValueError) as exc:  # pragma: no cover - the codec gives JSON-safe dicts
                log.warning("mcscope: cannot serialise exchange %s: %s", ex.flow_id, exc)
                continue
            if journal is not None:
                journal.append(line)  # first: the journal is the record of truth
            backlog.append(line)
            if viewers is not None:
                viewers.publish(_EXCHANGE_HEAD + line + b"}\n")
            if analysis is not None:
                try:
                    analysis.feed(ex)
                except Exception as exc:  # noqa: BLE001 - journal and stream must outlive any analysis bug
                    log.warning("mcscope: analysis of %s failed: %s", ex.flow_id, exc)
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
            "listen": self.settings.listen, "mock": self.settings.mock,
        }

    def stats(self) -> dict[str, Any]:
        return {
            "type": "stats",
            "exchanges": self.exchanges,
            "journal_records": self.journal.written if self.journal is not None else 0,
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
