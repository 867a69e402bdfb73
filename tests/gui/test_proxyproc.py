"""gui/proxyproc.py: the child supervisor, run against a fake mitmdump (tests/gui/fakestream.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mcscope.gui import proxyproc
from mcscope.gui.feed import StreamClient
from mcscope.gui.proxyproc import CRASHED, RUNNING, STOPPED, PortBusyError, ProxyProcess, free_port
from mcscope.live import ADDON_SCRIPT

FAKE = str(Path(__file__).with_name("fakestream.py"))


def make_proxy(port: int | None = None) -> ProxyProcess:
    p = ProxyProcess()
    p.config.program = [sys.executable, FAKE]
    p.config.port = port or free_port()
    return p


def test_command_line_of_the_real_child(monkeypatch: pytest.MonkeyPatch) -> None:
    p = ProxyProcess()
    p.config.port = 9123
    p.config.journal = "/tmp/j.ndjson"
    p.socket_path = "/tmp/x/stream.sock"
    argv = p.command()
    assert Path(argv[0]).name == "mitmdump"
    assert argv[argv.index("-s") + 1] == str(ADDON_SCRIPT)
    assert argv[argv.index("--listen-port") + 1] == "9123"
    assert "mcscope_stream=/tmp/x/stream.sock" in argv
    assert "mcscope_journal=/tmp/j.ndjson" in argv
    assert all("token" not in a.lower() for a in argv)  # the token travels in the environment only


def test_mitmdump_is_found_next_to_the_interpreter() -> None:
    exe = proxyproc.find_mitmdump()
    assert exe is not None and Path(exe).parent == Path(sys.executable).parent


def test_start_connect_stop(qtbot: QtBot) -> None:
    p = make_proxy()
    p.start()
    try:
        qtbot.waitUntil(lambda: p.state == RUNNING, timeout=5000)
        assert Path(p.socket_path).parent.stat().st_mode & 0o777 == 0o700
        client = StreamClient()
        hellos: list[dict] = []
        client.hello.connect(hellos.append)
        client.connect_to(p.socket_path, p.token, wait_s=10)
        qtbot.waitUntil(lambda: bool(hellos), timeout=10000)  # the token reached the child via env
        assert hellos[0]["listen"].endswith(str(p.config.port))
        client.close()
    finally:
        with qtbot.waitSignal(p.state_changed, timeout=5000):
            p.stop()
    assert p.state == STOPPED
    p.shutdown()


def test_busy_port_is_refused_before_starting() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        p = make_proxy(s.getsockname()[1])
        with pytest.raises(PortBusyError) as info:
            p.start()
    assert str(info.value.port) in str(info.value)
    assert p.state == STOPPED


def test_crash_is_reported_with_the_last_output(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CRASH_AFTER", "0.5")
    p = make_proxy()
    with qtbot.waitSignal(p.crashed, timeout=10000) as blocker:
        p.start()
    code, output = blocker.args
    assert code == 3
    assert "fake proxy exploded" in output
    assert "proxy listening" in output
    assert p.state == CRASHED
    p.shutdown()


def test_killed_child_is_a_crash(qtbot: QtBot) -> None:
    import os
    import signal

    p = make_proxy()
    p.start()
    qtbot.waitUntil(lambda: p.state == RUNNING and p.pid() > 0, timeout=5000)
    with qtbot.waitSignal(p.crashed, timeout=5000):
        os.kill(p.pid(), signal.SIGKILL)
    assert p.state == CRASHED
    p.shutdown()


def test_missing_program_is_a_crash_not_an_exception(qtbot: QtBot) -> None:
    p = ProxyProcess()
    p.config.program = ["/nonexistent/mitmdump"]
    p.config.port = free_port()
    with qtbot.waitSignal(p.crashed, timeout=5000) as blocker:
        p.start()
    assert "could not start" in blocker.args[1]


def test_port_problem_is_recognised() -> None:
    out = "Error starting proxy server: OSError(98, 'address already in use')"
    assert proxyproc.describe_port_problem(out)
    assert proxyproc.describe_port_problem("all fine") is None


# ------------------------------------------------------------------ the child dies with the window
#: A window stand-in: starts the proxy child through ProxyProcess (the window's code path), prints its pid once
#: it runs, then idles in the event loop until it is killed. argv: fake child, port, "guarded"|"unguarded".
PARENT = """\
import sys
from PySide6.QtCore import QCoreApplication
app = QCoreApplication([])
from mcscope.gui import proxyproc
if sys.argv[3] == "unguarded":
    proxyproc.DEATH_SIGNAL = None
p = proxyproc.ProxyProcess()
p.config.program = [sys.executable, sys.argv[1]]
p.config.port = int(sys.argv[2])
p.state_changed.connect(lambda state: print(state, p.pid(), flush=True))
p.start()
app.exec()
"""


def alive(pid: int) -> bool:
    """``pid`` runs (an orphan's zombie, left for init to reap, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def start_window_stand_in(tmp_path: Path, port: int, mode: str) -> tuple[subprocess.Popen[str], int]:
    script = tmp_path / "window.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script), FAKE, str(port), mode], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert parent.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = parent.stdout.readline()
        if line.startswith(RUNNING):
            child = int(line.split()[1])
            assert child > 0 and child != parent.pid
            return parent, child
        if not line and parent.poll() is not None:
            break
    parent.kill()
    pytest.fail(f"the proxy child did not start (window stand-in exit {parent.wait()})")


def wait_port_bound(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while proxyproc.port_is_free("127.0.0.1", port):
        assert time.monotonic() < deadline, "the fake child never bound its port"
        time.sleep(0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_child_exits_when_the_window_is_killed(tmp_path: Path) -> None:
    port = free_port()
    parent, child = start_window_stand_in(tmp_path, port, "guarded")
    try:
        wait_port_bound(port)
        os.kill(parent.pid, signal.SIGKILL)  # no shutdown(), no Qt clean-up: as a crash or kill -9 of the window
        parent.wait(10)
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child), "the proxy child outlived its window"
        deadline = time.monotonic() + 5
        while not proxyproc.port_is_free("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxyproc.port_is_free("127.0.0.1", port)  # the proxy port is given back
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_without_the_guard_the_child_outlives_a_killed_window(tmp_path: Path) -> None:
    """The control: what the guard prevents (the test above would pass vacuously if children died anyway)."""
    port = free_port()
    parent, child = start_window_stand_in(tmp_path, port, "unguarded")
    try:
        wait_port_bound(port)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        time.sleep(1.5)
        assert alive(child)
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_guard_wraps_the_command_only_where_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["/usr/bin/mitmdump", "-q", "--listen-port", "8080"]
    monkeypatch.setattr(proxyproc, "DEATH_SIGNAL", signal.SIGTERM)
    wrapped = proxyproc.guarded(argv, parent_pid=4242)
    assert wrapped[0] == sys.executable and wrapped[-len(argv):] == argv
    assert wrapped[wrapped.index("-c") + 2:wrapped.index("-c") + 5] == ["1", str(int(signal.SIGTERM)), "4242"]
    monkeypatch.setattr(proxyproc, "DEATH_SIGNAL", None)
    assert proxyproc.guarded(argv) == argv


@pytest.mark.skipif(proxyproc.DEATH_SIGNAL is None, reason="no guard where PR_SET_PDEATHSIG is missing")
def test_guard_reports_a_missing_program_like_a_failed_start() -> None:
    out = subprocess.run(proxyproc.guarded(["/nonexistent/mitmdump", "-q"]), capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 127
    assert out.stdout == "could not start the proxy: /nonexistent/mitmdump: No such file or directory\n"
    assert not out.stderr  # no traceback


@pytest.mark.skipif(proxyproc.DEATH_SIGNAL is None, reason="no guard where PR_SET_PDEATHSIG is missing")
def test_guard_exits_at_once_when_its_window_is_already_gone() -> None:
    """The window died between the fork and the prctl: the guard's parent is not the pid it was given."""
    out = subprocess.run(proxyproc.guarded([sys.executable, "-c", "print('started')"], parent_pid=1),
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0 and "started" not in out.stdout
    out = subprocess.run(proxyproc.guarded([sys.executable, "-c", "print('started')"]), capture_output=True,
                         text=True, timeout=20)
    assert out.stdout == "started\n"
