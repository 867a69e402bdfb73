"""gui/app.py and gui/commands.py: launch paths, the no-display error, the exception hook, screenshots."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mcscope.gui import app
from tests.conftest import FIXTURES, REPO_ROOT


def _env(**over: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(over)
    return env


def test_display_problem_detection() -> None:
    assert app.display_problem({}, "linux") is not None
    assert app.display_problem({"DISPLAY": ":0"}, "linux") is None
    assert app.display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert app.display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert app.display_problem({}, "darwin") is None


def test_no_display_is_a_one_line_error_exit_2() -> None:
    proc = subprocess.run([sys.executable, "-m", "mcscope"], cwd=REPO_ROOT, env=_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "no display" in lines[0] and "mcscope proxy" in lines[0] and "mcscope check" in lines[0]


def test_excepthook_shows_instead_of_crashing(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    app.install_excepthook(lambda summary, text: shown.append((summary, text)))
    try:
        raise ValueError("boom")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert shown and shown[0][0] == "ValueError: boom" and "Traceback" in shown[0][1]


def test_gui_subcommands_are_registered() -> None:
    from mcscope.cli import build_parser
    from mcscope.commands import gui as commands_gui

    parser = build_parser((commands_gui,))
    args = parser.parse_args(["open", "a.har", "--screenshot", "x.png"])
    assert args.files == ["a.har"] and args.screenshot == "x.png" and callable(args.func)
    args = parser.parse_args(["attach", "--list"])
    assert args.list and callable(args.func)
    args = parser.parse_args(["gui", "--demo", "--port", "9000"])
    assert args.demo and args.port == 9000


def test_attach_without_a_running_proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mcscope.cli import build_parser
    from mcscope.commands import gui as commands_gui

    args = build_parser((commands_gui,)).parse_args(["attach"])
    assert args.func(args) == 2
    assert "no running mcscope proxy" in capsys.readouterr().err


def test_open_missing_file_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert app.run("open", ["/nonexistent/file.har"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_screenshot(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "mcscope", "open", str(FIXTURES / "faulty-ad-outside-break.har"),
         "--screenshot", str(out)],
        cwd=REPO_ROOT, env=_env(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path)),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert img.width() >= 1200 and img.height() >= 800


def test_screenshot_without_files_does_not_wait_for_a_load(tmp_path: Path) -> None:
    """`mcscope --no-capture --screenshot x.png` renders the empty window and exits (no load to wait for)."""
    out = tmp_path / "empty.png"
    proc = subprocess.run(
        [sys.executable, "-m", "mcscope", "--no-capture", "--screenshot", str(out)],
        cwd=REPO_ROOT, env=_env(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path)),
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0


def test_demo_fills_the_window_with_live_sessions(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """--demo: the real mitmdump child in mock-collector mode + the scripted players child."""
    from PySide6.QtCore import QSettings

    from mcscope.gui.demo import Demo
    from mcscope.gui.proxyproc import free_port
    from mcscope.gui.window import MainWindow

    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                     message=lambda *a: None)
    qtbot.addWidget(win)
    win.proxy.config.port = free_port()
    win.demo = Demo(win, speed=50)
    try:
        assert win.demo.start()
        qtbot.waitUntil(lambda: len(win.dataset.sessions) >= 10, timeout=60000)
        # the faulty players' errors arrive as their scripts go on: wait for the first one
        qtbot.waitUntil(lambda: any(f.severity >= 3 for s in win.dataset.sessions for f in s.findings),
                        timeout=60000)
        assert "Capturing" in win.status_capture.text()
    finally:
        win.shutdown()


def test_sigterm_closes_the_window_and_stops_its_proxy(tmp_path: Path) -> None:
    """kill (SIGTERM) ends the window like closing it: the mitmdump child it started does not outlive it."""
    from mcscope.gui.proxyproc import free_port

    streams = tmp_path / "streams"
    env = _env(QT_QPA_PLATFORM="offscreen", MCSCOPE_STREAMS_DIR=str(streams), XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_RUNTIME_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "mcscope", "--port", str(free_port())], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    child = 0
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(streams.glob("*.json")):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
        found = list(streams.glob("*.json"))
        assert found, "the proxy child never advertised its stream"
        child = int(json.loads(found[0].read_text()).get("pid") or found[0].stem)
        os.kill(child, 0)  # it runs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            if _is_zombie(child):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the proxy child {child} outlived the window")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if child and not _is_zombie(child):  # a failed run must not leave a proxy behind
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
