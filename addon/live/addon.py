"""The mitmproxy addon (lookup name ``mcscope``): thin hooks in front of the capture's pipeline.

Loaded by ``mcscope/live/script.py`` (``mitmdump -s``, ``mitmproxy -s``, ``mitmweb -s``) and by
``mcscope proxy``. Passive by default: hooks never modify a request or a response (except in mock mode,
where collection calls are answered locally), never wait, and keep no ``Flow`` objects: ``response`` and
``error`` copy a collection call's raw fields (``flow_parts``) and hand them to a :class:`~mcscope.live.link.Link`,
the :class:`~mcscope.live.pipeline.Pipeline` in the analysis process (:mod:`mcscope.live.worker`, the
default) or on the proxy's loop (:class:`~mcscope.live.link.LocalLink`). The pipeline journals, keeps the
backlog, streams exchanges to viewers and, only when reports or an exit code are wanted
(``mcscope_json``/``junit``/``markdown`` or ``mcscope_analyse``), analyses. Findings are data (reports),
never ERROR logs: an ERROR record during ``mitmdump -r`` replay makes mitmdump exit 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from pathlib import Path
from typing import Any

from mitmproxy import ctx, http
from mitmproxy.addonmanager import Loader
from mitmproxy.proxy import server_hooks
from mitmproxy.version import VERSION as MITMPROXY_VERSION

from mcscope.core.config import Config
from mcscope.core.verdict import EXIT_USAGE
from mcscope.io.flows import flow_parts
from mcscope.io.journal import journal_header
from mcscope.live import match, options, viewers
from mcscope.live.link import Link, LocalLink, open_writer
from mcscope.live.mock import Mock
from mcscope.live.reports import Outcome, ReportRequest
from mcscope.live.viewers import StreamSpec
from mcscope.live.worker import WorkerError, WorkerLink

log = logging.getLogger(__name__)

NAME = "mcscope"

#: Every addon built by make_addons(), so a wrapper (mcscope proxy) can find it after the run.
INSTANCES: list[McScope] = []


class McScope:
    """The mcscope addon (lookup name ``mcscope``)."""

    name = NAME

    def __init__(self) -> None:
        self.link: Link | None = None
        self.stream: StreamSpec | None = None  # the bound viewer stream (its port for the guard)
        self.config: Config | None = None
        self.analyse = False
        self.outcome = Outcome()
        self._early: list[tuple[Any, ...]] = []  # flows seen before the pipeline started
        self._hosts: tuple[str, ...] = ()
        self._mock: Mock | None = None
        self._mock_on = False
        self._finished = False
        INSTANCES.append(self)
        del INSTANCES[:-8]  # keep the list bounded across script reloads

    # -- options ------------------------------------------------------------------------------------
    def load(self, loader: Loader) -> None:
        options.declare(loader)

    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        options.validate(opts, updated)
        link = self.link
        if "mcscope_hosts" in updated:
            self._hosts = tuple(opts.mcscope_hosts)  # read on every flow; ctx.options lookups are slow
        if updated.intersection(options.RULES) or self.config is None:
            self.config = options.build_config(opts.mcscope_ignore, opts.mcscope_severity, opts.mcscope_set)
            if link is not None:
                link.set_rules(self.config)  # re-analyses only when analysing
        if updated.intersection(options.ANALYSIS):
            analyse = options.analysis_wanted(opts)
            if analyse != self.analyse:
                self.analyse = analyse
                if link is not None:
                    link.set_analyse(analyse)
        if "mcscope_stream_backlog" in updated and link is not None:
            link.set_backlog(opts.mcscope_stream_backlog)
        if updated.intersection(options.LIMITS) and link is not None:
            link.set_limits(options.limits(opts))
        if "mcscope_mock" in updated:
            self._mock_on = bool(opts.mcscope_mock)
            if self._mock_on and self._mock is None:
                self._mock = Mock()
            if link is not None:
                link.set_mock(self._mock_on)

    # -- lifecycle ----------------------------------------------------------------------------------
    def running(self) -> None:
        if self.link is not None:
            return
        try:
            self._start(use_worker=bool(ctx.options.mcscope_worker))
        except Exception as exc:  # noqa: BLE001 - a hook must never raise into the proxy (capture goes on)
            log.warning("mcscope: cannot start the capture pipeline: %s", exc)

    def _start(self, use_worker: bool) -> None:
        opts = ctx.options
        settings = options.Settings(
            journal=options.journal_path(opts.mcscope_journal),
            journal_header=journal_header(mitmproxy=MITMPROXY_VERSION, pid=os.getpid()),
            config=self.config or options.build_config(opts.mcscope_ignore, opts.mcscope_severity,
                                                       opts.mcscope_set),
            analyse=self.analyse, backlog=opts.mcscope_stream_backlog, client_queue=opts.mcscope_stream_queue,
            listen=self._listen(), mock=self._mock_on,
        )
        stream = self._bind_stream(opts.mcscope_stream, opts.mcscope_stream_tcp)
        journal, spool = open_writer(settings, options.limits(opts))  # journal first, in this process
        link: Link | None = None
        if use_worker and os.name == "posix" and _loop() is not None:
            try:
                link = WorkerLink.start(settings, stream, journal, spool)
            except WorkerError as exc:
                log.warning("mcscope: %s; analysis and viewer stream run in the proxy process", exc)
        if link is None:
            link = LocalLink.start(settings, stream, journal, spool)
        self.link = link
        self.stream = stream[1] if stream is not None else None
        early, self._early = self._early, []
        for parts in early:
            link.submit(parts)
        if early:
            link.flush()  # seen before the proxy was running: hand them over now

    @staticmethod
    def _bind_stream(value: str, tcp: bool) -> tuple[socket.socket, StreamSpec] | None:
        if not options.stream_wanted(value):
            return None
        try:
            return viewers.bind(value, tcp)
        except (OSError, ValueError) as exc:  # PermissionError included
            log.warning("mcscope: viewer stream not available: %s", exc)
            return None

    def _start_early(self) -> None:
        """Flows came before ``running`` (a test harness, a replay): process them in-process."""
        if self.link is None and self._early and not self._finished:
            self._start(use_worker=False)

    def done(self) -> None:
        if self._finished:
            return
        if self.link is None:
            self._start_early()
        self._finished = True
        link = self.link
        if link is None:
            return
        opts = ctx.options
        request = ReportRequest(outputs=options.report_outputs(opts), fail_on=opts.mcscope_fail_on,
                                sources=tuple(self._sources()))
        try:
            self.outcome = link.finish(request)
        except Exception as exc:  # noqa: BLE001 - a hook must never raise into mitmproxy's shutdown; exit 2 tells
            log.warning("mcscope: cannot finish the capture: %s", exc)
            self.outcome = Outcome(None, EXIT_USAGE)

    # -- hooks --------------------------------------------------------------------------------------
    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        """Refuse proxied connections to the TCP viewer stream (CVE-2025-23217 class)."""
        spec = self.stream
        if spec is None or not spec.tcp or spec.port is None or not data.server.address:
            return
        host, port, *_ = data.server.address
        if port == spec.port and match.is_own_address(str(host)):
            data.server.error = "mcscope: the viewer stream cannot be reached through the proxy"

    def request(self, flow: http.HTTPFlow) -> None:
        mock = self._mock
        if mock is None or not self._mock_on or flow.response is not None:
            return
        try:
            if match.wanted(flow, self._hosts, match.MOCK_RE):
                mock.answer(flow)
        except Exception as exc:  # noqa: BLE001 - a hook must never raise into the proxy
            log.warning("mcscope mock: cannot answer %s: %s", flow.request.path[:200], exc)

    def response(self, flow: http.HTTPFlow) -> None:
        self._capture(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._capture(flow)

    def _capture(self, flow: http.HTTPFlow) -> None:
        try:
            if not match.wanted(flow, self._hosts):
                return
            parts = flow_parts(flow)
            link = self.link
            if link is not None:
                link.submit(parts)
                return
            self._early.append(parts)
            loop = _loop()
            if loop is None:
                self._start_early()
            elif len(self._early) == 1:
                loop.call_soon(self._start_early)
        except Exception as exc:  # noqa: BLE001 - a hook must never raise into the proxy (bad input included)
            log.warning("mcscope: cannot read flow %s: %s", getattr(flow, "id", "?"), exc)

    # -- state --------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Hand over every queued flow now (tests): processed in-process, sent to the analysis process."""
        self._start_early()
        if self.link is not None:
            self.link.flush()

    @property
    def exchanges(self) -> int:
        """Collection exchanges processed (in-process) or handed to the analysis process."""
        return self.link.exchanges if self.link is not None else 0

    @property
    def journal_path(self) -> Path | None:
        return self.link.journal_path if self.link is not None else None

    @property
    def discovery_path(self) -> Path | None:
        return self.link.discovery_path if self.link is not None else None

    @property
    def restarts(self) -> int:
        """How often the analysis process was restarted (0 in-process)."""
        return int(getattr(self.link, "restarts", 0) or 0)

    @property
    def journal_counts(self) -> dict[str, int]:
        """Exchanges journalled without bodies (``shed``: writer queue full) or truncated (limits)."""
        journal = getattr(self.link, "journal", None)
        return {"shed": getattr(journal, "shed", 0), "truncated": getattr(journal, "truncated", 0)}

    @property
    def report(self) -> dict[str, Any] | None:
        return self.outcome.report

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    def _sources(self) -> list[str]:
        rfile = getattr(ctx.options, "rfile", None)
        if rfile:
            return [str(rfile)]
        if self.journal_path is not None:
            return [str(self.journal_path)]
        return ["live capture"]

    @staticmethod
    def _listen() -> str | None:
        proxyserver = ctx.master.addons.get("proxyserver")
        for server in getattr(proxyserver, "servers", ()):
            for addr in server.listen_addrs:
                return f"{addr[0]}:{addr[1]}"
        opts = ctx.options
        if getattr(opts, "server", False) and hasattr(opts, "listen_port"):
            return f"{opts.listen_host or '*'}:{opts.listen_port or 8080}"
        return None


def _loop() -> asyncio.AbstractEventLoop | None:
    with contextlib.suppress(RuntimeError):
        return asyncio.get_running_loop()
    return None


def make_addons() -> list[McScope]:
    """The addon list for the ``-s`` shim."""
    return [McScope()]
