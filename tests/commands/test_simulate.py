"""``mcscope simulate`` and ``mcscope mock-collector`` end to end (loopback only, bounded)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mcscope.cli import main
from mcscope.commands.simulate import list_scenarios
from mcscope.sim.mockserver import ServerThread
from mcscope.sim.simulate import SCENARIOS

REPO = Path(__file__).resolve().parents[2]


def test_list_shows_every_scenario_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    out = capsys.readouterr().out
    for sc in SCENARIOS.values():
        assert sc.name in out
        for rule in sc.expected_rules:
            assert rule in out
    assert "clean (no errors, no warnings)" in list_scenarios()


def test_simulate_all_against_mock(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread() as server:
        code = main(["simulate", "--target", server.url, "--speed", "0", "--scenario", "all"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.strip().splitlines()
    assert len(lines) == len(SCENARIOS) + 1
    assert re.search(
        rf"{len(SCENARIOS)} players, {len(SCENARIOS)} scenarios, [\d,]+ requests, 0 with unexpected", lines[-1]
    )
    assert any(line.startswith("[vod-preroll-midroll #0] sid ") and "201x1" in line for line in lines)


def test_simulate_players_and_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread() as server:
        code = main(
            ["simulate", "--target", server.url, "--speed", "0", "--scenario", "live", "--players", "5", "-q"]
        )
        assert server.collector.session_count == 5
    out = capsys.readouterr().out
    assert code == 0
    assert out.strip().splitlines() == [out.strip()]
    assert "5 players, 1 scenario, " in out


def test_simulate_through_proxy_option(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread() as proxy:
        code = main(
            [
                "simulate",
                "--target",
                "http://collector.invalid",
                "--proxy",
                proxy.url,
                "--speed",
                "0",
                "--scenario",
                "chapters",
            ]
        )
    assert code == 0, capsys.readouterr()


def test_unexpected_statuses_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A collector that does not know the session (here: it forgets every session) is reported."""
    from mcscope.sim.collector import MockCollector

    with ServerThread(MockCollector(max_sessions=1)) as server:
        server.collector._sessions._max_sessions = 0  # noqa: SLF001 - forget sessions as soon as they are made
        code = main(["simulate", "--target", server.url, "--speed", "0", "--scenario", "no-pings"])
    out = capsys.readouterr().out
    assert code == 1
    assert "UNEXPECTED" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate"], "--target URL is required"),
        (["simulate", "--target", "ftp://x"], "scheme must be http"),
        (["simulate", "--target", "http://127.0.0.1:9", "--proxy", "https://p:1"], "--proxy"),
        (["simulate", "--target", "http://127.0.0.1:9", "--scenario", "nope"], "unknown scenario"),
        (["simulate", "--target", "http://127.0.0.1:9", "--players", "0"], "--players"),
        (["simulate", "--target", "http://127.0.0.1:9", "--speed", "-1"], "--speed"),
        (["simulate", "--target", "http://127.0.0.1:9", "--speed", "nan"], "--speed"),
        (["simulate", "--target", "http://127.0.0.1:9", "--timeout", "0"], "--timeout"),
        (["simulate", "--target", "https://127.0.0.1:9", "--cafile", "/nonexistent.pem"], "--cafile"),
        (["mock-collector", "--listen", "host:abc"], "bad port"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_connection_refused_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread() as server:
        url = server.url
    code = main(["simulate", "--target", url, "--speed", "0"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        f"mcscope simulate: cannot connect to {url[7:]}: Connection refused"
    ]


def test_mock_collector_port_in_use_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread() as server:
        host, port = server.address
        assert main(["mock-collector", "--listen", f"{host}:{port}"]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_mock_collector_subprocess_serves_and_stops() -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcscope", "mock-collector", "--listen", "127.0.0.1:0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.match(r"mock collector listening on (http://127\.0\.0\.1:\d+)", line)
        assert m, line + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        code = main(
            ["simulate", "--target", m.group(1), "--speed", "0", "--scenario", "drop-before-start", "-q"]
        )
        assert code == 0
        request_line = proc.stdout.readline()
        assert request_line.startswith("POST /api/v1/sessions -> 201")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert proc.returncode in (0, -signal.SIGINT, 130)


def test_one_player_one_scenario_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread() as server:
        code = main(["simulate", "--target", server.url, "--speed", "0", "--scenario", "live", "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert re.fullmatch(r"simulate: 1 player, 1 scenario, \d+ requests, 0 with unexpected results\n", out)


def test_help_shows_defaults_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in ("concurrent players per scenario (default: 1)", "(0 = no waiting; default: 1.0)",
                 "timeout in seconds (default: 10.0)", "exit codes: 0 every response as expected"):
        assert text in out
