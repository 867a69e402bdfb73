"""What the window shows: the exchanges it has seen and the Analyzers fed with them (no Qt).

Files and the live stream go through the same path: exchange (record) -> ``Analyzer.feed`` -> deltas.
Capture files are judged the way ``mcscope check`` judges them: each file by a fresh Analyzer of its
own, finished at the file's end (:func:`load_files`), so a file gets the same verdict whatever else is
open; :class:`FileAnalysis` shows those Analyzers as one.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcscope.core.config import Config, ConfigError
from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer, Delta, Session
from mcscope.core.state import Event
from mcscope.io.capture import CaptureError, open_capture
from mcscope.io.journal import record_to_exchange

log = logging.getLogger(__name__)


def make_config(ignored: Iterable[str] = (), tunables: dict[str, float] | None = None) -> Config:
    ignored = [r for r in ignored if r]
    tunables = dict(tunables or {})
    if not ignored and not tunables:
        return Config()
    try:
        return Config.from_options(ignore=list(ignored), tunables=tunables)
    except ConfigError as exc:  # bad stored settings must not stop the window
        log.warning("ignoring invalid settings (%s)", exc)
        return Config()


class HeaderPool:
    """Shares equal header pairs between the exchanges the window keeps.

    A capture repeats the same few headers (Content-Type, User-Agent, the CORS set) on every call; a
    million kept exchanges would otherwise hold a million copies of each. Bounded: past ``limit``
    distinct pairs, new ones are kept as they are.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._pairs: dict[tuple[str, str], tuple[str, str]] = {}
        self._limit = limit

    def share(self, ex: Exchange) -> Exchange:
        ex.request_headers = self._list(ex.request_headers)
        ex.response_headers = self._list(ex.response_headers)
        return ex

    def _list(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        pairs = self._pairs
        out = []
        for pair in headers:
            shared = pairs.get(pair)
            if shared is None:
                shared = tuple(pair)  # type: ignore[assignment]
                if len(pairs) < self._limit:
                    pairs[shared] = shared
            out.append(shared)
        return out


@dataclass
class FilePart:
    """One opened capture file: its own finished Analyzer and its exchanges, ``Dataset.exchanges[start:end]``."""

    source: str  # the path as given (``path (2)`` when the same file is opened twice, like ``mcscope check``)
    analyzer: Analyzer
    start: int = 0
    end: int = 0
    error: str | None = None  # reading stopped early: what was read before is judged (as ``check`` does)


class FileAnalysis(Analyzer):
    """The finished Analyzers of several capture files, one per file, seen as one list of sessions.

    Nothing is judged here: every session, finding and status is its file's own. Session keys are made
    unique across files (the same capture opened as .har and .mitm has the same sids): a later file's
    ``key`` gets ``~2``, ``~3`` ... as a key repeated inside one capture does.
    """

    def __init__(self, config: Config, parts: list[FilePart]) -> None:
        super().__init__(config)
        self.parts = parts
        self._part_of: dict[str, FilePart] = {}
        for part in parts:
            for s in part.analyzer.sessions:
                base, n = s.key, 1
                while s.key in self._by_key:
                    n += 1
                    s.key = f"{base}~{n}"
                self.sessions.append(s)
                self._by_key[s.key] = s
                self._part_of[s.key] = part
            self.transport_findings.extend(part.analyzer.transport_findings)
            self.exchanges_seen += part.analyzer.exchanges_seen
        self._finished = True

    def feed(self, ex: Exchange) -> list[Delta]:
        raise TypeError("the files are judged: open them again (or rebuild the Dataset) to judge more")

    def part_of(self, key: str) -> FilePart | None:
        return self._part_of.get(key)


def judge_file(path: str, config: Config, on_exchange: Callable[[Exchange, int], bool] | None = None
               ) -> tuple[Analyzer, list[Exchange], str | None, bool]:
    """One capture by a fresh Analyzer, finished at its end, exactly as ``mcscope check`` does:
    (analyzer, exchanges, problem or None, opened). ``opened`` False: not a capture (nothing read).

    ``on_exchange(exchange, bytes read so far)`` sees every exchange read; returning False stops (cancel)."""
    analyzer = Analyzer(config)
    exchanges: list[Exchange] = []
    try:
        capture = open_capture(path)
    except CaptureError as exc:
        return analyzer, exchanges, _short(path, exc.message), False
    except OSError as exc:
        return analyzer, exchanges, f"{Path(path).name}: cannot read ({exc.strerror or exc})", False
    problem: str | None = None
    try:
        for ex in capture:
            exchanges.append(ex)
            analyzer.feed(ex)
            if on_exchange is not None and not on_exchange(ex, capture.position):
                problem = "cancelled"
                break
    except CaptureError as exc:
        problem = f"{_short(path, exc.message)} (judged the {exc.read_count} exchanges read before that)"
    except Exception as exc:
        # Boundary: a damaged or foreign file may fail its reader in any way (mitmproxy's own parser
        # included). Keep what was read so far and name the file in the problem.
        problem = f"{_describe_read_error(path, exc)} (judged the {len(exchanges)} exchanges read before that)"
    analyzer.finish()
    return analyzer, exchanges, problem, True


@dataclass
class LoadResult:
    """What opening files produced. ``paths``: the files shown (captures); ``skipped``: (path, why) of the
    others; ``error``: one line for the window (skipped files, a file read only in part, a cancel)."""

    paths: list[str]
    exchanges: list[Exchange] = field(default_factory=list)
    analyzer: Analyzer | None = None
    error: str | None = None
    read_count: int = 0
    seconds: float = 0.0
    requested: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    parts: list[FilePart] = field(default_factory=list)


def load_files(paths: Iterable[str], config: Config, *,
               progress: Callable[[int, int], None] | None = None,
               cancelled: Callable[[], bool] = lambda: False, every: int = 2000) -> LoadResult:
    """Judge each capture file on its own (:func:`judge_file`) and show them together (:class:`FileAnalysis`).

    Files that are not captures (unknown format, missing, a directory ...) are skipped and named in
    ``skipped``; the other files load all the same. ``progress(exchanges read, permille)``."""
    t0 = time.perf_counter()
    requested = [str(p) for p in paths]
    result = LoadResult(paths=[], requested=requested)
    sizes = [_size(p) for p in requested]
    total = sum(sizes) or 1
    pool = HeaderPool()
    before = 0
    problems: list[str] = []
    labels: set[str] = set()
    for path, size in zip(requested, sizes, strict=True):
        if cancelled():
            problems.append("cancelled")
            break
        start = len(result.exchanges)

        def seen(ex: Exchange, position: int, _before: int = before) -> bool:
            result.exchanges.append(pool.share(ex))
            done = len(result.exchanges)
            if progress is not None and done % every == 0:
                progress(done, int(1000 * min(1.0, (_before + position) / total)))
            return not cancelled()

        analyzer, _, problem, opened = judge_file(path, config, seen)
        before += size
        if not opened:
            result.skipped.append((path, problem or "not a capture"))
            continue
        source, n = path, 2
        while source in labels:  # the same file named twice: keep both, named as ``mcscope check`` names them
            source = f"{path} ({n})"
            n += 1
        labels.add(source)
        result.paths.append(source)
        result.parts.append(FilePart(source, analyzer, start, len(result.exchanges), problem))
        if problem:
            problems.append(problem)
        if progress is not None:
            progress(len(result.exchanges), int(1000 * before / total))
        if problem == "cancelled":
            break
    result.analyzer = FileAnalysis(config, result.parts)
    result.error = _load_problem(requested, result.skipped, problems)
    result.read_count = len(result.exchanges)
    result.seconds = time.perf_counter() - t0
    return result


def _load_problem(requested: list[str], skipped: list[tuple[str, str]], problems: list[str]) -> str | None:
    parts: list[str] = []
    if skipped:
        what = "; ".join(reason for _, reason in skipped)
        parts.append(f"Skipped {len(skipped)} of {len(requested)} file{'s' if len(requested) != 1 else ''} "
                     f"({what})")
    parts.extend(p for p in problems if p != "cancelled")
    if "cancelled" in problems:
        parts.append("cancelled")
    if not parts:
        return None
    return "; ".join(parts)


def _short(path: str, message: str) -> str:
    """``name: message`` (the reader's messages start with the full path)."""
    name = Path(path).name
    for prefix in (f"{path}: ", f"{Path(path)}: ", f"{name}: "):
        if message.startswith(prefix):
            return f"{name}: {message[len(prefix):]}"
    return message if message.startswith(name) else f"{name}: {message}"


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _describe_read_error(path: str, exc: Exception) -> str:
    name = Path(path).name
    msg = str(exc) or type(exc).__name__
    for prefix in (f"{path}: ", f"{name}: "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return f"{name}: {msg}"


class Dataset:
    """Exchanges + the Analyzer built from them. Replaced wholesale when files are opened.

    A file dataset's ``analyzer`` is a :class:`FileAnalysis` (one finished Analyzer per file)."""

    def __init__(self, config: Config | None = None, analyzer: Analyzer | None = None,
                 exchanges: list[Exchange] | None = None, sources: list[str] | None = None,
                 live: bool = False) -> None:
        self.config = config if config is not None else make_config()
        self.analyzer = analyzer if analyzer is not None else Analyzer(self.config)
        self.exchanges: list[Exchange] = exchanges if exchanges is not None else []
        self.sources: list[str] = sources or []
        self.live = live
        self.bad_records = 0
        self.headers = HeaderPool()
        self._flow_index: dict[int, dict[str, Exchange]] = {}

    @property
    def sessions(self) -> list[Session]:
        return list(self.analyzer.sessions)

    def feed(self, ex: Exchange) -> list[Delta]:
        self.exchanges.append(self.headers.share(ex))
        return self.analyzer.feed(ex)

    def feed_records(self, records: Iterable[dict[str, Any]]) -> list[Delta]:
        """Feed stream records; malformed ones are counted in ``bad_records`` and skipped."""
        deltas: list[Delta] = []
        for rec in records:
            try:
                ex = record_to_exchange(rec)
            except (ValueError, TypeError, KeyError) as exc:  # what record_to_exchange raises on a bad record
                self.bad_records += 1
                log.warning("skipping an unreadable stream record: %s", exc)
                continue
            deltas.extend(self.feed(ex))
        return deltas

    def finish(self) -> list[Delta]:
        return self.analyzer.finish()

    @property
    def parts(self) -> list[FilePart]:
        """The opened files, each with its own Analyzer (empty for a live dataset)."""
        an = self.analyzer
        return list(an.parts) if isinstance(an, FileAnalysis) else []

    def rebuilt(self, config: Config) -> Dataset:
        """A new Dataset over the same exchanges with another configuration (settings changed)."""
        if isinstance(self.analyzer, FileAnalysis):
            parts = []
            for part in self.analyzer.parts:
                an = Analyzer(config)
                for ex in self.exchanges[part.start:part.end]:
                    an.feed(ex)
                an.finish()
                parts.append(FilePart(part.source, an, part.start, part.end, part.error))
            return Dataset(config=config, analyzer=FileAnalysis(config, parts), exchanges=self.exchanges,
                           sources=self.sources, live=False)
        new = Dataset(config=config, sources=self.sources, live=self.live)
        for ex in self.exchanges:
            new.feed(ex)
        if not self.live:
            new.finish()
        return new

    def session(self, key: str) -> Session | None:
        return self.analyzer.session(key)

    def exchanges_of(self, key: str | None) -> list[Exchange]:
        """The exchanges the session ``key`` was judged from: its file's (all of them when live)."""
        an = self.analyzer
        part = an.part_of(key) if key is not None and isinstance(an, FileAnalysis) else None
        return self.exchanges[part.start:part.end] if part is not None else self.exchanges

    def source_of(self, key: str) -> str | None:
        """The file a session was read from (None: live, or unknown key)."""
        an = self.analyzer
        part = an.part_of(key) if isinstance(an, FileAnalysis) else None
        return part.source if part is not None else None

    def exchange_of(self, event: Event, key: str | None = None) -> Exchange | None:
        """The exchange that carried ``event`` of session ``key`` (looked up in the session's own file: two
        files may use the same flow ids)."""
        if not event.flow:
            return None
        an = self.analyzer
        part = an.part_of(key) if key is not None and isinstance(an, FileAnalysis) else None
        slot = -1 if part is None else part.start
        index = self._flow_index.get(slot)
        if index is None or (part is None and len(index) < len(self.exchanges)):  # live: exchanges were added
            index = {ex.flow_id: ex for ex in self.exchanges_of(key)}
            self._flow_index[slot] = index
        return index.get(event.flow)

    def event_count(self) -> int:
        return sum(len(s.events) for s in self.analyzer.sessions)
