"""Opening files in the real window: every file judged on its own (like ``mcscope check``), non-captures
skipped and named, the rest loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from mcscope.core import status as st
from mcscope.gui.window import MainWindow
from tests.conftest import FIXTURES, REPO_ROOT
from tests.gui.test_dataset import _check_alone, _verdict


class Messages:
    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    def __call__(self, parent: Any, title: str, text: str) -> None:
        self.shown.append((title, text))


@pytest.fixture
def win(qtbot: QtBot, settings: Any) -> Iterator[MainWindow]:
    w = MainWindow(settings=settings, message=Messages())
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    yield w
    w.shutdown()


def _open(qtbot: QtBot, w: MainWindow, paths: list[str]) -> bool:
    with qtbot.waitSignal(w.loaded, timeout=60000) as blocker:
        w.open_files(paths)
    return bool(blocker.args[0])


def test_the_window_judges_every_external_capture_as_check_does_alone(qtbot: QtBot, win: MainWindow,
                                                                      external_fixtures: Path) -> None:
    paths = sorted(str(p) for p in external_fixtures.glob("*.har"))
    assert _open(qtbot, win, paths)
    ds = win.dataset
    assert not ds.live and ds.sources == paths
    by_source: dict[str, list[Any]] = {}
    for s in ds.sessions:
        by_source.setdefault(ds.source_of(s.key) or "?", []).append(s)
    for path in paths:
        sessions, _ = _check_alone(path)
        assert _verdict(by_source.get(path, [])) == sessions, path
    # what the session list shows: the core's status words, never "live"
    shown = {win.session_model.index(r, win.session_model.COL_STATUS).data()
             for r in range(win.session_model.rowCount())}
    assert shown and "live" not in shown and shown <= set(st.LABELS.values())


def test_a_non_capture_among_captures_is_skipped_and_named(qtbot: QtBot, win: MainWindow, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    good = [str(FIXTURES / "clean-vod.har"), str(FIXTURES / "faulty-ad-outside-break.har")]
    assert not _open(qtbot, win, [good[0], str(notes), good[1]])
    assert win.dataset.sources == good
    assert {win.dataset.source_of(s.key) for s in win.dataset.sessions} == set(good)
    assert len(win.dataset.sessions) == 2 and win.session_model.rowCount() == 2
    (title, text), = win.message.shown  # type: ignore[attr-defined]
    assert "Skipped 1 of 3 files" in text and "notes.txt" in text
    assert win.banner.kind == "error" and "notes.txt" in win.banner.label.text()


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    return env


def test_mcscope_open_with_a_mix_loads_the_captures_and_names_the_rest(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    out = tmp_path / "mix.png"
    proc = subprocess.run(
        [sys.executable, "-m", "mcscope", "open", str(notes), str(FIXTURES / "faulty-ad-outside-break.har"),
         str(tmp_path / "gone.har"), "--screenshot", str(out)],
        cwd=REPO_ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"skipped {notes}: " in proc.stderr and "gone.har: no such file" in proc.stderr
    assert "Skipped 2 of 3 files" in proc.stderr  # the window's own note (printed in screenshot mode)
    assert out.stat().st_size > 0


def test_mcscope_open_with_nothing_to_show_exits_2(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    proc = subprocess.run([sys.executable, "-m", "mcscope", "open", str(notes), str(tmp_path / "gone.har")],
                          cwd=REPO_ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "notes.txt" in proc.stderr and "gone.har: no such file" in proc.stderr
