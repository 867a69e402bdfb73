"""``mcscope --demo``: capture with the addon's mock collector and scripted players (a live tour).

The proxy child runs with ``mcscope_mock=true`` (it answers REST MC API and Media Edge API calls like Adobe's
collector and Edge), and a second child plays every scenario of :mod:`mcscope.sim.simulate`, REST and Edge side
by side (the REST ones to ``DEMO_TARGET``, the Edge ones to ``DEMO_EDGE_TARGET``), through the proxy, round
after round, so a newcomer sees clean and faulty sessions of both protocols fill the window within seconds.

The players' clock runs ``speed`` times fast, anchored so that their ``ts`` stay within the clock-skew
window of the proxy's clock (sim/simulate.py ``anchor_t0``). A scenario longer than about twice that
window cannot (half an hour of pause played in half a minute is that far from any clock): then the demo
turns the live clock comparison (rule ``clock-skew``) off for its capture and says so in the status bar
and in Settings (the rule is listed as ignored there; the user's stored settings are left alone).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QProcess, QTimer
from PySide6.QtWidgets import QLabel

from mcscope.gui.settings import WindowSettings

log = logging.getLogger(__name__)

DEMO_TARGET = "http://demo.hb-api.omtrdc.net"
DEMO_EDGE_TARGET = "http://edge.adobedc.net"  # answered by the proxy's mock, never reached
DEMO_PROTOCOL = "all"  # REST and Edge scenarios side by side
DEMO_SPEED = 60.0
ROUND_PAUSE_MS = 3000
MAX_ROUNDS = 20
CLOCK_RULE = "clock-skew"

PLAYERS_SCRIPT = """
import asyncio, sys
from mcscope.sim.httpclient import parse_url
from mcscope.sim.simulate import run_players, select_scenarios
targets = {"rest": parse_url(sys.argv[1]), "edge": parse_url(sys.argv[2])}
proxy, speed = parse_url(sys.argv[3]), float(sys.argv[4])
chosen = select_scenarios(sys.argv[5].split(","), sys.argv[6])
async def play():
    runs = [run_players([s for s in chosen if s.protocol == p], t, proxy=proxy, speed=speed, check_expected=False)
            for p, t in targets.items() if any(s.protocol == p for s in chosen)]
    return [r for results in await asyncio.gather(*runs) for r in results]
results = asyncio.run(play())
print(f"demo round: {len(results)} players done, {sum(r.sent for r in results)} requests sent", flush=True)
"""


def clock_note(misfits: Sequence[str], speed: float) -> str:
    """Why the demo does not compare ts with the proxy's clock (status bar tooltip, logs)."""
    names = ", ".join(misfits)
    return (f"Demo: rule {CLOCK_RULE} is off for this capture. The scripted players' clock runs {speed:g}× "
            f"fast, and {names} cannot keep its ts within the clock-skew window of the proxy's clock "
            "(the other scenarios could). Real traffic is still judged with it: the rule is only listed as "
            "ignored while the demo runs.")


class DemoSettings(WindowSettings):
    """The window's settings during the demo: the user's, plus the rules the demo turns off for its capture.

    Settings shows those rules as ignored; removing one there turns it back on. They are never stored."""

    def __init__(self, base: WindowSettings, demo_ignored: Sequence[str]) -> None:
        super().__init__(base.qsettings)
        self.demo_ignored = [r for r in demo_ignored if r not in base.ignored_rules()]

    def ignored_rules(self) -> list[str]:
        return super().ignored_rules() + [r for r in self.demo_ignored if r not in super().ignored_rules()]

    def store_analysis(self, ignored: list[str], tunables: dict[str, str]) -> None:
        self.demo_ignored = [r for r in self.demo_ignored if r in ignored]
        super().store_analysis([r for r in ignored if r not in self.demo_ignored], tunables)


class Demo(QObject):
    def __init__(self, window: Any, speed: float = DEMO_SPEED, scenarios: Sequence[str] = ("all",),
                 max_rounds: int = MAX_ROUNDS, protocol: str = DEMO_PROTOCOL) -> None:
        super().__init__(window)
        from mcscope.sim.simulate import clock_misfits, select_scenarios

        self.window = window
        self.speed = speed
        self.scenarios = ",".join(scenarios)
        self.protocol = protocol
        self.max_rounds = max_rounds
        self.rounds = 0
        self.rounds_done = 0
        self.last_output = ""
        self._proc: QProcess | None = None
        self._stopped = False
        window_s = float(window.settings.config().tunables["clock_skew"])
        self.clock_misfits = [sc.name for sc in clock_misfits(select_scenarios(scenarios, protocol), speed,
                                                                   window_s)]
        self.clock_off = bool(self.clock_misfits) and CLOCK_RULE not in window.settings.ignored_rules()
        self.clock_label: QLabel | None = None
        if self.clock_off:
            window.settings = DemoSettings(window.settings, [CLOCK_RULE])
            self.clock_label = QLabel(f"Demo: {CLOCK_RULE} check off", window)
            self.clock_label.setObjectName("demoClockNote")
            self.clock_label.setToolTip(clock_note(self.clock_misfits, speed))
            window.statusBar().addPermanentWidget(self.clock_label)
            log.info("%s", clock_note(self.clock_misfits, speed))
        window.proxy.config.sets["mcscope_mock"] = "true"
        window.proxy.config.sets.setdefault("mcscope_journal", "off")
        window.feed.connected.connect(self._on_connected)
        window.destroyed.connect(self.stop)

    def start(self) -> bool:
        note = f" The {CLOCK_RULE} rule is off for the demo (its players' clock runs {self.speed:g}× fast)." \
            if self.clock_off else ""
        self.window.statusBar().showMessage(
            "Demo: the proxy answers like Adobe's collector; scripted players are starting…" + note, 10000)
        return bool(self.window.start_capture())

    def stop(self) -> None:
        self._stopped = True
        if self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning:
            self._proc.kill()
            self._proc.waitForFinished(2000)

    def _on_connected(self) -> None:
        if self._proc is None and not self._stopped:
            self._run_round()

    def _run_round(self) -> None:
        if self._stopped or not self.window.proxy.is_running() or self.rounds >= self.max_rounds:
            return
        self.rounds += 1
        cfg = self.window.proxy.config
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        proc.finished.connect(self._on_round_done)
        proxy_url = f"http://{cfg.host if cfg.host not in ('0.0.0.0', '::') else '127.0.0.1'}:{cfg.port}"
        self._proc = proc
        proc.start(sys.executable, ["-c", PLAYERS_SCRIPT, DEMO_TARGET, DEMO_EDGE_TARGET, proxy_url, str(self.speed),
                                    self.scenarios, self.protocol])

    def _on_round_done(self, code: int, status: QProcess.ExitStatus) -> None:
        proc = self._proc
        if proc is not None:
            out = bytes(proc.readAll().data()).decode("utf-8", "replace").strip()
            self.last_output = out
            if code != 0 and not self._stopped:
                log.warning("demo players exited with %s: %s", code, out[-500:])
        self.rounds_done += 1
        if not self._stopped:
            QTimer.singleShot(ROUND_PAUSE_MS, self._run_round)
