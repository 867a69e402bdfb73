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
from tests.gui.test_dataset import _check_alone, _verdict, mixed_journal


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


# ------------------------------------------------------------------ progressive open
@pytest.fixture
def slow_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader's reader, slowed down (a slow disk): every few exchanges take 15 ms to read."""
    import time

    from mcscope.gui import feed

    real = feed.read_files

    def slow(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for item in real(*args, **kwargs):
            time.sleep(0.015)
            yield item

    monkeypatch.setattr(feed, "read_files", slow)
    monkeypatch.setattr(feed.FileLoader, "BATCH", 3)


def test_sessions_show_while_the_file_loads_and_the_end_is_checks_verdict(
        qtbot: QtBot, win: MainWindow, tmp_path: Path, slow_reader: None) -> None:
    journal = str(mixed_journal(tmp_path / "mixed.ndjson"))
    har = str(FIXTURES / "faulty-ad-outside-break.har")
    done: list[bool] = []
    win.loaded.connect(done.append)
    win.open_files([journal, har])
    assert win.is_loading()
    qtbot.waitUntil(lambda: win.session_model.rowCount() > 0, timeout=10000)
    assert not done, "the first sessions are on screen before the load ends"
    partial = win.session_model.rowCount()
    statuses = {s.status for s in win.dataset.sessions}
    assert st.OPEN in statuses and win.progress.isVisible()
    assert not win.dataset.live and win.dataset.sources[0] == journal
    picture = win.grab()  # the window paints mid-load (looked at: rows, overview, progress bar)
    assert not picture.isNull()
    qtbot.waitUntil(lambda: bool(done), timeout=30000)
    assert done == [True] and not win.is_loading() and not win.progress.isVisible()
    assert win.session_model.rowCount() > partial
    ds = win.dataset
    for path in (journal, har):
        sessions, _ = _check_alone(path)
        assert _verdict([s for s in ds.sessions if ds.source_of(s.key) == path]) == sessions, path
    assert win.current_session() is not None  # the first session with a problem, as before


def test_a_session_picked_while_loading_stays_selected(qtbot: QtBot, win: MainWindow, tmp_path: Path,
                                                        slow_reader: None) -> None:
    journal = str(mixed_journal(tmp_path / "mixed.ndjson"))
    with qtbot.waitSignal(win.loaded, timeout=30000):
        win.open_files([journal])
        qtbot.waitUntil(lambda: win.session_model.rowCount() > 0, timeout=10000)
        key = win.dataset.sessions[0].key
        win.select_session(key)
        assert win.current_session() is not None and win.current_session().key == key
    current = win.current_session()
    assert current is not None and current.key == key
    assert win.first_problem_session() is not current  # without the pick, another session would show


def test_closing_or_opening_again_while_loading_stops_the_load(qtbot: QtBot, settings: Any, tmp_path: Path,
                                                              slow_reader: None) -> None:
    import gc

    journal = str(mixed_journal(tmp_path / "mixed.ndjson"))
    w = MainWindow(settings=settings, message=Messages())
    qtbot.addWidget(w)
    w.show()
    done: list[bool] = []
    w.loaded.connect(done.append)
    w.open_files([journal])
    first = w._loader
    qtbot.waitUntil(lambda: w.session_model.rowCount() > 0, timeout=10000)
    assert not gc.isenabled()  # no cyclic collection while loading
    other = str(FIXTURES / "clean-vod.har")
    w.open_files([other])  # the first load is cancelled: its thread ends, it emits nothing more
    assert first is not None and first.isFinished()
    qtbot.waitUntil(lambda: bool(done), timeout=30000)
    qtbot.wait(300)
    assert done == [True] and w.dataset.sources == [other] and len(w.dataset.sessions) == 1
    assert gc.isenabled()
    w.open_files([journal])
    second = w._loader
    qtbot.waitUntil(lambda: w.session_model.rowCount() > 0, timeout=10000)
    w.close()  # closing mid-load: the reader thread is joined, nothing more arrives
    assert second is not None and second.isFinished() and not w.is_loading()
    qtbot.wait(300)
    assert done == [True] and gc.isenabled()


def test_settings_changed_while_loading_load_the_files_again(qtbot: QtBot, win: MainWindow, tmp_path: Path,
                                                             slow_reader: None) -> None:
    journal = str(mixed_journal(tmp_path / "mixed.ndjson"))
    win.open_files([journal])
    qtbot.waitUntil(lambda: win.session_model.rowCount() > 0, timeout=10000)
    with qtbot.waitSignal(win.loaded, timeout=30000):
        win.apply_settings("127.0.0.1", 8080, ["ts-units"], {})
    rules = {f.rule for s in win.dataset.sessions for f in s.findings}
    assert "ts-units" not in rules and "session-not-closed" in rules
    win.apply_settings("127.0.0.1", 8080, [], {})  # not loading: the same exchanges judged again, at once
    assert not win.is_loading()
    assert "ts-units" in {f.rule for s in win.dataset.sessions for f in s.findings}


def test_what_an_earlier_load_showed_is_freed_when_other_files_open(qtbot: QtBot, win: MainWindow,
                                                                    tmp_path: Path) -> None:
    import weakref

    journal = str(mixed_journal(tmp_path / "mixed.ndjson"))
    assert _open(qtbot, win, [journal])
    first = weakref.ref(win.dataset.sessions[0])  # sessions hold cycles: only the cyclic GC frees them
    assert _open(qtbot, win, [str(FIXTURES / "clean-vod.har")])
    assert first() is None, "the first load's sessions stay frozen (gc.freeze) after the second load"
    assert len(win.dataset.sessions) == 1
