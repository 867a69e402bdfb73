"""``mcscope --demo``: capture with the addon's mock collector and scripted players (a live tour).

The proxy child runs with ``mcscope_mock=true`` (it answers collection calls like Adobe's collector), and
a second child plays every scenario of :mod:`mcscope.sim.simulate` through the proxy, round after round, so a
newcomer sees clean and faulty sessions fill the window within seconds.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, QProcess, QTimer

log = logging.getLogger(__name__)

DEMO_TARGET = "http://demo.hb-api.omtrdc.net"
DEMO_SPEED = 20.0
ROUND_PAUSE_MS = 3000
MAX_ROUNDS = 20

PLAYERS_SCRIPT = """
import asyncio, sys
from mcscope.sim.httpclient import parse_url
from mcscope.sim.simulate import run_players, select_scenarios
target, proxy, speed = parse_url(sys.argv[1]), parse_url(sys.argv[2]), float(sys.argv[3])
results = asyncio.run(run_players(select_scenarios(["all"]), target, proxy=proxy, speed=speed,
                                  check_expected=False))
print(f"demo round: {len(results)} players done", flush=True)
"""


class Demo(QObject):
    def __init__(self, window: Any, speed: float = DEMO_SPEED) -> None:
        super().__init__(window)
        self.window = window
        self.speed = speed
        self.rounds = 0
        self._proc: QProcess | None = None
        self._stopped = False
        window.proxy.config.sets["mcscope_mock"] = "true"
        window.proxy.config.sets.setdefault("mcscope_journal", "off")
        window.feed.connected.connect(self._on_connected)
        window.destroyed.connect(self.stop)

    def start(self) -> bool:
        self.window.statusBar().showMessage(
            "Demo: the proxy answers like Adobe's collector; scripted players are starting…", 10000)
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
        if self._stopped or not self.window.proxy.is_running() or self.rounds >= MAX_ROUNDS:
            return
        self.rounds += 1
        cfg = self.window.proxy.config
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        proc.finished.connect(self._on_round_done)
        proxy_url = f"http://{cfg.host if cfg.host not in ('0.0.0.0', '::') else '127.0.0.1'}:{cfg.port}"
        self._proc = proc
        proc.start(sys.executable, ["-c", PLAYERS_SCRIPT, DEMO_TARGET, proxy_url, str(self.speed)])

    def _on_round_done(self, code: int, status: QProcess.ExitStatus) -> None:
        proc = self._proc
        if proc is not None:
            out = bytes(proc.readAll().data()).decode("utf-8", "replace").strip()
            if code != 0 and not self._stopped:
                log.warning("demo players exited with %s: %s", code, out[-500:])
        if not self._stopped:
            QTimer.singleShot(ROUND_PAUSE_MS, self._run_round)
