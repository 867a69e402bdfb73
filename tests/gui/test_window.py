"""gui/window.py: the main window on real files, on a test double of the stream, and on a fake child."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from mcscope.gui.proxyproc import free_port
from mcscope.gui.window import MainWindow
from tests.conftest import FIXTURES
from tests.gui.conftest import records_of
from tests.gui.fakestream import FakeStreamServer

FAKE_CHILD = str(Path(__file__).with_name("fakestream.py"))


class Messages:
    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    def __call__(self, parent: Any, title: str, text: str) -> None:
        self.shown.append((title, text))


@pytest.fixture
def messages() -> Messages:
    return Messages()


@pytest.fixture
def window(qtbot: QtBot, settings: Any, messages: Messages) -> Iterator[MainWindow]:
    win = MainWindow(settings=settings, message=messages)
    win.proxy.config.program = [sys.executable, FAKE_CHILD]
    win.proxy.config.port = free_port()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    yield win
    win.shutdown()


def open_and_wait(qtbot: QtBot, win: MainWindow, *paths: Path) -> bool:
    with qtbot.waitSignal(win.loaded, timeout=30000) as blocker:
        win.open_files([str(p) for p in paths])
    return bool(blocker.args[0])


def test_open_file_shows_sessions_timeline_events_and_details(qtbot: QtBot, window: MainWindow) -> None:
    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    assert window.session_model.rowCount() >= 1
    session = window.current_session()
    assert session is not None, "the first session with problems is selected"
    assert any(int(f.severity) >= 2 for f in session.findings)
    assert window.event_model.rowCount() == len(session.events)
    assert window.timeline.session() is session
    html = window.details.toHtml()
    assert "What Adobe will count" in html
    assert "faulty-ad-outside-break.har" in window.status_journal.text()


def test_table_and_timeline_selection_follow_each_other(qtbot: QtBot, window: MainWindow) -> None:
    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    session = window.current_session()
    flagged = next(e for e in session.events if e.findings)
    # timeline click -> table row + details
    window.timeline.eventClicked.emit(session.key, flagged.index)
    assert window.selected_event() is flagged
    html = window.details.toHtml()
    assert flagged.findings[0].rule in html
    assert "Request" in html and "/api/v1/" in html
    # table row -> timeline selection
    other = session.events[0]
    window.select_event(other.index)
    assert window.selected_event() is other
    assert window.timeline._selected == other.index


def test_filters(qtbot: QtBot, window: MainWindow) -> None:
    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    session = window.current_session()
    total = len(session.events)
    window.filter_severity.setCurrentIndex(window.filter_severity.findData("findings"))
    with_findings = sum(1 for e in session.events if e.findings)
    assert window.event_filter.rowCount() == with_findings < total
    rule = session.findings[0].rule
    window.filter_severity.setCurrentIndex(0)
    window.filter_rule.setCurrentIndex(window.filter_rule.findData(rule))
    assert 0 < window.event_filter.rowCount() < total
    window.clear_filters()
    window.filter_text.setText("no-such-text-anywhere")
    assert window.event_filter.rowCount() == 0
    assert "of" in window.filter_count.text()
    window.clear_filters()
    assert window.event_filter.rowCount() == total


def test_truncated_file_shows_what_was_read(qtbot: QtBot, window: MainWindow, messages: Messages,
                                           tmp_path: Path) -> None:
    data = (FIXTURES / "clean-vod.mitm").read_bytes()
    bad = tmp_path / "torn.mitm"
    bad.write_bytes(data[: len(data) * 2 // 3])
    assert not open_and_wait(qtbot, window, bad)
    assert len(messages.shown) == 1
    title, text = messages.shown[0]
    assert "torn.mitm" in text and "could be read" in text
    assert window.banner.isVisible() and window.banner.kind == "error"
    assert window.session_model.rowCount() >= 1  # the part that was read is shown


def test_garbage_file(qtbot: QtBot, window: MainWindow, messages: Messages, tmp_path: Path) -> None:
    bad = tmp_path / "garbage.har"
    bad.write_bytes(b"\x00\x01 definitely not a capture")
    assert not open_and_wait(qtbot, window, bad)
    assert messages.shown and "garbage.har" in messages.shown[0][1]


def test_drop_files_opens_them(qtbot: QtBot, window: MainWindow) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(FIXTURES / "clean-vod.har"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.loaded, timeout=30000):
        window.dropEvent(event)
    assert window.session_model.rowCount() == 1


def test_exports(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    from mcscope.io.capture import read_exchanges

    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    window.export_html(str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text()
    assert "data:image/png;base64," in html and "ad-outside-break" in html
    window.export_json(str(tmp_path / "r.json"))
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["summary"]["sessions"] == window.session_model.rowCount()
    window.export_png(str(tmp_path / "t.png"))
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")
    n = window.save_journal(str(tmp_path / "j.ndjson"))
    assert n == len(list(read_exchanges(FIXTURES / "faulty-ad-outside-break.har")))
    assert len(list(read_exchanges(tmp_path / "j.ndjson"))) == n


def test_settings_persist(qtbot: QtBot, settings: Any, messages: Messages) -> None:
    win = MainWindow(settings=settings, message=messages)
    qtbot.addWidget(win)
    win.resize(640, 470)
    win.proxy.config.port = 9999
    win.apply_settings("127.0.0.1", 9999, ["unknown-host"], {"idle_timeout": "300"})
    win.shutdown()
    again = MainWindow(settings=settings, message=messages)
    qtbot.addWidget(again)
    assert again.proxy.config.port == 9999
    assert again.size().width() == 640
    assert "unknown-host" in str(settings.value("analysis/ignored"))
    again.shutdown()


def test_ignored_rules_setting_reanalyses(qtbot: QtBot, window: MainWindow) -> None:
    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    rules = {f.rule for s in window.dataset.sessions for f in s.findings}
    rule = sorted(rules)[0]
    window.apply_settings("127.0.0.1", window.proxy.config.port, [rule], {})
    after = {f.rule for s in window.dataset.sessions for f in s.findings if not f.ignored}
    cfg = window.dataset.config
    assert rule not in after or rule in cfg.ignore


# ------------------------------------------------------------------------------------------ live
@pytest.fixture
def stream(sock_dir: Path) -> Iterator[FakeStreamServer]:
    recs = records_of("clean-vod.har")
    server = FakeStreamServer(str(sock_dir / "s.sock"), "tok", recs[:4]).start()
    server.all_records = recs  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_live_rows_appear_from_snapshot_and_deltas(qtbot: QtBot, window: MainWindow,
                                                   stream: FakeStreamServer) -> None:
    window.attach(stream.path, "tok")
    qtbot.waitUntil(lambda: window.session_model.rowCount() == 1, timeout=5000)
    window.select_session(window.dataset.sessions[0].key)
    before = window.event_model.rowCount()
    for r in stream.all_records[4:]:  # type: ignore[attr-defined]
        stream.send({"type": "exchange", "record": r})
    total = len(window.dataset.sessions[0].events)
    qtbot.waitUntil(lambda: window.dataset.exchanges and len(window.dataset.exchanges) == len(
        stream.all_records), timeout=5000)  # type: ignore[attr-defined]
    total = len(window.dataset.sessions[0].events)
    qtbot.waitUntil(lambda: window.event_model.rowCount() == total, timeout=5000)
    assert total > before
    assert "fake-journal" in window.status_journal.text()
    assert "Attached" in window.status_capture.text()


def test_gap_shows_a_notice_and_resyncs(qtbot: QtBot, window: MainWindow, stream: FakeStreamServer) -> None:
    window.attach(stream.path, "tok")
    qtbot.waitUntil(lambda: window.session_model.rowCount() == 1, timeout=5000)
    stream.records = list(stream.all_records)  # type: ignore[attr-defined]  # what the proxy holds now
    stream.send({"type": "gap", "missed": 17})
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    assert "17" in window.banner.label.text() and window.banner.kind == "warning"
    qtbot.waitUntil(lambda: stream.connections == 2, timeout=5000)
    qtbot.waitUntil(lambda: len(window.dataset.exchanges) == len(stream.all_records),  # type: ignore[attr-defined]
                    timeout=5000)
    flows = [ex.flow_id for ex in window.dataset.exchanges]
    assert len(flows) == len(set(flows)), "a resync never duplicates exchanges"


def test_child_crash_shows_banner_keeps_data_and_restarts(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    journal = tmp_path / "seed.ndjson"
    journal.write_text("".join(json.dumps(r) + "\n" for r in records_of("clean-vod.har")))
    monkeypatch.setenv("FAKE_RECORDS", str(journal))
    monkeypatch.setenv("FAKE_CRASH_AFTER", "1.5")
    assert window.start_capture()
    qtbot.waitUntil(lambda: window.session_model.rowCount() == 1, timeout=10000)
    assert "Capturing" in window.status_capture.text()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
    assert "stopped unexpectedly" in window.banner.label.text()
    assert "fake proxy exploded" in window.banner.details.toPlainText()
    assert window.session_model.rowCount() == 1, "captured data stays"
    monkeypatch.delenv("FAKE_CRASH_AFTER")
    restart = window.banner.button("Restart proxy")
    assert restart is not None
    restart.click()
    qtbot.waitUntil(lambda: window.feed.is_connected(), timeout=10000)
    assert not window.banner.isVisible()
    assert window.session_model.rowCount() == 1
    window.stop_capture()
    assert "Not capturing" in window.status_capture.text()


def test_busy_port_offers_another(qtbot: QtBot, window: MainWindow) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        window.proxy.config.port = s.getsockname()[1]
        assert not window.start_capture()
        assert window.banner.isVisible()
        assert "already in use" in window.banner.label.text()
        other = next(b for b in window.banner._buttons if b.text().startswith("Use port"))
        saved = window.settings.proxy_address()[1]
        other.click()
        qtbot.waitUntil(lambda: window.feed.is_connected(), timeout=10000)
        assert window.proxy.config.port != s.getsockname()[1]
        window.save_settings()
        assert window.settings.proxy_address()[1] == saved  # this run only: not the saved default
        keep = next(b for b in window.banner._buttons if b.text().startswith("Make"))
        keep.click()
        assert window.settings.proxy_address()[1] == window.proxy.config.port
    window.stop_capture()


def test_f5_toggles_capture(qtbot: QtBot, window: MainWindow) -> None:
    assert window.act_capture.shortcut().toString() == "F5"
    window.act_capture.trigger()
    qtbot.waitUntil(lambda: window.feed.is_connected(), timeout=10000)
    assert window.act_capture.text() == "Stop capture"
    window.act_capture.trigger()
    assert window.act_capture.text() == "Start capture"


# ------------------------------------------------------------------------------------ end to end
def test_end_to_end_real_mitmdump_players_and_mock_collector(qtbot: QtBot, settings: Any, messages: Messages,
                                                             tmp_path: Path) -> None:
    """The real mitmdump child with the addon; scripted players through it; the mock collector upstream."""
    import asyncio
    import threading

    from mcscope.sim.httpclient import parse_url
    from mcscope.sim.mockserver import ServerThread
    from mcscope.sim.simulate import run_players, select_scenarios

    win = MainWindow(settings=settings, message=messages)
    qtbot.addWidget(win)
    win.proxy.config.port = free_port()
    win.proxy.config.journal = str(tmp_path / "journal.ndjson")
    win.show()
    try:
        with ServerThread() as collector:
            assert win.start_capture()
            qtbot.waitUntil(win.feed.is_connected, timeout=30000)
            assert str(tmp_path / "journal.ndjson") in win.status_journal.text()
            scenarios = select_scenarios(["vod-preroll-midroll", "ad-outside-break"])
            results: list[Any] = []

            def play() -> None:
                results.extend(asyncio.run(run_players(
                    scenarios, parse_url(collector.url), proxy=parse_url(f"http://127.0.0.1:{win.proxy.config.port}"),
                    speed=0, check_expected=False)))

            t = threading.Thread(target=play)
            t.start()
            qtbot.waitUntil(lambda: not t.is_alive(), timeout=60000)
            assert len(results) == 2
            qtbot.waitUntil(lambda: win.session_model.rowCount() == 2, timeout=15000)
            qtbot.waitUntil(lambda: any(f.rule == "ad-outside-break" for s in win.dataset.sessions
                                        for f in s.findings), timeout=15000)
            bad = win.first_problem_session()
            win.select_session(bad.key)
            assert win.event_model.rowCount() == len(bad.events) > 5
            flagged = next(e for e in bad.events if any(f.rule == "ad-outside-break" for f in e.findings))
            assert win.select_event(flagged.index)
            assert "ad-outside-break" in win.details.toHtml()
    finally:
        win.shutdown()


def test_grouped_findings_expand_and_link_to_events(qtbot: QtBot, window: MainWindow) -> None:
    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    page = window.details.toHtml()
    assert "ad-outside-break" in page and "×2" in page and page.count("adStart outside") == 1
    window._on_details_link(QUrl("group:ad-outside-break"))
    assert "adComplete outside" in window.details.toHtml()  # expanded: every occurrence
    window._on_details_link(QUrl("event:7"))
    assert window.selected_event() is not None and window.selected_event().index == 7


def test_next_previous_problem_across_events_and_sessions(qtbot: QtBot, window: MainWindow) -> None:
    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har",
                         FIXTURES / "faulty-events-after-end.har", FIXTURES / "clean-vod.har")
    listed = window.listed_sessions()
    window.select_session(listed[0].key)
    seen = []
    while window.goto_problem(+1):
        ev = window.selected_event()
        seen.append((window.current_session().key, ev.index if ev else None))
        assert len(seen) < 50
    keys = [k for k, _ in seen]
    assert len(set(keys)) == 2 and keys == sorted(keys, key=[s.key for s in listed].index)
    assert all(window.is_problem(window.dataset.session(k).events[i]) for k, i in seen)
    assert window.goto_problem(-1)
    assert (window.current_session().key, window.selected_event().index) == seen[-2]


def test_timeline_click_keeps_the_events_filter(qtbot: QtBot, window: MainWindow) -> None:
    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    window.filter_problems.setChecked(True)
    assert window.event_filter.rowCount() == 2
    window._on_timeline_event(window.current_session().key, 1)  # a plain event, hidden by the filter
    assert window.filter_problems.isChecked() and window.event_filter.rowCount() == 2
    assert not window.filter_note.isHidden() and "#1" in window.filter_note.text()
    assert "#1 play" in window.details.toPlainText()


def test_session_columns_overview_order_and_source(qtbot: QtBot, window: MainWindow) -> None:
    files = [FIXTURES / "faulty-ad-outside-break.har", FIXTURES / "clean-vod.har"]
    assert open_and_wait(qtbot, window, *files)
    view = window.sessions_view
    assert not view.isColumnHidden(window.session_model.COL_SOURCE)
    assert view.horizontalScrollBar().maximum() == 0 or not view.horizontalScrollBar().isVisible()
    assert [s.key for s in window.timeline._sessions] == [s.key for s in window.listed_sessions()]
    window.problems_only.setChecked(True)
    assert [s.key for s in window.timeline._sessions] == [s.key for s in window.listed_sessions()]
    assert len(window.timeline._sessions) == 1


def test_event_menu_copies_curl_and_body(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QApplication

    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    event = window.current_session().events[3]
    menu = window.event_menu(event)
    titles = [a.text() for a in menu.actions() if a.text()]
    assert titles[:3] == ["Copy as cURL", "Copy request body", "Copy session id"]
    assert "Explain ad-outside-break…" in titles
    next(a for a in menu.actions() if a.text() == "Copy as cURL").trigger()
    text = QApplication.clipboard().text()
    assert text.startswith("curl -X POST ") and "adStart" in text
    assert {m.title() for m in window.menuBar().findChildren(type(menu))} >= {"&Help"}


def test_export_says_where_the_file_went(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har")
    target = tmp_path / "r.html"
    window._guarded("Export HTML report", lambda: window.export_html(str(target)), str(target))
    assert target.exists() and not window.export_note.isHidden()
    assert str(target) in window.export_note.text() and "Open folder" in window.export_note.text()


# ------------------------------------------------------------------------------- column widths
LONG_NAME = "Premier League highlights: Manchester United v Liverpool, extended cut with post-match analysis"
LONG_ID = "d51bc04ee01c66d2438e1f0a7c3b5e9d2f4a6b8c0e1d3f5a7b9c1e3d5f7a9b1c"


def long_name_captures(folder: Path) -> list[Path]:
    """Two journals with long file names: sessions with a long media name, a long bare id and an ignored ad."""
    from mcscope.gui.exporting import write_journal
    from tests.builder import Capture, ad_params, start_params

    paths = []
    for n, (name, mid) in enumerate(((LONG_NAME, "epl-2024-25-mu-liv"), (None, LONG_ID))):
        c = Capture(t0=1_700_000_000_000 + n * 3_600_000, sid=f"{n}" * 64)
        c.start(start_params(media__id=mid, **({"media__name": name} if name else {})))
        c.ev("play", dt=1000)
        c.ev("adStart", dt=5000, params=ad_params(1, media__ad__length=15))  # outside a break: ignored
        c.ev("adComplete", dt=15000)
        c.ping_for(30)
        c.ev("sessionComplete", dt=500)
        path = folder / f"recording-2026-12-01-android-tv-exoplayer-build-471{n}-with-a-long-name.ndjson"
        write_journal(c.exchanges, path)
        paths.append(path)
    return paths


def test_tables_fit_the_default_window_without_sideways_scrolling(qtbot: QtBot, window: MainWindow,
                                                                 tmp_path: Path) -> None:
    from mcscope.gui.columns import fits_without_scrolling
    from mcscope.gui.models import EventTableModel, SessionListModel
    from mcscope.gui.window import MEDIA_MIN, PARAMS_MIN

    assert open_and_wait(qtbot, window, *long_name_captures(tmp_path), FIXTURES / "faulty-ad-outside-break.har")
    qtbot.wait(50)
    S, E = SessionListModel, EventTableModel
    sessions, events = window.sessions_view, window.events_view
    assert not sessions.isColumnHidden(S.COL_SOURCE)
    assert fits_without_scrolling(sessions) and fits_without_scrolling(events)
    assert sessions.columnWidth(S.COL_MEDIA) >= MEDIA_MIN and events.columnWidth(E.COL_PARAMS) >= PARAMS_MIN
    header_fm = sessions.horizontalHeader().fontMetrics()
    assert sessions.columnWidth(S.COL_DURATION) >= header_fm.horizontalAdvance("Duration") + 8, "never 'Dur…'"
    for col in range(events.model().columnCount()):  # the usual columns show their header whole
        if not events.isColumnHidden(col):
            head = str(events.model().headerData(col, Qt.Orientation.Horizontal))
            assert events.columnWidth(col) >= events.horizontalHeader().fontMetrics().horizontalAdvance(head) + 8
    # the long values are elided, and their cells' tooltips say them whole
    row = next(r for r in range(window.session_proxy.rowCount())
               if window.session_proxy.index(r, S.COL_MEDIA).data() == LONG_NAME)
    cell = window.session_proxy.index(row, S.COL_MEDIA)
    delegate = sessions.itemDelegateForIndex(cell)
    assert delegate.is_elided(cell) and delegate.tooltip(cell).startswith(LONG_NAME)
    source = window.session_proxy.index(row, S.COL_SOURCE)
    assert sessions.itemDelegateForIndex(source).tooltip(source).startswith("recording-2026-12-01")
    short = next(r for r in range(window.session_proxy.rowCount())
                 if window.session_proxy.index(r, S.COL_MEDIA).data() == "Faulty: ad outside break")
    short_cell = window.session_proxy.index(short, S.COL_MEDIA)
    assert not sessions.itemDelegateForIndex(short_cell).is_elided(short_cell)
    widths = [events.columnWidth(c) for c in range(events.model().columnCount())]
    window.filter_text.setText("sessionStart")  # filtering keeps the widths (they come from every event)
    assert window.event_filter.rowCount() == 1
    assert [events.columnWidth(c) for c in range(events.model().columnCount())] == widths


def test_columns_refit_when_the_list_is_resized(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    from mcscope.gui.columns import fits_without_scrolling
    from mcscope.gui.models import SessionListModel as S

    assert open_and_wait(qtbot, window, *long_name_captures(tmp_path))
    view = window.sessions_view
    natural = window.session_columns.natural_width(S.COL_SOURCE)
    narrow = view.columnWidth(S.COL_SOURCE)
    assert narrow < natural, "at the default size the long file names give way to the media names"
    sizes = window.main_split.sizes()
    window.main_split.setSizes([sizes[0] + 400, sizes[1] - 200, sizes[2] - 200])
    qtbot.waitUntil(lambda: view.columnWidth(S.COL_SOURCE) == natural, timeout=2000)
    assert fits_without_scrolling(view)
    window.main_split.setSizes(sizes)
    qtbot.waitUntil(lambda: view.columnWidth(S.COL_SOURCE) == narrow, timeout=2000)


# ------------------------------------------------------------------------ timeline right-click menus
class Popups:
    def __init__(self) -> None:
        self.menus: list[tuple[list[str], Any]] = []

    def __call__(self, menu: Any, where: Any) -> None:
        self.menus.append(([a.text() for a in menu.actions() if a.text()], where))
        self.last = menu


def test_right_click_on_timeline_marks_opens_the_table_menus(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    assert open_and_wait(qtbot, window, FIXTURES / "faulty-ad-outside-break.har", FIXTURES / "clean-vod.har")
    popups = Popups()
    window.popup = popups
    session = window.current_session()
    flagged = next(e for e in session.events if e.findings)
    tl = window.timeline
    tl.grab()
    where = QPoint(300, 200)
    x = tl.xAt(tl.eventTime(flagged.index))
    assert tl.menuTarget(QPoint(int(x), tl.laneRect("finding").center().y())) == (session.key, flagged.index)
    tl.eventMenuRequested.emit(session.key, flagged.index, where)  # what a right-click on the mark sends
    titles, at = popups.menus[-1]
    assert titles == [a.text() for a in window.event_menu(flagged).actions() if a.text()], "the table's menu"
    assert titles[:3] == ["Copy as cURL", "Copy request body", "Copy session id"] and at == where
    assert "Copy findings as text" in titles and "Explain ad-outside-break…" in titles
    assert window.selected_event() is flagged, "the mark's event is selected, as by a click"
    next(a for a in popups.last.actions() if a.text() == "Copy request body").trigger()
    assert "adStart" in QApplication.clipboard().text()
    # a session bar of the overview: the session list's menu, for that session
    window.show_overview()
    tl.grab()
    other = window.listed_sessions()[1]
    plot = tl.plotRect()
    assert tl.menuTarget(QPoint(plot.left() + 30, plot.top() + 26 + 13)) == (other.key, None)
    tl.sessionMenuRequested.emit(other.key, where)
    titles, _ = popups.menus[-1]
    assert titles == [a.text() for a in window.session_menu(other).actions() if a.text()]
    assert "Compare with…" in titles
    next(a for a in popups.last.actions() if a.text() == "Copy session id").trigger()
    assert QApplication.clipboard().text() == other.sid
    # the events table's own right-click goes through the same menu
    window.select_session(session.key)
    index = window.event_filter.index(flagged.index, 0)
    window._event_menu(window.events_view.visualRect(index).center())
    assert popups.menus[-1][0][:3] == ["Copy as cURL", "Copy request body", "Copy session id"]


def test_rule_explanation_gives_the_selected_sessions_protocol_first(qtbot: QtBot, window: MainWindow,
                                                                   tmp_path: Path, monkeypatch: Any) -> None:
    from mcscope.gui import dialogs
    from tests.commands.test_diff import write
    from tests.gui.sessions import edge_clean_capture

    shown: list[str] = []

    class Dialog:
        def __init__(self, rule: str | None, parent: object, explanation: str) -> None:
            shown.append(explanation)

        def exec(self) -> int:
            return 0

    monkeypatch.setattr(dialogs, "RuleCatalogueDialog", Dialog)
    assert open_and_wait(qtbot, window, Path(write(tmp_path / "edge.ndjson", edge_clean_capture().exchanges)))
    (session,) = window.dataset.sessions
    window.select_session(session.key)
    assert window.current_session() is session
    window.show_rules("param-type")  # a warning on REST, an error on Edge
    edge_first = shown[-1]
    assert edge_first.index("Edge") < edge_first.index("REST")
