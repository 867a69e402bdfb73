"""gui/window.py: the events table keeps the selected row away from its edges (keyboard, F8) without moving a
row the user clicks; the session search's tooltip names everything the search matches."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from mcscope.gui.exporting import write_journal
from mcscope.gui.proxyproc import free_port
from mcscope.gui.window import MainWindow
from tests.builder import Capture, start_params
from tests.edge_builder import EdgeCapture
from tests.gui.sessions import sid_of

FAKE_CHILD = str(Path(__file__).with_name("fakestream.py"))
LATE_PINGS = (45, 90)  # events after a 25 s silence: ping-interval warnings, what F8 steps to


@pytest.fixture
def window(qtbot: QtBot, settings: Any) -> Iterator[MainWindow]:
    win = MainWindow(settings=settings, message=lambda *a: None)
    win.proxy.config.program = [sys.executable, FAKE_CHILD]
    win.proxy.config.port = free_port()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    yield win
    win.shutdown()


def long_session(folder: Path) -> Path:
    """One REST session of 120 events: start, play, pings every 10 s (25 s before events LATE_PINGS)."""
    c = Capture(sid=sid_of("long"))
    c.start(start_params(media__name="Long session", media__length=3600))
    c.ev("play", dt=1000)
    for i in range(2, 120):
        c.ev("ping", dt=25_000 if i in LATE_PINGS else 10_000)
    path = folder / "long.ndjson"
    write_journal(c.exchanges, path)
    return path


def open_long(qtbot: QtBot, win: MainWindow, folder: Path) -> None:
    with qtbot.waitSignal(win.loaded, timeout=30000):
        win.open_files([str(long_session(folder))])
    win.select_session(win.listed_sessions()[0].key)
    qtbot.waitUntil(lambda: win.event_filter.rowCount() == 120, timeout=5000)


def context(win: MainWindow) -> tuple[int, int]:
    """(rows above, rows below) the selected row that the events table shows whole."""
    view = win.events_view
    rect = view.visualRect(view.selectionModel().currentIndex())
    h = view.rowHeight(0)
    return rect.top() // h, (view.viewport().height() - rect.top()) // h - 1


def test_keyboard_navigation_keeps_rows_of_context_below_and_above(qtbot: QtBot, window: MainWindow,
                                                                    tmp_path: Path) -> None:
    open_long(qtbot, window, tmp_path)
    view = window.events_view
    window.select_event(0)
    view.setFocus()
    for _ in range(60):
        top = view.rowAt(0)
        QTest.keyClick(view, Qt.Key.Key_Down)
        assert context(window)[1] >= 2
        assert view.rowAt(0) - top in (0, 1)  # one row at a time: the table does not jump under the eye
    assert window.selected_event().index == 60
    assert view.verticalScrollBar().value() > 0
    for _ in range(30):
        top = view.rowAt(0)
        QTest.keyClick(view, Qt.Key.Key_Up)
        assert context(window)[0] >= 2
        assert top - view.rowAt(0) in (0, 1)
    assert window.selected_event().index == 30
    QTest.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert window.selected_event().index == 119 and context(window)[1] == 0  # nothing below the last row


def test_next_problem_shows_the_event_with_context(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    open_long(qtbot, window, tmp_path)
    window.select_event(0)
    for expected in LATE_PINGS:
        assert window.goto_problem(+1)
        assert window.selected_event().index == expected
        above, below = context(window)
        assert above >= 2 and below >= 2
    assert window.goto_problem(-1) and window.selected_event().index == LATE_PINGS[0]
    assert min(context(window)) >= 2


def test_a_clicked_row_stays_under_the_mouse(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    open_long(qtbot, window, tmp_path)
    view = window.events_view
    window.select_event(0)
    bar = view.verticalScrollBar().value()
    last_whole = view.viewport().height() // view.rowHeight(0) - 1  # the lowest row fully in view
    cell = view.visualRect(view.model().index(last_whole, 1))
    assert cell.bottom() < view.viewport().height() and context(window)[1] > last_whole - 2
    QTest.mouseMove(view.viewport(), QPoint(cell.center()))  # the pointer comes to the row, then clicks
    qtbot.wait(20)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(cell.center()))
    assert window.selected_event().index == last_whole
    assert view.verticalScrollBar().value() == bar


def test_session_search_tooltip_names_protocol_and_location_hint(qtbot: QtBot, window: MainWindow,
                                                                 tmp_path: Path) -> None:
    tip = window.session_search.toolTip()
    assert '"edge"' in tip and '"rest"' in tip and "location hint" in tip
    edge = EdgeCapture(sid=sid_of("edge-or2"), hint="or2")
    edge.start()
    edge.ev("sessionComplete", dt=1000)
    rest = Capture(t0=1_700_000_600_000, sid=sid_of("rest"))
    rest.start(start_params())
    rest.ev("sessionComplete", dt=1000)
    path = tmp_path / "both.ndjson"
    write_journal(edge.exchanges + rest.exchanges, path)
    with qtbot.waitSignal(window.loaded, timeout=30000):
        window.open_files([str(path)])
    for query, protocol in (("edge", "edge"), ("rest", "rest"), ("or2", "edge")):  # what the tooltip promises
        window.session_search.setText(query)
        assert [s.protocol for s in window.listed_sessions()] == [protocol], query
