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


def test_missing_and_broken_modules_are_tolerated(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = types.ModuleType("mcscope_test_broken")

    def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        raise RuntimeError("half-written")

    broken.add_parser = add_parser  # type: ignore[attr-defined]
    good = types.ModuleType("mcscope_test_good")

    def add_good(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        p = sub.add_parser("hello")
        p.set_defaults(func=lambda args: 7)

    good.add_parser = add_good  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mcscope_test_broken", broken)
    monkeypatch.setitem(sys.modules, "mcscope_test_good", good)
    parser = cli.build_parser(["mcscope_test_missing.module", "mcscope_test_broken", "mcscope_test_good"])
    args = parser.parse_args(["hello"])
    assert args.func(args) == 7


def test_no_subcommand_launches_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setattr(cli, "_launch_gui", lambda argv: called.append(list(argv)) or 0)
    assert cli.main([]) == 0
    assert called == [[]]


def test_window_options_reach_the_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mcscope --demo --port 9090` is the window's launch, with its options passed on."""
    import mcscope.gui.app

    seen = []
    monkeypatch.setattr(mcscope.gui.app, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["-v", "--demo", "--port", "9090"]) == 0
    assert seen == [["--demo", "--port", "9090"]]


def test_window_options_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "--demo" in out and "--screenshot" in out


def test_console_entry_point_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "mcscope", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "usage: mcscope" in proc.stdout
