"""What the window shows: the exchanges it has seen and the Analyzer fed with them (no Qt).

Files and the live stream go through the same path: exchange (record) -> ``Analyzer.feed`` -> deltas.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from mcscope.core.config import Config, ConfigError
from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer, Delta, Session
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


class Dataset:
    """Exchanges + the Analyzer built from them. Replaced wholesale when files are opened."""

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

    def rebuilt(self, config: Config) -> Dataset:
        """A new Dataset over the same exchanges with another configuration (settings changed)."""
        new = Dataset(config=config, sources=self.sources, live=self.live)
        for ex in self.exchanges:
            new.feed(ex)
        if not self.live:
            new.finish()
        return new

    def session(self, key: str) -> Session | None:
        return self.analyzer.session(key)

    def event_count(self) -> int:
        return sum(len(s.events) for s in self.analyzer.sessions)
