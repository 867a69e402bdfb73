"""gui/proxyproc.py: the child supervisor, run against a fake mitmdump (tests/gui/fakestream.py)."""

from __future__ import annotations

import socket
import sys
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
