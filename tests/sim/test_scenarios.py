"""Every scenario through the real core: clean ones are spotless, faulty ones trigger their rules."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcscope.core.config import Config
from mcscope.core.model import Exchange, Finding, Severity
from mcscope.core.session import Analyzer
from mcscope.sim.httpclient import parse_url
from mcscope.sim.mockserver import MockServer
from mcscope.sim.simulate import SCENARIOS, run_players, simulate_offline

CLEAN = [s for s in SCENARIOS.values() if s.clean]
FAULTY = [s for s in SCENARIOS.values() if not s.clean]

# The collector answers 410 to these events (after sessionEnd / after the timeout); the core reports the
# cause rule as well as session-gone / event-after-gone.
CAUSE_HIDDEN_BY_410 = {"event-after-end", "idle-timeout", "paused-too-long"}


def analyze(exchanges: list[Exchange]) -> list[Finding]:
    an = Analyzer(Config())
    for ex in exchanges:
        an.feed(ex)
    an.finish()
    return [f for s in an.sessions for f in s.findings] + list(an.transport_findings)


def serious(findings: list[Finding]) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in findings if f.severity >= Severity.WARNING]


@pytest.mark.parametrize("sc", CLEAN, ids=lambda s: s.name)
def test_clean_scenario_has_no_errors_or_warnings(sc: Any) -> None:
    findings = analyze(simulate_offline(sc))
    assert serious(findings) == []
    assert {f.rule for f in findings} <= {"unknown-host"}


@pytest.mark.parametrize("sc", CLEAN, ids=lambda s: s.name)
def test_clean_scenario_other_players_too(sc: Any) -> None:
    assert serious(analyze(simulate_offline(sc, index=7))) == []


@pytest.mark.parametrize(
    "sc",
    [
        s
        for s in FAULTY
    ],
    ids=lambda s: s.name,
)
def test_faulty_scenario_triggers_exactly_its_rules(sc: Any) -> None:
    """Every declared rule fires, and nothing undeclared rises to a warning (what --list promises)."""
    findings = analyze(simulate_offline(sc))
    rules = {f.rule for f in findings}
    assert sc.expected_rules <= rules, f"missing {sorted(sc.expected_rules - rules)}; got {sorted(rules)}"
    undeclared = {f.rule for f in findings if f.severity >= Severity.WARNING} - sc.expected_rules
    assert not undeclared, f"undeclared warnings or errors: {sorted(undeclared)}"


@pytest.mark.parametrize("name", sorted(CAUSE_HIDDEN_BY_410))
def test_collector_closed_sessions_are_reported(name: str) -> None:
    """The lost events are flagged (session-gone) besides the rule that names the cause."""
    rules = {f.rule for f in analyze(simulate_offline(name))}
    assert "session-gone" in rules


async def test_clean_scenarios_captured_live_over_loopback() -> None:
    """Exchanges recorded by real players over sockets (live=True, so clock-skew is judged too)."""
    async with MockServer() as server:
        results = await asyncio.wait_for(
            run_players(CLEAN, parse_url(server.url), speed=0, record=True, players=2), 60
        )
    for result in results:
        assert result.ok, result.summary()
        assert serious(analyze(result.exchanges)) == [], result.scenario
