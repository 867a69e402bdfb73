"""gui/demo.py: the demo's own sessions carry no findings the demo causes itself.

Every scenario, REST and Media Edge API side by side, is played live through the real mitmdump child (mock
collector and mock Edge) at the demo's speed and judged by the window in the demo's configuration: a clean
scenario yields no warning or error, a faulty one exactly the rules it declares and nothing else at warning
level or above.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from mcscope.core.model import Severity
from mcscope.core.status import REJECTED
from mcscope.sim.simulate import SCENARIOS, Scenario, clock_misfits, scenarios_of, worst_skew

pytestmark = pytest.mark.timeout(240)
EVERY = scenarios_of("all")  # what the demo plays: REST and Edge
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Edge sessions that carry no media id, named by the fault that made them (each comes from one scenario only).
EDGE_ORPHANS = {"no sessionID": "edge-session-id-missing", "63-char sessionID": "edge-session-id-format",
                "requestId as sessionID": "edge-request-id-as-session-id",
                "refused start": "edge-session-start-failed"}


def _identity(sc: Scenario) -> tuple[str, str | None]:
    """What names a scenario's session: its protocol and media.id, else the fixed sid it posts to."""
    for step in sc.steps(0):
        body = step.body[0] if isinstance(step.body, list) and step.body else step.body
        if isinstance(body, dict) and isinstance(body.get("params"), dict) and body["params"].get("media.id"):
            return sc.protocol, str(body["params"]["media.id"])
        if step.sid:
            return sc.protocol, step.sid
    return sc.protocol, None


def _session_identity(s: Any) -> tuple[str, str | None]:
    ev = s.events[0] if s.events else None
    body = ev.body if ev is not None else None
    items = body if isinstance(body, list) else [body]
    for item in items[:1]:
        if isinstance(item, dict) and isinstance(item.get("params"), dict) and item["params"].get("media.id"):
            return s.protocol, str(item["params"]["media.id"])
    if s.protocol == "edge":
        sid = s.sid or ""
        fault = ("no sessionID" if not sid and ev is not None and ev.event_type != "sessionStart" else
                 "refused start" if not sid else "63-char sessionID" if len(sid) == 63 else
                 "requestId as sessionID" if UUID.match(sid) else None)
        if fault:
            return s.protocol, fault
    return s.protocol, s.sid


def test_only_a_scenario_longer_than_the_skew_window_needs_the_clock_off() -> None:
    from mcscope.gui.demo import DEMO_SPEED

    misfits = {sc.name for sc in clock_misfits(EVERY.values(), DEMO_SPEED, 600)}
    assert misfits == {"paused-too-long"}
    for sc in EVERY.values():
        if sc.name not in misfits:
            assert worst_skew(sc, DEMO_SPEED) < 600 - 30, sc.name
    assert worst_skew(SCENARIOS["paused-too-long"], 1) == 0  # at speed 1 the virtual clock is the real one
    assert not clock_misfits(EVERY.values(), 1, 600)


def test_demo_settings_add_the_demo_rules_without_storing_them(settings: Any) -> None:
    from mcscope.gui.demo import DemoSettings
    from mcscope.gui.settings import WindowSettings

    base = WindowSettings(settings)
    base.store_analysis(["unknown-host"], {})
    demo = DemoSettings(base, ["clock-skew"])
    assert demo.ignored_rules() == ["unknown-host", "clock-skew"]
    assert "clock-skew" in demo.config().ignore
    demo.store_analysis(["unknown-host", "clock-skew", "stall"], {"idle_timeout": "900"})
    assert base.ignored_rules() == ["unknown-host", "stall"]  # the demo's rule is never stored
    demo.store_analysis(["stall"], {})  # removed in Settings: the rule is back on
    assert demo.ignored_rules() == ["stall"] and "clock-skew" not in demo.config().ignore


def test_every_scenario_played_live_in_the_demo_yields_only_what_it_declares(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from mcscope.gui.demo import CLOCK_RULE, DEMO_SPEED, Demo
    from mcscope.gui.proxyproc import free_port
    from mcscope.gui.window import MainWindow

    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                     message=lambda *a: None)
    qtbot.addWidget(win)
    win.proxy.config.port = free_port()
    win.demo = Demo(win, speed=DEMO_SPEED, max_rounds=1)
    try:
        # said visibly: a permanent note in the status bar, the rule listed as ignored in Settings
        assert win.demo.clock_off and win.demo.clock_misfits == ["paused-too-long"]
        assert win.demo.clock_label is not None and CLOCK_RULE in win.demo.clock_label.text()
        assert "paused-too-long" in win.demo.clock_label.toolTip()
        assert CLOCK_RULE in win.settings.ignored_rules()
        assert win.demo.start()
        qtbot.waitUntil(lambda: win.demo.rounds_done >= 1, timeout=200_000)
        m = re.search(r"(\d+) requests sent", win.demo.last_output)
        assert m, win.demo.last_output
        qtbot.waitUntil(lambda: len(win.dataset.exchanges) >= int(m.group(1)), timeout=20_000)
        qtbot.wait(300)
        ds = win.dataset
        assert ds.live and CLOCK_RULE in ds.config.ignore
        by_scenario: dict[str, list[Any]] = {}
        names = {_identity(sc): sc.name for sc in EVERY.values()}
        names.update({("edge", fault): name for fault, name in EDGE_ORPHANS.items()})
        for s in ds.sessions:
            by_scenario.setdefault(names.get(_session_identity(s), "?"), []).append(s)
        assert "?" not in by_scenario, [s.key for s in by_scenario["?"]]
        assert set(by_scenario) == set(EVERY)  # both protocols' sessions are in the window
        assert {s.protocol for s in by_scenario["edge-web-sdk"]} == {"edge"}
        assert {s.protocol for s in by_scenario["live"]} == {"rest"}
        # the one transport-level fault: a call to a path the Edge does not have belongs to no session
        transport = {f.rule for f in ds.analyzer.transport_findings if f.severity >= Severity.WARNING}
        assert transport == {"edge-unknown-endpoint"}
        assert [sc.name for sc in EVERY.values() if transport & sc.expected_rules] == ["edge-unknown-endpoint"]
        for name, sessions in by_scenario.items():  # what the live window shows: nothing undeclared
            serious = {f.rule for s in sessions for f in s.findings if f.severity >= Severity.WARNING}
            assert serious <= EVERY[name].expected_rules, (name, sorted(serious))
        ds.finish()  # the end of the capture: what is still open is judged now
        for name, sessions in by_scenario.items():
            sc = EVERY[name]
            found = {f.rule for s in sessions for f in s.findings} | (transport & sc.expected_rules)
            serious = {f.rule for s in sessions for f in s.findings if f.severity >= Severity.WARNING}
            assert sc.expected_rules <= found, (name, sorted(sc.expected_rules - found))
            timed_out = any(s.status == "timed-out" for s in sessions) and "session-not-closed" in found
            allowed = sc.expected_rules | (sc.timeout_rules if timed_out else frozenset())
            assert serious <= allowed, (name, sorted(serious - allowed))
            assert all(s.status != "live" for s in sessions)
            if "http-rejected" in sc.expected_rules and "session-start-required" in sc.expected_rules:
                assert {s.status for s in sessions} == {REJECTED}
    finally:
        win.shutdown()
