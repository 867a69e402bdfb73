from __future__ import annotations

import argparse
import subprocess
import sys
import types

import pytest

from mcscope import cli


def test_help_lists_available_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    assert "check" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("mcscope ")


def test_usage_error_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["no-such-command"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice" in err[0]


def test_every_command_module_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in ("check", "proxy", "simulate", "mock-collector", "addon-path", "open", "attach", "gui"):
        assert name in out


def test_a_broken_command_fails_loudly() -> None:
    """No half-registered CLI: a command module that cannot register stops build_parser with its error."""
    broken = types.ModuleType("mcscope_test_broken")

    def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        raise RuntimeError("half-written")

    broken.add_parser = add_parser  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="half-written"):
        cli.build_parser([*cli.COMMANDS, broken])


def test_no_subcommand_launches_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mcscope -v --demo --port 9090` is the window's launch, with its options passed on."""
    import mcscope.gui.app

    seen: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(mcscope.gui.app, "run", lambda *a, **kw: seen.append((a, kw)) or 0)
    assert cli.main([]) == 0
    assert cli.main(["-v", "--demo", "--port", "9090", "--listen-host", "0.0.0.0"]) == 0
    assert seen[0] == (("launch",), {"port": None, "host": None, "demo": False, "screenshot": None,
                                     "capture": True})
    assert seen[1] == (("launch",), {"port": 9090, "host": "0.0.0.0", "demo": True, "screenshot": None,
                                     "capture": True})


def test_window_options_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "--demo" in out and "--screenshot" in out


def test_console_entry_point_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "mcscope", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "usage: mcscope" in proc.stdout
