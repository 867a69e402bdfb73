"""How the addon's hooks reach the capture's :class:`~mcscope.live.pipeline.Pipeline`: the :class:`Link`
both modes implement, and :class:`LocalLink`, the in-process mode (the pipeline on the proxy's loop, run
right after the hook returned). :class:`mcscope.live.worker.WorkerLink` is the other mode: the same
pipeline in a child process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path
from typing import Any, Protocol

from mcscope.core.config import Config
from mcscope.live import viewers
from mcscope.live.options import Settings
from mcscope.live.pipeline import Pipeline
from mcscope.live.reports import Outcome, ReportRequest
from mcscope.live.viewers import StreamSpec

log = logging.getLogger(__name__)


class Link(Protocol):
    """What the addon hands flows and option changes to; every method but ``finish`` returns at once."""

    @property
    def exchanges(self) -> int: ...
    @property
    def journal_path(self) -> Path | None: ...
    @property
    def discovery_path(self) -> Path | None: ...

    def submit(self, parts: tuple[Any, ...]) -> None: ...
    def flush(self) -> None: ...
    def set_rules(self, config: Config) -> None: ...
    def set_analyse(self, on: bool) -> None: ...
    def set_backlog(self, size: int) -> None: ...
    def set_mock(self, on: bool) -> None: ...
    def finish(self, request: ReportRequest) -> Outcome: ...


class LocalLink:
    """The pipeline in the proxy process: hooks queue flow parts, the loop processes them after the hook."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._pending: list[tuple[Any, ...]] = []
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._serving: asyncio.Task[None] | None = None
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()

    @classmethod
    def start(cls, settings: Settings, stream: tuple[socket.socket, StreamSpec] | None = None) -> LocalLink:
        pipeline = Pipeline(settings)
        pipeline.open()
        link = cls(pipeline)
        if stream is not None:
            if link._loop is None:  # nothing to serve on (only in tests without a loop)
                viewers.release(*stream)
            else:
                link._serving = link._loop.create_task(pipeline.serve(*stream))
        return link

    @property
    def exchanges(self) -> int:
        return self.pipeline.exchanges

    @property
    def journal_path(self) -> Path | None:
        return self.pipeline.journal_path

    @property
    def discovery_path(self) -> Path | None:
        v = self.pipeline.viewers
        return v.discovery_path if v is not None else None

    def submit(self, parts: tuple[Any, ...]) -> None:
        self._pending.append(parts)
        if self._scheduled:
            return
        if self._loop is None:
            self.flush()
        else:
            self._scheduled = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if self._pending:
            batch, self._pending = self._pending, []
            self.pipeline.feed_parts(batch)

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

    def finish(self, request: ReportRequest) -> Outcome:
        self.flush()
        if self._serving is not None and not self._serving.done():
            self._serving.cancel()
        try:
            return self.pipeline.finish(request)
        finally:
            self.pipeline.close()
