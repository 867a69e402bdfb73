"""The mitmproxy addon: collection exchanges -> core Analyzer -> journal, viewer stream, reports.

Loaded by ``addon/mcscope_addon.py`` (``mitmdump -s``, ``mitmproxy -s``, ``mitmweb -s``) and by
``mcscope proxy``. Passive by default: hooks never modify a request or a response (except in mock mode,
where collection calls are answered locally), never wait, and keep no ``Flow`` objects. With
``mcscope_worker`` (the default, see ``addon/worker.py``) they copy a collection call's raw fields and hand
them to the analysis process, which journals, analyses, streams and reports; otherwise they build an
:class:`mcscope.core.model.Exchange` and queue it, and the analysis, the journal writer thread and the stream
sender tasks do the rest on the proxy's loop. Findings are data (journal, stream, reports), never ERROR
logs: an ERROR record during ``mitmdump -r`` replay makes mitmdump exit 1 (see engineering-notes §1.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import re
import sys
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mitmproxy import ctx, exceptions, http
from mitmproxy.addonmanager import Loader
from mitmproxy.proxy import server_hooks

from mcscope import __version__
from mcscope.core.model import Exchange
from mcscope.core.verdict import FAIL_LEVELS
from mcscope.io.flows import flow_parts, flow_to_exchange
from mcscope.io.journal import exchange_to_record, journal_header, record_to_exchange
from mcscope.live import journalwriter as journal_mod
from mcscope.live import stream as stream_mod
from mcscope.live import worker as worker_mod

log = logging.getLogger(__name__)

NAME = "mcscope"
OFF = ("off", "none", "false", "no", "-")
#: Collection endpoints (after any path prefix, query stripped).
COLLECTION_RE = re.compile(r"/api/v1/(?:sessions(?:/[^/]+/events)?|downloaded)/?$")
#: What mock mode answers (collection endpoints plus the schema endpoint).
MOCK_RE = re.compile(r"/api/v1/(?:sessions(?:/[^/]+/events)?|downloaded|schemas/[^/]+)/?$")
STATS_INTERVAL = 0.5

#: Every addon built by make_addons(), so a wrapper (mcscope proxy) can find it after the run.
INSTANCES: list[McScope] = []


def is_collection_path(path: str) -> bool:
    return COLLECTION_RE.search(path.split("?", 1)[0].split("#", 1)[0]) is not None


def host_matches(host: str, patterns: Sequence[str]) -> bool:
    """Empty patterns = any host. ``.example.com`` / ``example.com`` match the domain and subdomains."""
    if not patterns:
        return True
    host = host.lower().rstrip(".")
    for pat in patterns:
        p = pat.lower().strip().rstrip(".")
        if p.startswith("*."):
            p = p[1:]
        bare = p.lstrip(".")
        if host == bare or host.endswith("." + bare):
            return True
    return False


def _versions() -> tuple[str, str]:
    from mitmproxy.version import VERSION

    return __version__, VERSION


def build_config(ignore: Sequence[str], severity: Sequence[str], tunables: Sequence[str]) -> Any:
    """The core Config for the rule options; OptionsError with a clear message on bad values."""
    from mcscope.core.config import Config

    try:
        # Findings, metrics and the event dicts of the deltas, not every event: flat memory in long captures.
        return Config.from_options(ignore=list(ignore), severity=list(severity), tunables=list(tunables),
                                   keep_events=False)
    except (ValueError, TypeError, KeyError) as exc:
        msg = exc.args[0] if exc.args else exc
        raise exceptions.OptionsError(f"mcscope: {msg}") from None


def _is_loopbackish(host: str) -> bool:
    h = host.strip("[]").lower().rstrip(".")
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return True  # a name could resolve to loopback: refuse to be safe
    return ip.is_loopback or ip.is_unspecified


class McScope:
    """The mcscope addon (lookup name ``mcscope``)."""

    name = NAME

    def __init__(self) -> None:
        self.analyzer: Any = None
        self._config: Any = None
        self._collector: Any = None
        self.journal: journal_mod.Journal | None = None
        self.journal_path: Path | None = None
        self.stream: stream_mod.StreamServer | None = None
        self.discovery_path: Path | None = None
        self._token = ""
        self._ring: deque[bytes] = deque(maxlen=50_000)  # encoded exchange records, for snapshots
        self.dropped = 0
        self._pending: deque[Exchange] = deque()
        self._scheduled = False
        self._started = False
        self._finished = False
        self._exit_code = 0
        self.exchanges = 0
        self.report: dict[str, Any] | None = None
        self._last_stats = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._worker: worker_mod.WorkerLink | None = None
        self._hosts: tuple[str, ...] = ()
        INSTANCES.append(self)
        del INSTANCES[:-8]  # keep the list bounded across script reloads

    # -- options ------------------------------------------------------------------------------------
    def load(self, loader: Loader) -> None:
        loader.add_option(
            "mcscope_hosts", Sequence[str], [],
            "Only analyse these collection hosts (a name matches itself and its subdomains). "
            "Default: any host whose path is a Media Collection endpoint.",
        )
        loader.add_option(
            "mcscope_journal", str, "",
            "NDJSON journal of every collection exchange. Default: a new timestamped file in the user "
            "data dir (journals/). 'off' disables it.",
        )
        loader.add_option(
            "mcscope_stream", str, "auto",
            "Viewer stream: a Unix socket path (its directory must be private, 0700), 'auto' (a fresh "
            "private directory) or 'off'. The token comes from $MCSCOPE_TOKEN (generated when unset).",
        )
        loader.add_option(
            "mcscope_stream_tcp", bool, sys.platform == "win32",
            "Serve the viewer stream on 127.0.0.1 (token + proxy guard) instead of a Unix socket.",
        )
        loader.add_option("mcscope_stream_queue", int, stream_mod.DEFAULT_CLIENT_QUEUE,
                          "Messages buffered per viewer before it gets a 'gap'.")
        loader.add_option("mcscope_stream_backlog", int, 50_000,
                          "Exchanges kept in memory for the snapshot sent to a newly attached viewer.")
        loader.add_option("mcscope_json", str, "", "Write the JSON report here when the proxy stops.")
        loader.add_option("mcscope_junit", str, "", "Write a JUnit XML report here when the proxy stops.")
        loader.add_option("mcscope_markdown", str, "", "Write a Markdown report here when the proxy stops.")
        loader.add_option("mcscope_fail_on", str, "error",
                          "Lowest severity that makes the exit code 1 (mcscope proxy).", choices=FAIL_LEVELS)
        loader.add_option("mcscope_ignore", Sequence[str], [], "Rule ids to ignore.")
        loader.add_option("mcscope_severity", Sequence[str], [], "Severity overrides, RULE=LEVEL.")
        loader.add_option("mcscope_set", Sequence[str], [], "Rule tunables, NAME=VALUE (e.g. idle_timeout=600).")
        loader.add_option("mcscope_mock", bool, False,
                          "Answer collection calls locally like Adobe's collector (other traffic passes).")
        loader.add_option("mcscope_worker", bool, True,
                          "Journal, analyse and serve viewers in a separate process, off the proxy's event "
                          "loop (off: all in the proxy process).")

    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        if "mcscope_hosts" in updated:
            for host in opts.mcscope_hosts:
                if not host.strip() or "/" in host or " " in host.strip():
                    raise exceptions.OptionsError(f"mcscope_hosts: {host!r} is not a host name")
            self._hosts = tuple(opts.mcscope_hosts)  # read on every flow; ctx.options lookups are slow
        if "mcscope_journal" in updated:
            self._check_output_path(opts.mcscope_journal, "mcscope_journal", allow_off=True)
        for name in ("mcscope_json", "mcscope_junit", "mcscope_markdown"):
            if name in updated:
                self._check_output_path(getattr(opts, name), name)
        if "mcscope_stream" in updated:
            self._check_stream(opts.mcscope_stream)
        if "mcscope_fail_on" in updated and opts.mcscope_fail_on not in FAIL_LEVELS:
            raise exceptions.OptionsError(
                f"mcscope_fail_on: {opts.mcscope_fail_on!r} is not one of {', '.join(FAIL_LEVELS)}"
            )
        if "mcscope_stream_queue" in updated and opts.mcscope_stream_queue < 1:
            raise exceptions.OptionsError("mcscope_stream_queue must be at least 1")
        if "mcscope_stream_backlog" in updated:
            if opts.mcscope_stream_backlog < 0:
                raise exceptions.OptionsError("mcscope_stream_backlog must be 0 or more")
            self._ring = deque(self._ring, maxlen=opts.mcscope_stream_backlog)
            if self._worker is not None:
                self._worker.send("backlog", opts.mcscope_stream_backlog)
        if updated & {"mcscope_ignore", "mcscope_severity", "mcscope_set"} or self._config is None:
            cfg = build_config(opts.mcscope_ignore, opts.mcscope_severity, opts.mcscope_set)
            self._config = cfg
            if self.analyzer is not None:
                self._rebuild_analyzer()
            if self._worker is not None:
                self._worker.send("config", self._rule_options())
        if "mcscope_mock" in updated and self._worker is not None:
            self._worker.send("mock", self._mock())
        if "mcscope_mock" in updated and opts.mcscope_mock and self._collector is None:
            from mcscope.sim.collector import MockCollector

            self._collector = MockCollector()

    @staticmethod
    def _check_output_path(value: str, name: str, allow_off: bool = False) -> None:
        if not value or (allow_off and value.lower() in OFF):
            return
        path = Path(value).expanduser()
        if path.is_dir():
            raise exceptions.OptionsError(f"{name}: {value} is a directory, expected a file name")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise exceptions.OptionsError(f"{name}: cannot write to {path.parent}")

    @staticmethod
    def _check_stream(value: str) -> None:
        if value.lower() in OFF or value == "auto" or not value:
            return
        path = Path(value).expanduser()
        if len(os.fsencode(str(path))) > 100:
            raise exceptions.OptionsError(f"mcscope_stream: socket path too long (>100 bytes): {value}")
        parent = path.parent
        if parent.exists():
            st = parent.stat()
            if os.name == "posix" and (st.st_mode & 0o077 or st.st_uid != os.getuid()):
                raise exceptions.OptionsError(
                    f"mcscope_stream: the socket's directory {parent} must be private to you (chmod 700)"
                )
        if path.exists() and not path.is_socket():
            raise exceptions.OptionsError(f"mcscope_stream: {value} exists and is not a socket")

    # -- lifecycle ----------------------------------------------------------------------------------
    def running(self) -> None:
        opts = ctx.options
        if (opts.mcscope_worker and os.name == "posix" and not self._started and self._loop is not None
                and self._start_worker()):
            return
        self._start()
        value = opts.mcscope_stream
        if value and value.lower() not in OFF and self.stream is None:
            self._spawn(self._start_stream(value, opts.mcscope_stream_tcp, opts.mcscope_stream_queue))

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.analyzer is None:
            self._new_analyzer()
        value = ctx.options.mcscope_journal
        if value.lower() in OFF:
            return
        path = Path(value).expanduser() if value else journal_mod.default_journal_path()
        ours, mitm = _versions()
        try:
            self.journal = journal_mod.Journal(
                path, header=journal_header(mitmproxy=mitm, pid=os.getpid()), on_error=self._journal_failed
            )
            self.journal_path = path
            log.info("mcscope journal: %s", path)
        except journal_mod.JournalError as exc:
            log.warning("mcscope: %s (capture continues without a journal)", exc)

    def _journal_failed(self, message: str) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._publish_log, "warning", message)

    async def _start_stream(
        self, value: str, tcp: bool, queue: int, sock: Any = None, bound: tuple[Any, Any, Any] | None = None,
        token: tuple[str, bool] | None = None, pid: int | None = None,
    ) -> None:
        """Serve viewers; ``sock``/``bound``/``token``/``pid``: a socket the proxy process bound (worker)."""
        self._token, generated = token or stream_mod.token_from_env()
        path = None if value == "auto" else Path(value).expanduser()
        if bound is not None:
            path = Path(bound[0]) if bound[0] else None
        server = stream_mod.StreamServer(
            self._token, self._hello, self._snapshot, socket_path=path, tcp=tcp, client_queue=queue
        )
        if bound is not None:
            server.adopt(bound[1], Path(bound[2]) if bound[2] else None)
        try:
            await server.start(sock)
        except (OSError, PermissionError, ValueError) as exc:
            log.warning("mcscope: viewer stream not available: %s", exc)
            return
        self.stream = server
        self._advertise(server, generated, os.getpid() if pid is None else pid)

    def _advertise(self, server: stream_mod.StreamServer, generated: bool, pid: int) -> None:
        ours, mitm = _versions()
        info: dict[str, Any] = {
            "v": stream_mod.PROTOCOL_VERSION, "pid": pid, "started": time.time(),
            "transport": "tcp" if server.tcp else "unix", "address": server.address,
            "journal": str(self.journal_path) if self.journal_path else None, "listen": self._listen(),
            "mcscope": ours, "mitmproxy": mitm, "token": self._token, "token_generated": generated,
        }
        if server.tcp:
            info.update(host="127.0.0.1", port=server.port)
        else:
            info["socket"] = server.address
        try:
            self.discovery_path = stream_mod.write_discovery(info, pid=pid)
        except (OSError, PermissionError) as exc:
            log.warning("mcscope: cannot write the stream discovery file: %s", exc)
        log.info("mcscope viewer stream: %s", server.address)

    def _start_worker(self) -> bool:
        """Move journal, analysis and stream to ``python -m mcscope.live.worker``; False: stay in-process."""
        opts = ctx.options
        value = opts.mcscope_journal
        journal: Path | None = None
        if value.lower() not in OFF:
            journal = Path(value).expanduser() if value else journal_mod.default_journal_path()
        ours, mitm = _versions()
        settings: dict[str, Any] = {
            "ignore": list(opts.mcscope_ignore), "severity": list(opts.mcscope_severity),
            "set": list(opts.mcscope_set), "backlog": opts.mcscope_stream_backlog,
            "journal": str(journal) if journal else None,
            "journal_header": journal_header(mitmproxy=mitm, pid=os.getpid()),
            "listen": self._listen(), "mock": self._mock(), "pid": os.getpid(), "stream": None,
        }
        sock = None
        stream = opts.mcscope_stream
        if stream and stream.lower() not in OFF:
            token = stream_mod.token_from_env()
            server = stream_mod.StreamServer(
                token[0], dict, bytes, socket_path=None if stream == "auto" else Path(stream).expanduser(),
                tcp=opts.mcscope_stream_tcp,
            )
            try:
                sock = server.bind()
            except (OSError, PermissionError, ValueError) as exc:
                log.warning("mcscope: viewer stream not available: %s", exc)
            else:
                settings["stream"] = {
                    "fd": sock.fileno(), "value": stream, "tcp": server.tcp, "queue": opts.mcscope_stream_queue,
                    "socket_path": str(server.socket_path) if server.socket_path else None, "port": server.port,
                    "own_dir": str(server.own_dir) if server.own_dir else None, "token": token,
                }
        try:
            self._worker = worker_mod.WorkerLink.start(settings, pass_fds=(sock.fileno(),) if sock else ())
        except worker_mod.WorkerError as exc:
            log.warning("mcscope: %s; journal, analysis and viewer stream run in the proxy process", exc)
            if sock is not None:
                sock.close()
                server.close_nowait()
            return False
        if sock is not None:
            sock.close()  # the worker serves it
            if self._worker.ready.get("stream"):
                self.stream = worker_mod.RemoteStream(self._worker.ready["stream"], server.tcp, server.port)
        self._started = True
        self.journal_path = journal
        if self._worker.ready.get("discovery"):
            self.discovery_path = Path(self._worker.ready["discovery"])
        if journal is not None:
            log.info("mcscope journal: %s", journal)
        if self._pending:  # seen before the proxy was running
            self._worker.send("e", [worker_mod.exchange_tuple(ex) for ex in self._pending])
            self._pending.clear()
        return True

    def _rule_options(self) -> tuple[list[str], list[str], list[str]]:
        opts = ctx.options
        return list(opts.mcscope_ignore), list(opts.mcscope_severity), list(opts.mcscope_set)

    def _mock(self) -> bool:
        return bool(self._collector is not None and ctx.options.mcscope_mock)

    def done(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._worker is not None:
            self._finish_worker()
            return
        self._drain()
        if self.analyzer is not None:
            try:
                self._publish_deltas(self.analyzer.finish())
            except Exception as exc:
                log.warning("mcscope: analysis at end of capture failed: %s", exc)
        self._write_reports()
        if self.stream is not None:
            self._publish_stats(force=True)
            self.stream.close_nowait()
        for task in list(self._tasks):
            task.cancel()
        if self.discovery_path is not None:
            with contextlib.suppress(OSError):
                self.discovery_path.unlink()
        if self.journal is not None:
            self.journal.close()

    def _finish_worker(self) -> None:
        assert self._worker is not None
        outputs, fail_on = self._report_options()
        try:
            reply = self._worker.finish({"outputs": outputs, "fail_on": fail_on, "sources": self._sources()})
        except worker_mod.WorkerError as exc:
            log.warning("mcscope: %s", exc)
            self._exit_code = 2
            return
        self.report = reply.get("report")
        self._exit_code = int(reply.get("exit_code", 2))

    # -- hooks --------------------------------------------------------------------------------------
    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        """Refuse proxied connections to the TCP viewer stream (CVE-2025-23217 class)."""
        stream = self.stream
        if stream is None or not stream.tcp or stream.port is None or not data.server.address:
            return
        host, port, *_ = data.server.address
        if port == stream.port and _is_loopbackish(str(host)):
            data.server.error = "mcscope: the viewer stream cannot be reached through the proxy"

    def _wanted(self, flow: http.HTTPFlow, pattern: re.Pattern[str] = COLLECTION_RE) -> bool:
        req = flow.request
        path = req.path.split("?", 1)[0].split("#", 1)[0]
        if pattern.search(path) is None:
            return False
        hosts = self._hosts
        return not hosts or host_matches(req.pretty_host, hosts)

    def request(self, flow: http.HTTPFlow) -> None:
        if self._collector is None or flow.response is not None or not ctx.options.mcscope_mock:
            return
        try:
            if not self._wanted(flow, MOCK_RE):
                return
            req = flow.request
            body = req.get_content(strict=False) if req.raw_content is not None else None
            answer = self._collector.handle(req.method, req.path, list(req.headers.items(multi=True)), body)
            headers = http.Headers([(k.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                                    for k, v in answer.headers])
            flow.response = http.Response.make(answer.status, answer.body, headers)
        except Exception as exc:
            log.warning("mcscope mock: cannot answer %s: %s", flow.request.path[:200], exc)

    def response(self, flow: http.HTTPFlow) -> None:
        self._capture(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._capture(flow)

    def _capture(self, flow: http.HTTPFlow) -> None:
        try:
            if not self._wanted(flow):
                return
            if self._worker is not None:  # the analysis process decodes it
                self._worker.submit(flow_parts(flow))
                self.exchanges += 1
                return
            ex = flow_to_exchange(flow)
        except Exception as exc:  # bad input never breaks the proxy
            log.warning("mcscope: cannot read flow %s: %s", getattr(flow, "id", "?"), exc)
            return
        self._pending.append(ex)
        if self._scheduled:
            return
        loop = self._loop
        if loop is None:
            self._drain()
        else:
            self._scheduled = True
            loop.call_soon(self._drain)

    @property
    def _loop(self) -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    # -- processing (on the loop, after the hook returned) ------------------------------------------
    def flush(self) -> None:
        """Process every queued exchange now (tests, shutdown); with a worker: send them now."""
        if self._worker is not None:
            self._worker.flush()
        self._drain()

    def _drain(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        self._start()
        deltas: list[Any] = []
        while self._pending:
            self._process(self._pending.popleft(), deltas)
        self._publish_deltas(deltas)
        self._publish_stats()

    def _process(self, ex: Exchange, deltas: list[Any]) -> None:
        self.exchanges += 1
        try:
            # Encoded once: the same bytes go to the journal, the snapshot ring and every viewer.
            line = json.dumps(exchange_to_record(ex), separators=(",", ":"), ensure_ascii=False).encode()
        except Exception as exc:  # pragma: no cover - defensive
            log.warning("mcscope: cannot serialise exchange %s: %s", ex.flow_id, exc)
            return
        if self.journal is not None:
            self.journal.append(line + b"\n")
        if self._ring.maxlen and len(self._ring) == self._ring.maxlen:
            self.dropped += 1
        self._ring.append(line)
        if self.stream is not None and self.stream.has_clients():
            self.stream.publish(b'{"type":"exchange","record":' + line + b"}\n")
        try:
            if self.analyzer is not None:
                deltas.extend(self.analyzer.feed(ex))
        except Exception as exc:  # the core never raises; be safe anyway
            log.warning("mcscope: analysis of %s failed: %s", ex.flow_id, exc)

    def _new_analyzer(self) -> None:
        from mcscope.core.session import Analyzer

        if self._config is None:
            opts = ctx.options
            self._config = build_config(opts.mcscope_ignore, opts.mcscope_severity, opts.mcscope_set)
        self.analyzer = Analyzer(self._config)

    def _rebuild_analyzer(self) -> None:
        """Rule options changed at runtime: re-analyse what is retained."""
        self._new_analyzer()
        for line in self._ring:
            try:
                self.analyzer.feed(record_to_exchange(json.loads(line)))
            except Exception as exc:  # pragma: no cover
                log.warning("mcscope: re-analysis failed: %s", exc)

    # -- stream messages ----------------------------------------------------------------------------
    def _listen(self) -> str | None:
        try:
            ps = ctx.master.addons.get("proxyserver")
            for server in getattr(ps, "servers", []):
                for addr in server.listen_addrs:
                    return f"{addr[0]}:{addr[1]}"
        except Exception:
            pass
        try:
            if ctx.options.server:
                return f"{ctx.options.listen_host or '*'}:{ctx.options.listen_port or 8080}"
        except Exception:
            pass
        return None

    def _hello(self) -> dict[str, Any]:
        ours, mitm = _versions()
        return {
            "type": "hello", "v": stream_mod.PROTOCOL_VERSION, "mcscope": ours, "mitmproxy": mitm,
            "journal": str(self.journal_path) if self.journal_path else None, "listen": self._listen(),
            "mock": self._mock(),
        }

    def _snapshot(self) -> bytes:
        self._drain()
        return b'{"type":"snapshot","records":[' + b",".join(self._ring) + (
            b'],"dropped":%d}\n' % self.dropped
        )

    def _publish_log(self, level: str, message: str) -> None:
        if self.stream is not None:
            self.stream.publish({"type": "log", "level": level, "message": message})

    def _stats(self) -> dict[str, Any]:
        an = self.analyzer
        return {
            "type": "stats",
            "exchanges": self.exchanges,
            "sessions": len(an.sessions) if an is not None else 0,
            "journal_records": self.journal.written if self.journal is not None else 0,
            "retained": len(self._ring),
            "dropped": self.dropped,
            "clients": self.stream.clients if self.stream is not None else 0,
        }

    def _publish_stats(self, force: bool = False) -> None:
        stream = self.stream
        if stream is None or not stream.has_clients():
            return
        now = time.monotonic()
        if force or now - self._last_stats >= STATS_INTERVAL:
            self._last_stats = now
            stream.publish(self._stats())

    def _publish_deltas(self, deltas: Sequence[Any]) -> None:
        stream = self.stream
        if stream is None or not stream.has_clients() or not deltas:
            return
        summaries: dict[int, bytes] = {}  # one summary per session per batch (the state after the batch)
        for d in deltas:
            try:
                msg = _delta_message(d, summaries)
            except Exception as exc:  # pragma: no cover - defensive
                log.warning("mcscope: cannot encode delta: %s", exc)
                continue
            if msg is not None:
                stream.publish(msg)

    # -- reports ------------------------------------------------------------------------------------
    @property
    def exit_code(self) -> int:
        return self._exit_code

    def _sources(self) -> list[str]:
        try:
            rfile = ctx.options.rfile
        except Exception:
            rfile = None
        if rfile:
            return [str(rfile)]
        if self.journal_path is not None:
            return [str(self.journal_path)]
        return ["live capture"]

    def _report_options(self) -> tuple[dict[str, str], str]:
        """(report kind -> target file, fail_on level)."""
        opts = ctx.options
        outputs = {"json": opts.mcscope_json, "junit": opts.mcscope_junit, "markdown": opts.mcscope_markdown}
        return outputs, opts.mcscope_fail_on

    def _write_reports(self) -> None:
        outputs, fail_on = self._report_options()
        if self.analyzer is None:
            return
        try:
            from mcscope.io import report
        except ImportError as exc:
            log.warning("mcscope: reports not available: %s", exc)
            return
        try:
            rep = report.build_report(self.analyzer, self._sources())
            self.report = rep
            self._exit_code = int(report.exit_code(rep, fail_on))
        except Exception as exc:
            log.warning("mcscope: cannot build the report: %s", exc)
            self._exit_code = 2
            return
        for kind, target in outputs.items():
            if not target:
                continue
            try:
                _write_report(report, kind, rep, Path(target).expanduser(), fail_on)
                log.info("mcscope %s report: %s", kind, target)
            except Exception as exc:
                log.warning("mcscope: cannot write the %s report %s: %s", kind, target, exc)
                self._exit_code = max(self._exit_code, 2)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _write_report(report: Any, kind: str, rep: dict[str, Any], path: Path, fail_on: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "json":
        text = json.dumps(rep, indent=2, ensure_ascii=False) + "\n"
    elif kind == "junit":
        text = report.to_junit(rep, fail_on)
    else:
        text = report.to_markdown(rep, fail_on)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _delta_message(d: Any, summaries: dict[int, bytes]) -> dict[str, Any] | bytes | None:
    """The stream message of a delta. Event and session messages are spliced from parts encoded as
    ``stream.encode`` encodes (same bytes), so that a session's summary is encoded once per batch."""
    session = d.session

    def summary() -> bytes:
        if session is None:
            return b"null"
        key = id(session)
        if key not in summaries:
            summaries[key] = _encode_value(session.summary())
        return summaries[key]

    if d.kind == "event" and d.event is not None:
        return b'{"type":"event","session":' + summary() + b',"event":' + _encode_value(d.event.to_dict()) + b"}\n"
    if d.kind == "session" and session is not None:
        return b'{"type":"session","session":' + summary() + b"}\n"
    if d.kind == "finding" and d.finding is not None:
        return {"type": "finding", "session": session.key if session else None, "finding": d.finding.to_dict()}
    return None


def _encode_value(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def make_addons() -> list[Any]:
    """The addon list for the ``-s`` shim."""
    return [McScope()]
