"""Rule tests as tables: each case builds a capture and says where a rule fires, or that it stays silent.

    T = Table("pings")                          # the cases of one rule family

    @T.fires("ping-interval", event=3)          # the first ping-interval finding points at event 3
    def long_gap():
        c = playing(); c.ev("ping", dt=10000); c.ev("ping", dt=12500); return c

    @T.fires("ping-first-late", event=LAST)     # ... at the capture's last event
    @T.quiet("no-pings", "session still open")  # one build can serve several cases; the name is the test id
    def late_first_ping(): ...

    T.quiet("ad-no-pings")(clean_vod)           # a builder from elsewhere

    test_fires, test_quiet = T.tests()          # after the last case: the module's two parametrized tests

A fires case checks the rule's first finding: its event, severity (the catalogue default unless given), sid,
flow, message, and, for an ignored rule, the consequence and the event flagged ignored. A quiet case checks
the rule does not fire and the capture still makes a session.

Every case registers its rule in ``FIRES`` or ``QUIET``; ``test_coverage.py`` checks that every rule of the
catalogue has both. Hand-written tests register with ``covers(rule, fires=..., quiet=...)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from mcscope.core.config import Config
from mcscope.core.model import Exchange, Finding, Severity
from mcscope.core.rules.catalogue import RULES
from mcscope.core.session import Analyzer, Event, Session
from tests.builder import Capture, rules, start_params

FIRES: dict[str, list[str]] = {}  # rule id -> the cases and tests that show it firing
QUIET: dict[str, list[str]] = {}  # rule id -> the near misses where it stays silent
CASES: list[Case] = []  # every table case of every family
ANY = object()  # "the finding may point at any event" (assert_fires)
LAST = object()  # "the capture's last exchange", which is its last event when the sessionStart was captured


def covers(rule: str, fires: bool = False, quiet: bool = False) -> Callable[[Any], Any]:
    """Register a hand-written test as covering ``rule`` (it must assert what it claims)."""
    assert rule in RULES, rule

    def deco(fn: Any) -> Any:
        if fires:
            FIRES.setdefault(rule, []).append(fn.__name__)
        if quiet:
            QUIET.setdefault(rule, []).append(fn.__name__)
        return fn

    return deco


@dataclass
class Case:
    rule: str
    build: Callable[[], Capture]
    fires: bool
    name: str = ""  # the test id after the rule; default: the build function's name
    event: Any = ANY  # an event index, or LAST
    severity: Severity | None = None  # None: the catalogue default
    config: Config | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name or self.build.__name__.strip('_')}"

    def check(self) -> Analyzer:
        c = self.build()
        an = c.analyze(self.config)
        if self.fires:
            event = len(c.exchanges) - 1 if self.event is LAST else self.event
            assert_fires(an, self.rule, event=event, severity=self.severity)
        else:
            assert_quiet(an, self.rule)
            assert an.sessions, "the near miss produced no session"
        return an


@dataclass
class Table:
    """The cases of one rule family (each names a rule of that family)."""

    family: str
    cases: list[Case] = field(default_factory=list)
    closed: bool = False

    def fires(self, rule: str, name: str = "", *, event: Any, severity: Severity | None = None,
              config: Config | None = None) -> Callable[[Any], Any]:
        return self._case(rule, True, name, event=event, severity=severity, config=config)

    def quiet(self, rule: str, name: str = "", *, config: Config | None = None) -> Callable[[Any], Any]:
        return self._case(rule, False, name, config=config)

    def _case(self, rule: str, fires: bool, name: str, **kw: Any) -> Callable[[Any], Any]:
        assert rule in RULES, rule
        assert RULES[rule].family == self.family, f"{rule} is not a {self.family} rule"
        assert not self.closed, "a case registered after T.tests()"

        def deco(fn: Any) -> Any:
            case = Case(rule, fn, fires, name, **kw)
            self.cases.append(case)
            CASES.append(case)
            (FIRES if fires else QUIET).setdefault(rule, []).append(case.id)
            return fn

        return deco

    def tests(self) -> tuple[Callable[[Case], None], Callable[[Case], None]]:
        """``test_fires, test_quiet``: the table's cases as two parametrized tests (call after the last case)."""
        self.closed = True

        def params(fires: bool) -> list[Any]:
            return [pytest.param(case, id=case.id) for case in self.cases if case.fires == fires]

        @pytest.mark.parametrize("case", params(True))
        def test_fires(case: Case) -> None:
            case.check()

        @pytest.mark.parametrize("case", params(False))
        def test_quiet(case: Case) -> None:
            case.check()

        return test_fires, test_quiet


# --- asserting -----------------------------------------------------------------------------------------
def findings(an: Analyzer, rule: str) -> list[Finding]:
    return [f for f in an.all_findings() if f.rule == rule]


def session_of(an: Analyzer, finding: Finding) -> Session | None:
    for s in an.sessions:
        if any(f is finding for f in s.findings):
            return s
    return None


def event_of(an: Analyzer, finding: Finding) -> Event | None:
    s = session_of(an, finding)
    if s is None or finding.event is None:
        return None
    return s.events[finding.event]


def describe(an: Analyzer) -> str:
    return "\n".join(f"  {f.rule} [{f.severity.label}] event={f.event}: {f.message}" for f in an.all_findings())


def assert_fires(an: Analyzer, rule: str, event: Any = ANY, severity: Severity | None = None,
                 count: int | None = None) -> Finding:
    """``rule`` fired, its first finding at ``event`` when given, with its severity, sid, flow and message;
    an ignored rule's finding is marked ignored and its event dropped."""
    found = findings(an, rule)
    assert found, f"{rule} did not fire; findings:\n{describe(an)}"
    f = found[0]
    if event is not ANY:
        assert f.event == event, f"{rule} fired at events {[f.event for f in found]}, expected {event} first"
    expected = severity if severity is not None else RULES[rule].severity
    assert f.severity == expected, f"{rule}: severity {f.severity.label}, expected {expected.label}"
    assert f.message, f"{rule}: a finding without a message"
    if count is not None:
        assert len(found) == count, describe(an)
    s = session_of(an, f)
    if s is not None:
        assert f.sid == s.sid
    ev = event_of(an, f)
    if f.event is not None:
        assert ev is not None, f"{rule}: the finding names event {f.event} but belongs to no session"
        assert f.flow == ev.flow
        assert f in ev.findings
    info = RULES[rule]
    if ev is not None:  # an event to drop, or not
        assert f.ignored == info.ignored, f"{rule}: finding ignored={f.ignored}, the catalogue says {info.ignored}"
    if f.ignored:
        assert f.consequence == info.consequence
    if f.ignored and ev is not None:
        assert ev.ignored, f"{rule}: event {f.event} is not flagged ignored"
        assert ev.ignored_reason, f"{rule}: event {f.event} has no ignored_reason"
    return f


def assert_quiet(an: Analyzer, rule: str) -> None:
    assert rule not in rules(an), f"{rule} fired on a near miss:\n{describe(an)}"


# --- building captures ---------------------------------------------------------------------------------
SID_B = "b" * 64


def session(**params: Any) -> Capture:
    """A capture whose sessionStart (event 0) was seen, with ``start_params(**params)``."""
    c = Capture()
    c.start(start_params(**params))
    return c


def playing(**params: Any) -> Capture:
    """sessionStart, then play (event 1) 10 ms later: main content is playing."""
    c = session(**params)
    c.ev("play", dt=10)
    return c


def started(**params: Any) -> Capture:
    """sessionStart, then play (event 1) a second later."""
    c = session(**params)
    c.ev("play", dt=1000)
    return c


def rewrite(ex: Exchange, fn: Callable[[Any], Any]) -> Exchange:
    """Change an exchange's JSON request body in place: ``fn`` edits the decoded body (its result is unused)."""
    body = json.loads(ex.request_body or b"null")
    fn(body)
    ex.request_body = json.dumps(body).encode()
    return ex


def replace_body(ex: Exchange, fn: Callable[[Any], Any]) -> Exchange:
    """Replace an exchange's JSON request body with ``fn(decoded body)``."""
    ex.request_body = json.dumps(fn(json.loads(ex.request_body or b"null"))).encode()
    return ex


def raw_event(c: Capture, event_type: str, fn: Callable[[dict[str, Any]], Any], dt: int = 1000,
              **kw: Any) -> Exchange:
    """An event whose body ``fn`` mangles (delete playerTime, add keys, ...)."""
    return rewrite(c.ev(event_type, dt=dt, **kw), fn)


def set_header(headers: list[tuple[str, str]], name: str, value: str | None) -> list[tuple[str, str]]:
    out = [(k, v) for k, v in headers if k.lower() != name.lower()]
    if value is not None:
        out.append((name, value))
    return out
