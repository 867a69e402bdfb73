"""How the addon's hooks reach the capture: the :class:`Link` both modes implement, the journal writer
both run in the proxy process (:func:`open_writer`: journal first), and :class:`LocalLink`, the in-process
mode (the :class:`~mcscope.live.pipeline.Pipeline` on the proxy's loop, reading behind the writer every
:data:`POLL_INTERVAL`). :class:`mcscope.live.worker.WorkerLink` is the other mode: the same pipeline in a
child process, reading the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any, Protocol

from mcscope.core.config import Config
from mcscope.live import viewers
from mcscope.live.journalwriter import Journal, JournalError, Limits, data_dir
from mcscope.live.options import Settings
from mcscope.live.pipeline import Pipeline
from mcscope.live.reports import Outcome, ReportRequest
from mcscope.live.viewers import StreamSpec

log = logging.getLogger(__name__)

#: The pipeline reads what the writer wrote this often (the writer itself flushes every 30 ms).
POLL_INTERVAL = 0.03
#: The journal read per tick on the proxy's loop: a few milliseconds of work, so a 10 MB record being read
#: never holds the player's traffic for long (the loop runs its other callbacks between ticks).
TICK_BYTES = 1024 * 1024


def open_writer(settings: Settings, limits: Limits, on_error: Any = None) -> tuple[Journal, Path | None]:
    """The capture's writer: the journal, or (journal off or not writable) a private spool file the pipeline
    reads behind, removed at the end. Sets ``settings.source``/``start``; returns (writer, spool dir)."""
    journal: Journal | None = None
    path = settings.journal
    if path is not None:
        try:
            journal = Journal(path, header=settings.journal_header, on_error=on_error, limits=limits,
                              private_parent=path.parent == data_dir() / "journals")
            log.info("mcscope journal: %s", path)
        except JournalError as exc:
            log.warning("mcscope: %s (capture continues without a journal)", exc)
            settings.journal = None
    spool: Path | None = None
    if journal is None:
        spool = Path(tempfile.mkdtemp(prefix="mcscope-spool-"))  # 0700
        journal = Journal(spool / "spool.ndjson", header=settings.journal_header, on_error=on_error,
                          limits=limits)
    settings.source, settings.start = str(journal.path), journal.start
    return journal, spool


def remove_spool(spool: Path | None) -> None:
    if spool is not None:
        shutil.rmtree(spool, ignore_errors=True)


class Link(Protocol):
    """What the addon hands flows and option changes to; every method but ``finish`` returns at once."""

    @property
    def exchanges(self) -> int: ...
    @property
    def journal_path(self) -> Path | None: ...
    @property
    def discovery_path(self) -> Path | None: ...

    def submit(self, parts: tuple[Any, ...]) -> None: ...
    def set_limits(self, limits: Limits) -> None: ...
    def flush(self) -> None: ...
    def set_rules(self, config: Config) -> None: ...
    def set_analyse(self, on: bool) -> None: ...
    def set_backlog(self, size: int) -> None: ...
    def set_mock(self, on: bool) -> None: ...
    def finish(self, request: ReportRequest) -> Outcome: ...


class LocalLink:
    """The pipeline in the proxy process: hooks queue flow parts for the writer thread, the loop reads the
    journal behind it every :data:`POLL_INTERVAL` (never decoding or encoding a body itself)."""

    def __init__(self, pipeline: Pipeline, journal: Journal, spool: Path | None = None) -> None:
        self.pipeline = pipeline
        self.journal = journal
        self._spool = spool
        self._loop: asyncio.AbstractEventLoop | None = None
        self._serving: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()

    @classmethod
    def start(cls, settings: Settings, stream: tuple[socket.socket, StreamSpec] | None = None,
              journal: Journal | None = None, spool: Path | None = None, limits: Limits | None = None
              ) -> LocalLink:
        pipeline = Pipeline(settings)
        if journal is None:
            journal, spool = open_writer(settings, limits or Limits())
        journal._on_error = pipeline._journal_failed
        pipeline.open()
        link = cls(pipeline, journal, spool)
        if stream is not None:
            if link._loop is None:  # nothing to serve on (only in tests without a loop)
                viewers.release(*stream)
            else:
                link._serving = link._loop.create_task(pipeline.serve(*stream))
        if link._loop is not None:
            link._timer = link._loop.call_later(POLL_INTERVAL, link._tick)
        return link

    @property
    def exchanges(self) -> int:
        return self.journal.appended

    @property
    def journal_path(self) -> Path | None:
        return self.pipeline.journal_path

    @property
    def discovery_path(self) -> Path | None:
        v = self.pipeline.viewers
        return v.discovery_path if v is not None else None

    def submit(self, parts: tuple[Any, ...]) -> None:
        self.journal.append_parts(parts)
        if self._loop is None:
            self.flush()

    def _tick(self) -> None:
        before = self.pipeline.tail.offset if self.pipeline.tail is not None else 0
        try:
            self.pipeline.poll(TICK_BYTES)
        except Exception as exc:  # noqa: BLE001 - the timer must keep running
            log.warning("mcscope: cannot read the journal: %s", exc)
        if self._loop is not None and not self.pipeline._closed:
            tail = self.pipeline.tail
            more = tail is not None and tail.offset - before >= TICK_BYTES  # behind: read on at once, but
            self._timer = self._loop.call_later(0 if more else POLL_INTERVAL, self._tick)  # after other work

    def flush(self) -> None:
        """Write everything queued and read it (tests)."""
        self.journal.drain()
        while self.pipeline.poll():
            pass

    def set_rules(self, config: Config) -> None:
        self.flush()
        self.pipeline.set_rules(config)

    def set_analyse(self, on: bool) -> None:
        self.flush()
        self.pipeline.set_analyse(on)

    def set_backlog(self, size: int) -> None:
        self.pipeline.set_backlog(size)

    def set_mock(self, on: bool) -> None:
        self.pipeline.set_mock(on)

    def set_limits(self, limits: Limits) -> None:
        self.journal.limits = limits

    def finish(self, request: ReportRequest) -> Outcome:
        if self._timer is not None:
            self._timer.cancel()
        self.journal.close()
        if self._serving is not None and not self._serving.done():
            self._serving.cancel()
        try:
            self.pipeline.catch_up(self.journal.size)
            return self.pipeline.finish(request)
        finally:
            self.pipeline.close()
            remove_spool(self._spool)
