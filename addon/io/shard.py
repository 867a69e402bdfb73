"""Judge a large capture (a journal, a HAR or .mitm file) in several processes, with exactly the result of
one process.

``mcscope check`` is CPU-bound (tens of µs per event). A journal interleaves many sessions, and sessions
are independent except for what the Analyzer shares between them:

* the sessions of one sid (``_by_sid``, ``_gone``) and the session keys (``_by_key``, ``~2`` suffixes);
* the client rules (``addon/rules/clients.py``), which compare a session start with the client's earlier
  sessions;
* the start of the capture (the earliest collection call so far: ``no-session-start`` says "mid-session"
  from it) and its end (the latest event: ``finish()`` decides "expired" from it).

Every worker reads the whole journal and routes every line with the same deterministic :class:`Router`:
all calls of one sid and all sessions of one key go to one shard, new sessions are dealt round robin, and
the capture start is tracked over every line. Routing an event call needs only the start of its line
(flow, method, url, t_start, in the order mcscope writes them); session starts and downloaded batches (one
per session) are parsed in full by every worker, and every worker's ClientTracker sees every session start
(sessions of other shards as stand-ins). When a session start has an earlier session of the same client
in another shard, the owner of that earlier session records whether it was still open at that line, and
the owner of the new session records where the finding would go; the parent puts it there.

A HAR or .mitm file has no line layout to route from: every worker reads all its exchanges as the one-process
check does (sorted by request start), routes an event call from its method, url and start alone, and parses
the rest in full; the "line" of an exchange is its place in that order.

A worker judges only its own lines, fully parsed, and checks that they are what the router assumed. The
parent merges sessions and transport findings in capture order and calls ``finish()`` once with the end of
the whole capture. Anything unusual (a corrupt line other than a torn last one, a sid whose calls would
land in two shards, a key with ``~``, a line whose start does not match its full parse, a worker that
failed) makes :func:`check_journal` return None, and the caller judges the file in one process.

Rules must stay per session (they may not read other sessions, nor a session's own findings) for this to
hold; ``tests/addon/test_shard.py`` compares sharded and single-process results on varied captures.

Core module: never imports mitmproxy or Qt. Uses the ``fork`` start method (Linux), so call it only from
a single-threaded process (the ``mcscope check`` command). Needs ``Config.keep_events`` False.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcscope.core import exchange as xch
from mcscope.core.config import Config
from mcscope.core.edge_exchange import is_edge_path
from mcscope.core.fastjson import loads_line
from mcscope.core.model import Exchange, Finding
from mcscope.core.rules.clients import ClientTracker, restarted_message, still_open
from mcscope.core.session import EMPTY_SID_KEY, Analyzer, Session
from mcscope.core.state import Event
from mcscope.io.journal import line_to_exchange, record_to_exchange, tolerated_bad_line

#: Below this size one process is faster than forking and reading the file twice.
MIN_SIZE = 16 * 1024 * 1024
#: Capture formats that can be judged in several processes.
FORMATS = frozenset({"journal", "har", "mitm"})
MAX_JOBS = 8

# An exchange line as mcscope writes it starts with these keys, in this order (compact JSON).
_LINE_HEAD_RE = re.compile(rb'\{"type":"exchange","flow":"[^"]*","method":"([^"]*)","url":"([^"]*)","t_start":([^,}]*)')


class Conflict(Exception):
    """The journal cannot be split without changing the result: judge it in one process."""


def _refuse_edge(url: bytes | str) -> None:
    """Media Edge sessions are keyed by the answers of their calls, which the router does not follow: a
    capture with Media Edge calls is judged in one process (Conflict), so its result stays the same."""
    if isinstance(url, bytes):
        if b"/ee" not in url.lower():
            return
        url = url.decode("utf-8", "surrogatepass")
    elif "/ee" not in url.lower():
        return
    if is_edge_path(url.split("?", 1)[0].split("#", 1)[0]):
        raise Conflict("Media Edge calls")


def default_jobs() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS))


def default_capture_jobs() -> int:
    """``--jobs`` left at its default, for a HAR or .mitm file: one process below 4 CPUs.

    Every worker decodes the whole file (there are no lines to route from), and decoding is about half of
    the time: on 2 cores, with other work on the machine, 2 workers took 11-15 s for the 100,000-event bench
    HAR where one process took 6-8 s (same run). With more cores the judging they share outweighs it.
    """
    jobs = default_jobs()
    return jobs if jobs >= 4 else 1


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


# --------------------------------------------------------------------------------------------------
# Routing


Head = tuple[bytes, bytes, float]  # method, url, t_start


def line_head(line: bytes) -> Head | None:
    """(method, url, t_start) from the start of a line in mcscope's layout, or None for any other line.

    Only a cheap guess (strings still encoded, escapes not undone): routing uses it, and the worker that
    judges the line checks it against the full parse (``head_matches``).
    """
    match = _LINE_HEAD_RE.match(line)
    if match is None:
        return None
    method, url, t_start = match.groups()
    try:
        t = 0.0 if t_start == b"null" else float(t_start) or 0.0  # as record_to_exchange: d.get(...) or 0.0
    except ValueError:
        return None
    return method, url, t


def head_matches(head: Head, ex: Exchange) -> bool:
    """Is ``ex``, the full parse of a line, what the start of the line said?"""
    method, url, t_start = head
    return t_start == ex.timestamp_start and url == _encode(ex.url) and method == _encode(ex.method)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class Router:
    """Deals the exchanges of one journal to ``shards`` shards; every worker makes the same decisions."""

    def __init__(self, shards: int) -> None:
        self.shards = shards
        self.capture_start: float | None = None  # as Analyzer._capture_start, over the whole journal
        self.start_event: Event | None = None  # the sessionStart the last routed exchange opened a session with
        self._by_sid: dict[str, int] = {}
        self._by_key: dict[str, int] = {}
        self._endpoints: dict[bytes, tuple[str | None, str | None]] = {}
        self._routes: dict[bytes, int] = {}  # events URL -> the shard of its sid
        self._next = 0

    def endpoint(self, url: bytes, method: bytes) -> tuple[str | None, str | None]:
        """(endpoint, sid) of a line's url and method, exactly as ``parse_exchange`` decides them."""
        known = self._endpoints.get(url) if method == b"POST" else None
        if known is not None:
            return known
        try:
            text, verb = url.decode("utf-8", "surrogatepass"), method.decode("utf-8", "surrogatepass")
            endpoint, sid, _ = xch.classify_url(text)
        except ValueError:  # UnicodeDecodeError: the full parse will say it is a bad line
            return None, None
        if endpoint is not None and verb != "POST" and verb.upper() == "OPTIONS":
            return None, None
        if verb == "POST" and len(self._endpoints) < 8192:
            self._endpoints[url] = endpoint, sid  # every event of a session goes to the same URL
        return endpoint, sid

    def route_head(self, lineno: int, head: Head) -> int | None:
        """The shard of an event call or a non-collection call from the start of its line; None: parse it all."""
        method, url, t_start = head
        if method == b"POST":
            shard = self._routes.get(url)
            if shard is not None:  # the events URL of a sid that has its shard (for good)
                self.start_event = None
                if self.capture_start is None or t_start < self.capture_start:
                    self.capture_start = t_start
                return shard
        endpoint, sid = self.endpoint(url, method)
        if endpoint == xch.EVENTS:
            shard = self.route_events(sid, t_start)
            if method == b"POST" and len(self._routes) < 65536:
                self._routes[url] = shard
            return shard
        if endpoint is None:
            _refuse_edge(url)
            return self.route_other(lineno)
        return None

    def route_events(self, sid: str | None, t_start: float) -> int:
        self.start_event = None
        if self.capture_start is None or t_start < self.capture_start:
            self.capture_start = t_start
        shard = self._by_sid.get(sid or "")
        if shard is None:  # the Analyzer opens a session keyed by the sid
            shard = self._assign(None, sid or EMPTY_SID_KEY)
            self._by_sid[sid or ""] = shard
        return shard

    def route_other(self, lineno: int) -> int:
        """Calls that open no session: non-collection calls, or transport findings only."""
        self.start_event = None
        return lineno % self.shards

    def route_exchange(self, lineno: int, ex: Exchange) -> int:
        """Any exchange, fully parsed (session starts, downloaded batches, lines in another layout)."""
        parsed = xch.parse_exchange(ex)
        if parsed.endpoint is None:
            _refuse_edge(ex.url)
            return self.route_other(lineno)
        if parsed.endpoint == xch.EVENTS:
            return self.route_events(parsed.sid, ex.timestamp_start)
        self._collection(ex.timestamp_start)
        if parsed.endpoint == xch.DOWNLOADED or parsed.is_array:  # as Analyzer.feed: a batch, split by the analyzer
            if parsed.skip_events and not isinstance(parsed.payload, list | dict):
                return self.route_other(lineno)
            self.start_event = None
            return self._assign(None, f"downloaded:{ex.flow_id}")
        if parsed.skip_events and parsed.sid is None:  # as Analyzer._session_start
            return self.route_other(lineno)
        shard = self._assign(None if parsed.sid is None else self._by_sid.get(parsed.sid),
                             parsed.sid or f"flow:{ex.flow_id}")
        if parsed.sid is not None:
            self._by_sid[parsed.sid] = shard
        ev = Event(0, parsed.sid, ex.flow_id, parsed.bodies[0] if parsed.bodies else None, ex.timestamp_start,
                   ex.response_status)
        self.start_event = ev if ev.event_type == "sessionStart" else None
        return shard

    def _collection(self, t_start: float) -> None:
        if self.capture_start is None or t_start < self.capture_start:
            self.capture_start = t_start

    def _assign(self, known: int | None, key: str) -> int:
        """The shard of a new session: the one its sid or key already has, else the next in turn."""
        if "~" in key:
            raise Conflict(f"session key {key!r} could collide with a numbered key")
        by_key = self._by_key.get(key)
        if known is not None and by_key is not None and known != by_key:
            raise Conflict(f"session {key!r} belongs to two shards")
        shard = known if known is not None else by_key
        if shard is None:
            shard = self._next
            self._next = (self._next + 1) % self.shards
        self._by_key[key] = shard
        return shard


# --------------------------------------------------------------------------------------------------
# Client rules across shards


class _Remote:
    """A session judged by another shard, as this shard's ClientTracker sees it."""

    __slots__ = ("client",)

    def __init__(self) -> None:
        self.client: str | None = None


@dataclass(slots=True)
class Deferred:
    """A session-restarted verdict that the shard of the earlier session gives: where its finding goes."""

    line: int
    session: Session
    event: Event
    media_id: str
    findings_at: int  # len(session.findings) when ClientTracker judged it
    event_findings_at: int


class _ShardClients(ClientTracker):
    """Sees every session start of the journal; judges the ones of its shard, answers for its sessions."""

    def __init__(self, worker: _Worker) -> None:
        super().__init__()
        self.worker = worker

    def install_id_changed(self, s: Any, ev: Event, aid: str, previous: str) -> None:
        if not isinstance(s, _Remote):
            super().install_id_changed(s, ev, aid, previous)

    def restarted(self, s: Any, ev: Event, media_id: str, earlier: Any) -> None:
        here, earlier_here = not isinstance(s, _Remote), not isinstance(earlier, _Remote)
        result = self.worker.result
        if here and earlier_here:
            super().restarted(s, ev, media_id, earlier)
        elif here:
            result.deferred.append(Deferred(self.worker.line, s, ev, media_id, len(s.findings), len(ev.findings)))
        elif earlier_here:
            result.answers[self.worker.line] = restarted_message(media_id, earlier) if still_open(earlier, ev) else None


# --------------------------------------------------------------------------------------------------
# One worker


@dataclass
class ShardResult:
    sessions: list[tuple[int, Session]] = field(default_factory=list)  # (line that opened it, session)
    transport: list[tuple[int, Finding]] = field(default_factory=list)  # (line, finding), in order
    deferred: list[Deferred] = field(default_factory=list)
    answers: dict[int, str | None] = field(default_factory=dict)  # line -> session-restarted message or None
    exchanges_seen: int = 0
    latest_t: int | None = None
    gone: set[str] = field(default_factory=set)
    torn_line: int | None = None


class _Worker:
    def __init__(self, config: Config, shard: int, shards: int) -> None:
        self.shard = shard
        self.router = Router(shards)
        self.result = ShardResult()
        self.clients = _ShardClients(self)
        self.analyzer = Analyzer(config, clients=self.clients)
        self.line = 0

    def run(self, path: str | Path, tick: Callable[[int, int], None] | None) -> ShardResult:
        position = 0
        with open(path, "rb") as fh:
            for line in fh:
                self.line += 1
                if tick is not None:
                    position += len(line)
                    if not self.line % 1024:
                        tick(self.line, position)
                if not self._line(line):
                    # as read_journal: a torn record is no corruption; anything else is for the one-process
                    # reader to report
                    if tolerated_bad_line(line) is None:
                        raise Conflict(f"corrupt line {self.line}")
                    self.result.torn_line = self.line
        an = self.analyzer
        self.result.exchanges_seen = an.exchanges_seen
        self.result.latest_t = an.latest_t
        self.result.gone = an.gone_sids
        return self.result

    def run_capture(self, path: str | Path, tick: Callable[[int, int], None] | None) -> ShardResult:
        """The same for a HAR or .mitm file: its exchanges as the one-process check reads them (sorted by
        request start), routed as lines are. A capture that cannot be read whole raises (CaptureError): the
        one-process check then reads it and reports the error."""
        from mcscope.io.capture import Capture

        capture = Capture(path)
        router, clients = self.router, self.clients
        for ex in capture:
            self.line += 1
            if tick is not None and not self.line % 1024:
                tick(self.line, capture.position)
            target = router.route_head(self.line, (_encode(ex.method), _encode(ex.url), ex.timestamp_start))
            if target is None:  # a session start or a downloaded batch: every worker parses it
                target = router.route_exchange(self.line, ex)
                if target != self.shard and router.start_event is not None:
                    clients.on_session_start(_Remote(), router.start_event, ex)  # type: ignore[arg-type]
            if target == self.shard:
                self._feed(ex)
        an = self.analyzer
        self.result.exchanges_seen = an.exchanges_seen
        self.result.latest_t = an.latest_t
        self.result.gone = an.gone_sids
        return self.result

    def _line(self, line: bytes) -> bool:
        """Route one line and judge it if it is ours; False for a bad line."""
        head = line_head(line)
        if head is None:
            return True if not line.strip() else self._full(line, None)
        target = self.router.route_head(self.line, head)
        if target is None:  # a session start or a downloaded batch
            return self._full(line, head)
        if target != self.shard:
            return True
        ex = _read_exchange(line)
        if ex is None:
            return False
        if not head_matches(head, ex):
            raise Conflict(f"line {self.line}: its start does not match its full parse")
        self._feed(ex)
        return True

    def _full(self, line: bytes, head: Head | None) -> bool:
        """Session starts, downloaded batches and lines in another layout: every worker parses them."""
        ex = line_to_exchange(line)
        if ex is None:
            try:
                obj = loads_line(line)
            except (ValueError, RecursionError):
                return False
            if not isinstance(obj, dict):
                return False
            if obj.get("type") != "exchange":
                if head is not None:
                    raise Conflict(f"line {self.line} is not the exchange its start says")
                return True
            try:
                ex = record_to_exchange(obj)
            except (ValueError, TypeError, KeyError):
                return False
        if head is not None and not head_matches(head, ex):
            raise Conflict(f"line {self.line}: its start does not match its full parse")
        if self.router.route_exchange(self.line, ex) == self.shard:
            self._feed(ex)
        elif self.router.start_event is not None:  # another shard's session: the client rules still see it
            self.clients.on_session_start(_Remote(), self.router.start_event, ex)  # type: ignore[arg-type]
        return True

    def _feed(self, ex: Exchange) -> None:
        an = self.analyzer
        sessions, transport = len(an.sessions), len(an.transport_findings)
        an.set_capture_start(self.router.capture_start)
        an.feed(ex)
        if len(an.sessions) != sessions:
            self.result.sessions.extend((self.line, s) for s in an.sessions[sessions:])
        if len(an.transport_findings) != transport:
            self.result.transport.extend((self.line, f) for f in an.transport_findings[transport:])


def run_shard(
    path: str | Path, config: Config, shard: int, shards: int, tick: Callable[[int, int], None] | None = None,
    fmt: str = "journal",
) -> ShardResult:
    """Judge this shard's lines of a journal (exchanges of a HAR/.mitm file); Conflict when it cannot be split."""
    worker = _Worker(config, shard, shards)
    return worker.run(path, tick) if fmt == "journal" else worker.run_capture(path, tick)


def _read_exchange(line: bytes) -> Exchange | None:
    """A line as Capture._read_journal reads it, or None for a bad line."""
    ex = line_to_exchange(line)
    if ex is not None:
        return ex
    try:
        obj = loads_line(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    if obj.get("type") != "exchange":
        raise Conflict("a line is not the exchange its start says")
    try:
        return record_to_exchange(obj)
    except (ValueError, TypeError, KeyError):
        return None


# --------------------------------------------------------------------------------------------------
# The parent


def check_journal(
    path: str | Path, config: Config, jobs: int, tick: Callable[[int, int], None] | None = None,
    fmt: str = "journal",
) -> Analyzer | None:
    """A finished Analyzer equal to one fed the whole capture, or None when it must run in one process.

    ``fmt`` is the capture's format (:data:`FORMATS`): a journal's lines are routed from their start; a HAR
    or .mitm file is read whole by every worker (sorted, as the one-process check reads it) and each judges
    its own exchanges."""
    if config.keep_events or jobs < 2:
        return None
    ctx = multiprocessing.get_context("fork")
    children = []
    for shard in range(1, jobs):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, str(path), config, shard, jobs, fmt), daemon=True)
        proc.start()
        send.close()
        children.append((proc, recv))
    results: list[ShardResult | None] = []
    try:
        results.append(run_shard(path, config, 0, jobs, tick, fmt))
    except Exception:  # Conflict, or any failure of a shard: the one-process check runs and reports it
        results.append(None)
    for proc, recv in children:
        try:
            results.append(recv.recv() if results[0] is not None else None)
        except (EOFError, OSError):
            results.append(None)
        finally:
            recv.close()
            if results[0] is None:
                proc.terminate()
            proc.join()
    if any(r is None for r in results):
        return None
    try:
        return merge(config, [r for r in results if r is not None])
    except Conflict:
        return None


def _child(conn: multiprocessing.connection.Connection, path: str, config: Config, shard: int, jobs: int,
           fmt: str = "journal") -> None:
    try:
        result: ShardResult | None = run_shard(path, config, shard, jobs, fmt=fmt)
    except Exception:  # Conflict, or any failure: a child must answer, and the parent then checks alone
        result = None
    try:
        conn.send(result)
    finally:
        conn.close()


def merge(config: Config, results: list[ShardResult]) -> Analyzer:
    """One Analyzer holding every shard's sessions and transport findings in capture order, finished."""
    answers: dict[int, str | None] = {}
    for r in results:
        answers.update(r.answers)
    for r in results:
        for d in r.deferred:
            if d.line not in answers:
                raise Conflict(f"no shard answered for the session start at line {d.line}")
            message = answers[d.line]
            if message is not None:
                _place(d, message)
    sessions = sorted((item for r in results for item in r.sessions), key=lambda item: item[0])
    transport = sorted((item for r in results for item in r.transport), key=lambda item: item[0])
    latest = [r.latest_t for r in results if r.latest_t is not None]
    an = Analyzer.from_parts(
        config,
        sessions=[s for _, s in sessions],
        transport_findings=[f for _, f in transport],
        exchanges_seen=sum(r.exchanges_seen for r in results),
        latest_t=max(latest) if latest else None,
        gone=set().union(*(r.gone for r in results)),
    )
    an.finish()
    return an


def _place(d: Deferred, message: str) -> None:
    """Emit a deferred session-restarted finding where ClientTracker would have emitted it."""
    finding = d.session.emit("session-restarted", message, d.event)
    if finding is None:  # the rule is ignored
        return
    d.session.findings.pop()
    d.session.findings.insert(d.findings_at, finding)
    d.event.findings.pop()
    d.event.findings.insert(d.event_findings_at, finding)
