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
from collections.abc import Callable, Iterable, Iterator
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
    """Shares what the exchanges the window keeps repeat: header pairs, whole header lists, methods and urls.

    A capture repeats the same few headers (Content-Type, User-Agent, the CORS set) on every call, and every
    event call of a session has the same url; a million kept exchanges would otherwise hold a million copies
    of each (about 350 bytes an exchange). Bounded: past ``limit`` distinct values of a kind, new ones are
    kept as they are. Kept header lists are shared and must not be changed in place (nothing does: the
    redactor builds new ones).
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._pairs: dict[tuple[str, str], tuple[str, str]] = {}
        self._lists: dict[tuple[tuple[str, str], ...], list[tuple[str, str]]] = {}
        self._strings: dict[str, str] = {}
        self._limit = limit

    def share(self, ex: Exchange) -> Exchange:
        ex.request_headers = self._list(ex.request_headers)
        ex.response_headers = self._list(ex.response_headers)
        ex.method = self._string(ex.method)
        ex.url = self._string(ex.url)
        return ex

    def _string(self, text: str) -> str:
        shared = self._strings.get(text)
        if shared is None:
            if len(self._strings) < self._limit:
                self._strings[text] = text
            return text
        return shared

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
        key = tuple(out)
        same = self._lists.get(key)
        if same is not None:
            return same
        if len(self._lists) < self._limit:
            self._lists[key] = out
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

    While files load (:class:`FilesJudging`) it grows: finished files are added with :meth:`add_part`, and
    the sessions of the file being read are listed as they appear (:meth:`show_current`), still open.
    """

    def __init__(self, config: Config, parts: Iterable[FilePart] = ()) -> None:
        super().__init__(config)
        self.parts: list[FilePart] = []
        self._part_of: dict[str, FilePart] = {}
        self._current: FilePart | None = None
        self._current_shown = 0  # how many of the current file's sessions were looked at
        self._current_keys: set[str] = set()
        for part in parts:
            self.add_part(part)
        self._finished = True

    def add_part(self, part: FilePart) -> None:
        """A file whose Analyzer is finished: its sessions, keys made unique over the files before it."""
        if part is self._current:
            self._drop_current()
        for s in part.analyzer.sessions:
            base, n = s.key, 1
            while s.key in self._by_key:
                n += 1
                s.key = f"{base}~{n}"
            self.sessions.append(s)
            self._by_key[s.key] = s
            self._part_of[s.key] = part
        self.parts.append(part)
        self.transport_findings.extend(part.analyzer.transport_findings)
        self.exchanges_seen += part.analyzer.exchanges_seen

    def set_current(self, part: FilePart | None) -> None:
        """The file being read now (its Analyzer not finished): its sessions are shown as they appear."""
        self._drop_current()
        self._current = part

    def show_current(self) -> int:
        """List the current file's new sessions; how many were added. A session whose key an earlier file
        already uses waits for the file's end (:meth:`add_part` gives it its ``~N`` key)."""
        part = self._current
        if part is None:
            return 0
        found = part.analyzer.sessions
        added = 0
        for s in found[self._current_shown:]:
            if s.key in self._by_key:
                continue
            self.sessions.append(s)
            self._by_key[s.key] = s
            self._part_of[s.key] = part
            self._current_keys.add(s.key)
            added += 1
        self._current_shown = len(found)
        return added

    def _drop_current(self) -> None:
        if self._current_keys:
            keys = self._current_keys
            self.sessions = [s for s in self.sessions if s.key not in keys]
            for k in keys:
                self._by_key.pop(k, None)
                self._part_of.pop(k, None)
        self._current, self._current_shown, self._current_keys = None, 0, set()

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


@dataclass(slots=True)
class FileStart:
    """:func:`read_files` begins a file; ``opened`` False: not a capture (``problem`` says why), skipped."""

    path: str
    size: int
    opened: bool
    problem: str | None = None


@dataclass(slots=True)
class Batch:
    """The next exchanges of the file being read; ``position``: bytes of it read so far."""

    exchanges: list[Exchange]
    position: int


@dataclass(slots=True)
class FileEnd:
    """The file being read ended: ``problem`` (None, a read error, or "cancelled")."""

    problem: str | None


@dataclass(slots=True)
class Cancelled:
    """Cancelled between two files."""


ReadItem = FileStart | Batch | FileEnd | Cancelled


def read_files(paths: Iterable[str], cancelled: Callable[[], bool] = lambda: False, *, batch: int = 128,
               pool: HeaderPool | None = None) -> Iterator[ReadItem]:
    """Read capture files (nothing judged): a :class:`FileStart`, its :class:`Batch` es and a :class:`FileEnd`
    per file, in order. Readers' errors end a file with what was read before them, as ``mcscope check`` does;
    ``pool`` shares the exchanges' repeated values."""
    for path in paths:
        if cancelled():
            yield Cancelled()
            return
        size = _size(path)
        try:
            capture = open_capture(path)
        except CaptureError as exc:
            yield FileStart(path, size, False, _short(path, exc.message))
            continue
        except OSError as exc:
            yield FileStart(path, size, False, f"{Path(path).name}: cannot read ({exc.strerror or exc})")
            continue
        yield FileStart(path, size, True)
        problem: str | None = None
        chunk: list[Exchange] = []
        count = 0
        try:
            for ex in capture:
                chunk.append(pool.share(ex) if pool is not None else ex)
                count += 1
                if len(chunk) >= batch:
                    yield Batch(chunk, capture.position)
                    chunk = []
                    if cancelled():
                        problem = "cancelled"
                        break
        except CaptureError as exc:
            problem = f"{_short(path, exc.message)} (judged the {exc.read_count} exchanges read before that)"
        except Exception as exc:
            # Boundary: a damaged or foreign file may fail its reader in any way (mitmproxy's own parser
            # included). Keep what was read so far and name the file in the problem.
            problem = f"{_describe_read_error(path, exc)} (judged the {count} exchanges read before that)"
        if chunk:
            yield Batch(chunk, capture.position)
        yield FileEnd(problem)
        if problem == "cancelled":
            return


class FilesJudging:
    """Judges what :func:`read_files` reads, each file by a fresh Analyzer finished at its end, exactly as
    ``mcscope check`` does; :attr:`analysis` shows the files so far (the one being read with its sessions
    still open) and becomes the final :class:`FileAnalysis`. Runs where the sessions are looked at (the
    window's GUI thread): the reader can then run in another thread without sharing a changing session."""

    def __init__(self, paths: Iterable[str], config: Config) -> None:
        self.t0 = time.perf_counter()
        self.config = config
        self.requested = [str(p) for p in paths]
        self.exchanges: list[Exchange] = []
        self.analysis = FileAnalysis(config)
        self.skipped: list[tuple[str, str]] = []
        self.problems: list[str] = []
        self._labels: set[str] = set()
        self._part: FilePart | None = None
        self._total = sum(_size(p) for p in self.requested) or 1
        self._before = 0  # bytes of the files before the current one
        self._size = 0
        self._position = 0
        self._seen: dict[int, tuple[object, ...]] = {}  # id(session) -> what changed() saw of it

    def apply(self, item: ReadItem) -> None:
        if isinstance(item, Batch):
            part = self._part
            if part is None:
                return
            feed = part.analyzer.feed
            self.exchanges.extend(item.exchanges)
            for ex in item.exchanges:
                feed(ex)
            part.end = len(self.exchanges)  # the file's exchanges so far (the details pane looks them up)
            self._position = item.position
        elif isinstance(item, FileStart):
            self._size, self._position = item.size, 0
            if not item.opened:
                self.skipped.append((item.path, item.problem or "not a capture"))
                self._before += item.size
                return
            source, n = item.path, 2
            while source in self._labels:  # the same file twice: keep both, named as ``mcscope check`` names them
                source = f"{item.path} ({n})"
                n += 1
            self._labels.add(source)
            self._part = FilePart(source, Analyzer(self.config), len(self.exchanges), len(self.exchanges))
            self.analysis.set_current(self._part)
        elif isinstance(item, FileEnd):
            part, self._part = self._part, None
            if part is None:
                return
            part.analyzer.finish()
            part.end, part.error = len(self.exchanges), item.problem
            self.analysis.add_part(part)
            if item.problem:
                self.problems.append(item.problem)
            self._before += self._size
            self._size = self._position = 0
        elif isinstance(item, Cancelled):
            self.problems.append("cancelled")

    def show(self) -> int:
        """List the sessions the file being read has opened since; how many."""
        return self.analysis.show_current()

    def changed(self) -> list[Session]:
        """The listed sessions that are new or changed (events, findings, closing) since the last call: only
        their rows need drawing again."""
        seen = self._seen
        out = []
        for s in self.analysis.sessions:
            mark = (s.event_count, len(s.findings), s.closed, s.key)
            if seen.get(id(s)) != mark:
                seen[id(s)] = mark
                out.append(s)
        return out

    @property
    def read_count(self) -> int:
        return len(self.exchanges)

    @property
    def permille(self) -> int:
        return int(1000 * min(1.0, (self._before + self._position) / self._total))

    @property
    def sources(self) -> list[str]:
        """The files shown so far, the one being read included."""
        out = [p.source for p in self.analysis.parts]
        if self._part is not None:
            out.append(self._part.source)
        return out

    def result(self) -> LoadResult:
        """What was loaded (call after the last item; a file cut short by a cancel is judged as read)."""
        if self._part is not None:  # the reader stopped without ending its file
            self.apply(FileEnd("cancelled"))
        parts = list(self.analysis.parts)
        return LoadResult(paths=[p.source for p in parts], exchanges=self.exchanges, analyzer=self.analysis,
                          error=_load_problem(self.requested, self.skipped, self.problems),
                          read_count=len(self.exchanges), seconds=time.perf_counter() - self.t0,
                          requested=self.requested, skipped=self.skipped, parts=parts)


def load_files(paths: Iterable[str], config: Config, *,
               progress: Callable[[int, int], None] | None = None,
               cancelled: Callable[[], bool] = lambda: False, every: int = 2000) -> LoadResult:
    """Judge each capture file on its own (:class:`FilesJudging`) and show them together (:class:`FileAnalysis`).

    Files that are not captures (unknown format, missing, a directory ...) are skipped and named in
    ``skipped``; the other files load all the same. ``progress(exchanges read, permille)`` about every
    ``every`` exchanges and at the end of each file."""
    judging = FilesJudging(paths, config)
    reported = 0
    for item in read_files(judging.requested, cancelled, pool=HeaderPool()):
        judging.apply(item)
        if progress is not None and (isinstance(item, FileEnd) or judging.read_count - reported >= every):
            reported = judging.read_count
            progress(reported, judging.permille)
    return judging.result()


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
        self._indexed: dict[int, int] = {}  # slot -> exchanges indexed up to

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
        start, end = (0, len(self.exchanges)) if part is None else (part.start, part.end)
        slot = -1 if part is None else part.start
        index = self._flow_index.get(slot)
        if index is None:
            index = self._flow_index[slot] = {}
        indexed = self._indexed.get(slot, start)
        if indexed < end:  # exchanges added since (live, or a file still loading): index only those
            for ex in self.exchanges[indexed:end]:
                index[ex.flow_id] = ex
            self._indexed[slot] = end
        return index.get(event.flow)

    def event_count(self) -> int:
        return sum(len(s.events) for s in self.analyzer.sessions)
