"""Rule tests as tables: each case builds a capture and says where a rule fires, or that it stays silent.

    T = Table()

    @T.fires("ping-params", event=2)
    def ping_with_params():
        c = started(); c.ev("ping", params={"x": 1}); return c

    @T.quiet("ping-params")
    def ping_with_empty_params(): ...

    @pytest.mark.parametrize("case", T.params())
    def test_rule(case): case.check()

Every case registers its rule in ``FIRES`` or ``QUIET``; ``tests/addon/test_spec.py`` checks that every rule
of the families covered here (transport, envelope, session-start, lifecycle, timestamps, downloaded) has
both. Hand-written tests register with ``covers(rule, fires=..., quiet=...)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from addon.config import Config
from addon.model import Exchange, Finding, Severity
from addon.rules.catalogue import RULES
from addon.session import Analyzer, Event, Session
from tests.addon.builder import Capture, rules, start_params

FAMILIES = ("transport", "envelope", "session-start", "lifecycle", "timestamps", "downloaded")
FIRES: dict[str, list[str]] = {}
QUIET: dict[str, list[str]] = {}
ANY = object()  # "the finding may point at any event"


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
    build: Callable[[], Capture | Analyzer]
    fires: bool
    event: Any = ANY
    severity: Severity | None = None  # None: the catalogue default
    config: Config | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}-{'fires' if self.fires else 'quiet'}-{self.build.__name__}"

    def check(self) -> Analyzer:
        an = analyze(self.build(), self.config)
        if self.fires:
            assert_fires(an, self.rule, event=self.event, severity=self.severity)
        else:
            assert_quiet(an, self.rule)
        return an


@dataclass
class Table:
    cases: list[Case] = field(default_factory=list)

    def fires(self, rule: str, event: Any = ANY, severity: Severity | None = None,
              config: Config | None = None) -> Callable[[Any], Any]:
        assert rule in RULES, rule

        def deco(fn: Any) -> Any:
            self.cases.append(Case(rule, fn, True, event, severity, config))
            FIRES.setdefault(rule, []).append(fn.__name__)
            return fn

        return deco

    def quiet(self, rule: str, config: Config | None = None) -> Callable[[Any], Any]:
        assert rule in RULES, rule

        def deco(fn: Any) -> Any:
            self.cases.append(Case(rule, fn, False, config=config))
            QUIET.setdefault(rule, []).append(fn.__name__)
            return fn

        return deco

    def params(self) -> list[Any]:
        return [pytest.param(case, id=case.id) for case in self.cases]


# --- running and asserting ---------------------------------------------------------------------------
def analyze(built: Capture | Analyzer, config: Config | None = None) -> Analyzer:
    return built if isinstance(built, Analyzer) else built.analyze(config)


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
    """``rule`` fired (at ``event`` when given) with its severity; ignored rules mark the event dropped."""
    found = findings(an, rule)
    assert found, f"{rule} did not fire; findings:\n{describe(an)}"
    if event is not ANY:
        at = [f for f in found if f.event == event]
        assert at, f"{rule} fired at events {[f.event for f in found]}, expected {event}"
        found = at
    f = found[0]
    expected = severity if severity is not None else RULES[rule].severity
    assert f.severity == expected, f"{rule}: severity {f.severity.label}, expected {expected.label}"
    if count is not None:
        assert len(findings(an, rule)) == count, describe(an)
    info = RULES[rule]
    s = session_of(an, f)
    if s is not None:
        assert f.sid == s.sid
    if info.ignored and f.event is not None:
        assert f.ignored, f"{rule} is an ignored rule but the finding is not marked ignored"
        assert f.consequence == info.consequence
        ev = event_of(an, f)
        assert ev is not None and ev.ignored, f"{rule}: event {f.event} is not flagged ignored"
        assert ev.ignored_reason, f"{rule}: event {f.event} has no ignored_reason"
        assert f in ev.findings
    if f.event is not None and s is not None:
        ev = event_of(an, f)
        assert ev is not None and f.flow == ev.flow
    return f


def assert_quiet(an: Analyzer, rule: str) -> None:
    assert rule not in rules(an), f"{rule} fired on a near miss:\n{describe(an)}"


# --- building captures ---------------------------------------------------------------------------------
SID_B = "b" * 64


def started(**params: Any) -> Capture:
    """A session with its sessionStart (event 0) and a play (event 1)."""
    c = Capture()
    c.start(start_params(**params) if params else None)
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
