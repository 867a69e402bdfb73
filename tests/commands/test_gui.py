"""The window's front doors (mcscope/commands/gui.py): what ``open`` refuses before any window, and the help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mcscope import cli

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def _no_window(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    import mcscope.gui.app

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(mcscope.gui.app, "run", lambda *a, **kw: calls.append(a) or 0)
    return calls


@pytest.mark.parametrize("content", [b'{"log": 5}', b'{"log": {"entries": 3}}', b"", b"\x00junk" * 100])
def test_open_of_only_unreadable_files_exits_2_without_a_window(content: bytes, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    calls = _no_window(monkeypatch)
    bad = tmp_path / "bad.har"
    bad.write_bytes(content)
    missing = tmp_path / "nope.har"
    assert cli.main(["open", str(bad), str(missing), "--screenshot", str(tmp_path / "x.png")]) == 2
    assert calls == []
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith(f"mcscope: skipped {bad}: ")
    assert err[1] == f"mcscope: skipped {missing}: no such file"


def test_open_with_one_readable_file_opens_the_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _no_window(monkeypatch)
    bad = tmp_path / "bad.har"
    bad.write_text('{"log": 5}')
    good = str(FIXTURES / "clean-vod.har")
    assert cli.main(["open", str(bad), good]) == 0
    assert calls == [("open", [str(bad), good])]
    nosession = tmp_path / "nosession.har"  # readable, just without sessions: the window says so itself
    nosession.write_text('{"log": {"version": "1.2", "entries": []}}')
    assert cli.main(["open", str(nosession)]) == 0
    assert len(calls) == 2


def test_open_screenshot_of_a_bad_har_exits_2() -> None:
    """The new user's trial, as run: ``mcscope open BADFILE --screenshot x.png`` (no display needed)."""
    with_log5 = subprocess.run(
        [sys.executable, "-c", "import sys, pathlib, tempfile; d = pathlib.Path(tempfile.mkdtemp()); "
         "(d / 'b.har').write_text('{\"log\": 5}'); from mcscope.cli import main; "
         "sys.exit(main(['open', str(d / 'b.har'), '--screenshot', str(d / 'x.png')]))"],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"},
    )
    assert with_log5.returncode == 2, with_log5.stderr
    assert "not a HAR file" in with_log5.stderr and "Traceback" not in with_log5.stderr


def _help(*argv: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main([*argv, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_help_texts(capsys: pytest.CaptureFixture[str]) -> None:
    gui = _help("gui", capsys=capsys)
    assert "Open the desktop window and start capturing" in gui
    assert "--listen-host HOST" in gui and "LISTEN_HOST" not in gui
    assert "LISTEN_HOST" not in _help(capsys=capsys)  # mcscope without a subcommand: the same options
    opened = _help("open", capsys=capsys)
    assert "capture files (the format is sniffed" in opened and "exit codes:" in opened
