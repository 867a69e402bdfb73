"""Table-driven rule tests: a case builds a capture and says which rule fires where, or stays silent.

    FIRES = [Fires("stall", _frozen_playhead)]          # build() -> (Capture, index of the offending event)
    QUIET = [Quiet("stall", "frozen in an ad break", _frozen_in_break)]   # build() -> Capture

Each family module parametrizes over its tables; ``test_coverage.py`` checks every rule of the family
appears in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from addon.model import Finding, Severity
from addon.rules.catalogue import RULES
from addon.session import Analyzer
from tests.addon.builder import Capture, rules, serious, start_params


@dataclass(frozen=True)
class Fires:
    rule: str
    build: Callable[[], tuple[Capture, int]]
    severity: Severity | None = None  # None: the catalogue default
    name: str = ""

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name or self.build.__name__.strip('_')}"


@dataclass(frozen=True)
class Quiet:
    rule: str
    name: str
    build: Callable[[], Capture]

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name}"


def ids(case: Fires | Quiet) -> str:
    return case.id


def session(**params: object) -> Capture:
    """A capture whose sessionStart (index 0) was seen, with ``start_params(**params)``."""
    c = Capture()
    c.start(start_params(**params))
    return c


def playing(**params: object) -> Capture:
    """sessionStart, then play (index 1): main content is playing."""
    c = session(**params)
    c.ev("play", dt=10)
    return c


def last(c: Capture) -> int:
    """Index of the last event of the capture's only session (sessionStart was captured)."""
    return len(c.exchanges) - 1


def found(an: Analyzer, rule: str) -> list[Finding]:
    return [f for f in an.all_findings() if f.rule == rule]


def assert_fires(case: Fires) -> Finding:
    c, index = case.build()
    an = c.analyze()
    hits = found(an, case.rule)
    assert hits, f"{case.rule} did not fire; got {sorted(rules(an))}"
    first = hits[0]
    assert first.event == index, f"{case.rule} points at event {first.event}, expected {index}: {first.message}"
    assert first.severity == (case.severity or RULES[case.rule].severity)
    assert first.sid == c.sid
    assert first.message
    session_ = an.sessions[0]
    if session_.events:
        ev = session_.events[index]
        assert first.flow == ev.flow
        assert first in ev.findings
    assert first.ignored == RULES[case.rule].ignored
    if first.ignored:
        assert first.consequence == RULES[case.rule].consequence
    return first


def assert_quiet(case: Quiet) -> None:
    an = case.build().analyze()
    assert case.rule not in rules(an), [f"{f.rule}@{f.event}: {f.message}" for f in found(an, case.rule)]
    assert an.sessions, "the near miss produced no session"


__all__ = [
    "Fires", "Quiet", "assert_fires", "assert_quiet", "found", "ids", "last", "playing", "rules", "serious",
    "session",
]
