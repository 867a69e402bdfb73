"""Item models: Qt model contract, batched inserts, live updates, roles, filters."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QPixmap

from mcscope.core.config import Config
from mcscope.core.model import Severity
from mcscope.core.session import Analyzer
from mcscope.core.state import Event
from mcscope.gui import style
from mcscope.gui.models import (
    IGNORED_ROLE,
    OBJECT_ROLE,
    SEVERITY_ROLE,
    EventFilterProxy,
    EventTableModel,
    FindingsModel,
    SessionFilterProxy,
    SessionListModel,
    key_params,
)
from mcscope.io.capture import read_exchanges
from tests.gui.sessions import (
    analyze,
    clean_capture,
    clean_session,
    edge_clean_capture,
    edge_clean_session,
    ignored_ad_session,
)


class InsertSpy:
    """Records every rowsInserted(parent, first, last) of a model."""

    def __init__(self, model: Any) -> None:
        self.calls: list[tuple[int, int]] = []
        model.rowsInserted.connect(lambda _p, a, b: self.calls.append((a, b)))


def _col_texts(model: Any, col: int) -> list[Any]:
    return [model.index(r, col).data() for r in range(model.rowCount())]


# ------------------------------------------------------------------ sessions
def test_session_model_passes_modeltester(qtmodeltester: Any) -> None:
    m = SessionListModel()
    m.set_sessions([clean_session("a"), ignored_ad_session("b")])
    qtmodeltester.check(m, force_py=True)
    proxy = SessionFilterProxy()
    proxy.setSourceModel(m)
    proxy.set_problems_only(True)
    qtmodeltester.check(proxy, force_py=True)


def test_sessions_newest_first_and_batched(qtbot: Any) -> None:
    m = SessionListModel(flush_ms=20)
    spy = InsertSpy(m)
    s1, s2, s3 = clean_session("s1"), clean_session("s2"), ignored_ad_session("s3")
    m.add_sessions([s1])
    m.add_sessions([s2, s1])  # s1 again: not queued twice
    m.add_sessions([s3])
    assert m.rowCount() == 0 and len(m.pending) == 3
    with qtbot.waitSignal(m.rowsInserted, timeout=1000):
        pass
    assert spy.calls == [(0, 2)]  # one insert for the whole batch
    assert [m.session_at(r).key for r in range(3)] == [s3.key, s2.key, s1.key]
    assert m.row_of(s1.key) == 2 and m.row_of("nope") == -1
    s4 = clean_session("s4")
    m.sync([s1, s2, s3, s4])
    assert m.flush() == 1
    assert spy.calls[-1] == (0, 0) and m.session_at(0).key == s4.key
    assert m.row_of(s1.key) == 3


def test_session_live_update_emits_data_changed(qtbot: Any) -> None:
    capture = clean_capture("live")
    capture.exchanges.pop()  # no sessionComplete yet: the session is live
    an = Analyzer()
    for ex in capture.exchanges:
        an.feed(ex)
    s = an.sessions[0]
    m = SessionListModel()
    m.sync([s])
    m.flush()
    status = m.index(0, SessionListModel.COL_STATUS)
    assert status.data() == "open"  # the core's word (core/status.py), live or not
    assert m.index(0, SessionListModel.COL_ERRORS).data() == "0"
    seen = len(capture.exchanges)
    capture.ev("sessionEnd", dt=1000)
    capture.ev("ping", dt=10_000)  # after the end: an error
    for ex in capture.exchanges[seen:]:
        an.feed(ex)
    with qtbot.waitSignal(m.dataChanged, timeout=1000):
        m.sync([s])
    assert status.data() == "ended"
    assert m.index(0, SessionListModel.COL_ERRORS).data() == "1"
    assert m.index(0, SessionListModel.COL_EVENTS).data() == str(len(s.events))


def test_session_columns_and_badges() -> None:
    m = SessionListModel()
    c, i = clean_session("c"), ignored_ad_session("i")
    m.set_sessions([c, i])
    row = m.row_of(i.key)
    assert m.index(row, SessionListModel.COL_MEDIA).data().startswith("Ad outside break")
    assert m.index(row, SessionListModel.COL_PLAYER).data() == "demo-player"
    assert m.index(row, SessionListModel.COL_ERRORS).data() == "4"
    assert m.index(row, SessionListModel.COL_WARNINGS).data() == "1"
    assert m.index(row, SessionListModel.COL_IGNORED).data() == "4"
    assert m.index(row, SessionListModel.COL_DURATION).data() == "1:00"  # to sessionEnd: drops come after
    assert m.index(row, 0).data(SEVERITY_ROLE) == 3
    errors = m.index(row, SessionListModel.COL_ERRORS)
    assert errors.data(Qt.ItemDataRole.BackgroundRole) == style.qcolor(style.SEVERITY_BG["error"])
    assert errors.data(Qt.ItemDataRole.ForegroundRole) == style.qcolor(style.SEVERITY_FG["error"])
    ignored = m.index(row, SessionListModel.COL_IGNORED)
    assert ignored.data(Qt.ItemDataRole.BackgroundRole) == style.qcolor(style.IGNORED_FILL)
    assert m.index(row, 0).data(OBJECT_ROLE) is i
    clean = m.row_of(c.key)
    assert m.index(clean, SessionListModel.COL_ERRORS).data(Qt.ItemDataRole.BackgroundRole) is None
    assert m.headerData(0, Qt.Orientation.Horizontal) == ""  # an icon column: the shape says the status
    assert m.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == "Status"
    assert m.headerData(SessionListModel.COL_ERRORS, Qt.Orientation.Horizontal) == "✖"


def test_session_filter_problems_and_text() -> None:
    m = SessionListModel()
    c, i = clean_session("c"), ignored_ad_session("i")
    m.set_sessions([c, i])
    proxy = SessionFilterProxy()
    proxy.setSourceModel(m)
    assert proxy.rowCount() == 2
    proxy.set_problems_only(True)
    assert proxy.rowCount() == 1
    assert proxy.index(0, 0).data(OBJECT_ROLE) is i
    proxy.set_problems_only(False)
    proxy.set_text("clean vod")
    assert proxy.rowCount() == 1 and proxy.index(0, 0).data(OBJECT_ROLE) is c
    proxy.set_text("")
    proxy.sort(SessionListModel.COL_ERRORS, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, 0).data(OBJECT_ROLE) is i


# ------------------------------------------------------------------ events
def test_event_model_passes_modeltester(qtmodeltester: Any) -> None:
    m = EventTableModel()
    m.set_session(ignored_ad_session())
    qtmodeltester.check(m, force_py=True)
    proxy = EventFilterProxy()
    proxy.setSourceModel(m)
    proxy.set_min_severity(Severity.WARNING)
    qtmodeltester.check(proxy, force_py=True)


def test_event_rows_roles() -> None:
    s = ignored_ad_session()
    m = EventTableModel()
    m.set_session(s)
    assert m.rowCount() == len(s.events)
    ad = next(e.index for e in s.events if e.event_type == "adStart")
    idx = m.index(ad, EventTableModel.COL_TYPE)
    assert idx.data() == "adStart"
    assert idx.data(Qt.ItemDataRole.FontRole).strikeOut()
    assert idx.data(IGNORED_ROLE) is True
    assert idx.data(Qt.ItemDataRole.ForegroundRole) == style.qcolor(style.IGNORED_HATCH)
    assert "ad-outside-break" in m.index(ad, EventTableModel.COL_FINDINGS).data()
    assert "IGNORED" in idx.data(Qt.ItemDataRole.ToolTipRole)
    assert m.index(ad, EventTableModel.COL_TIME).data() == "20.000"
    assert m.index(ad, EventTableModel.COL_PLAYHEAD).data() == "19"
    warn = next(e.index for e in s.events if any(f.rule == "ping-interval" for f in e.findings))
    wi = m.index(warn, 0)
    assert wi.data(Qt.ItemDataRole.FontRole) is None
    assert wi.data(Qt.ItemDataRole.BackgroundRole) == style.qcolor(style.SEVERITY_BG["warning"])
    assert m.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert m.event_at(ad) is s.events[ad]  # a reference, not a copy
    assert m.row_of_event(ad) == ad and m.row_of_event(9999) == -1
    assert m.data(QModelIndex()) is None


def test_event_model_live_refresh_is_one_insert(qtbot: Any) -> None:
    capture = clean_capture()
    capture.exchanges.pop()  # no sessionComplete: the session goes on below
    an = Analyzer()
    for ex in capture.exchanges[:3]:
        an.feed(ex)
    s = an.sessions[0]
    m = EventTableModel(flush_ms=20)
    m.set_session(s)
    spy = InsertSpy(m)
    for ex in capture.exchanges[3:]:
        an.feed(ex)
    events = list(s.events)
    assert m.refresh() == len(events) - 3
    assert spy.calls == [(3, len(events) - 1)]
    # delta-driven feeding: queued, then one timer flush
    seen = len(capture.exchanges)
    for _ in range(25):
        capture.ev("ping", dt=10_000)
    for ex in capture.exchanges[seen:]:
        for delta in an.feed(ex):
            if delta.kind == "event" and delta.event is not None:
                m.append_events([delta.event])
    with qtbot.waitSignal(m.rowsInserted, timeout=1000):
        pass
    assert spy.calls[-1] == (len(events), len(events) + 24)
    assert len(spy.calls) == 2
    m.set_session(None)
    assert m.rowCount() == 0


@pytest.mark.parametrize(
    ("setter", "value", "expected_types"),
    [
        ("set_text", "buffer", {"bufferStart"}),
        ("set_min_severity", 3, {"adStart", "adComplete", "ping"}),
        ("set_rule", "ping-interval", {"ping"}),
        ("set_ignored_only", True, {"adStart", "adComplete", "ping"}),
    ],
)
def test_event_filters(setter: str, value: Any, expected_types: set[str]) -> None:
    m = EventTableModel()
    m.set_session(ignored_ad_session())
    proxy = EventFilterProxy()
    proxy.setSourceModel(m)
    assert proxy.rowCount() == m.rowCount()
    getattr(proxy, setter)(value)
    shown = {proxy.index(r, EventTableModel.COL_TYPE).data() for r in range(proxy.rowCount())}
    assert shown == expected_types
    assert 0 < proxy.rowCount() < m.rowCount()


def test_event_filter_severity_labels_and_text_in_findings() -> None:
    m = EventTableModel()
    m.set_session(ignored_ad_session())
    proxy = EventFilterProxy()
    proxy.setSourceModel(m)
    proxy.set_min_severity("warning")
    assert proxy.rowCount() == 5
    proxy.set_min_severity(0)
    proxy.set_text("ERROR-WITHOUT-ID")
    assert proxy.rowCount() == 1


def _event(index: int, body: Any) -> Event:
    return Event(index, "sid-1", f"f{index}", body, 1_700_000_000.0, 204)


def test_key_params() -> None:
    e = _event(0, {"eventType": "adStart", "playerTime": {"playhead": 0, "ts": 1}, "params": {
        "media.ad.id": "ad-1", "media.ad.length": 15, "media.ad.podPosition": 1, "media.ad.playerName": "p"}})
    assert key_params(e) == "id=ad-1, length=15, podPosition=1"
    b = _event(1, {"eventType": "bitrateChange", "qoeData": {"media.qoe.bitrate": 2500000}})
    assert key_params(b) == "bitrate=2500000"
    assert key_params(_event(2, None)) == ""


# ------------------------------------------------------------------ findings
def test_findings_model(qtmodeltester: Any) -> None:
    s = ignored_ad_session()
    m = FindingsModel()
    m.set_findings(s.findings[:2])
    spy = InsertSpy(m)
    assert m.sync(s.findings) == len(s.findings) - 2
    assert spy.calls == [(2, len(s.findings) - 1)]
    qtmodeltester.check(m, force_py=True)
    assert m.index(0, FindingsModel.COL_SEVERITY).data() == "error"
    assert m.index(0, FindingsModel.COL_RULE).data() == "ad-outside-break"
    assert m.index(0, 0).data(SEVERITY_ROLE) == 3
    assert m.finding_at(0) is s.findings[0]


# ------------------------------------------------------------------ real core, fed in batches
def test_live_feed_through_real_analyzer(fixtures_dir: Any, qtbot: Any) -> None:
    """Exchanges fed in chunks: one rowsInserted per flush, rows reference the core's objects."""
    exchanges = []
    for name in ("clean-vod.har", "faulty-ad-outside-break.har", "faulty-events-after-end.har"):
        exchanges += list(read_exchanges(fixtures_dir / name))
    an = Analyzer(Config())
    sessions = SessionListModel(flush_ms=10_000)
    events = EventTableModel(flush_ms=10_000)
    s_spy, e_spy = InsertSpy(sessions), InsertSpy(events)
    chunk = 7
    flushes = 0
    for i in range(0, len(exchanges), chunk):
        for ex in exchanges[i:i + chunk]:
            an.feed(ex)
        sessions.sync(an.sessions)
        sessions.flush()
        if events.session() is None and an.sessions:
            events.set_session(an.sessions[0])
        else:
            events.refresh()
        flushes += 1
    an.finish()
    sessions.refresh(an.sessions)
    assert sessions.rowCount() == len(an.sessions)
    assert len(s_spy.calls) <= flushes  # never one insert per session/event
    assert sum(b - a + 1 for a, b in s_spy.calls) == len(an.sessions)
    first = an.sessions[0]
    assert events.rowCount() == len(first.events)
    assert len(e_spy.calls) < len(first.events)
    assert all(events.event_at(r) is first.events[r] for r in range(events.rowCount()))
    # newest first
    assert sessions.session_at(0) is an.sessions[-1]
    # the ignored-ad session is flagged and struck through
    bad = next(s for s in an.sessions if any(e.ignored for e in s.events))
    row = sessions.row_of(bad.key)
    assert int(sessions.index(row, SessionListModel.COL_IGNORED).data()) > 0
    events.set_session(bad)
    ign = next(e.index for e in bad.events if e.ignored)
    assert events.index(events.row_of_event(ign), 0).data(Qt.ItemDataRole.FontRole).strikeOut()


def test_session_search_matches_any_value_and_rule_ids() -> None:
    from mcscope.gui.models import SessionFilterProxy

    m = SessionListModel()
    c, i = clean_session("c"), ignored_ad_session("i")
    m.set_sessions([c, i])
    proxy = SessionFilterProxy()
    proxy.setSourceModel(m)
    rule = i.findings[0].rule
    proxy.set_text(rule)
    assert proxy.rowCount() == 1 and proxy.index(0, 0).data(OBJECT_ROLE) is i
    proxy.set_text(i.key[-7:-1])  # a fragment of the session id
    assert i in [proxy.index(r, 0).data(OBJECT_ROLE) for r in range(proxy.rowCount())]
    ad_ids = {str(e.params.get("media.ad.id")) for e in i.events if e.params.get("media.ad.id")}
    if ad_ids:
        proxy.set_text(sorted(ad_ids)[0])
        assert proxy.rowCount() >= 1
    proxy.set_text("no-such-value-anywhere")
    assert proxy.rowCount() == 0


def test_event_filter_only_problems() -> None:
    from mcscope.gui.models import EventFilterProxy, EventTableModel

    s = ignored_ad_session("p")
    model = EventTableModel()
    model.set_session(s)
    proxy = EventFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_problems_only(True)
    shown = [proxy.index(r, 0).data(OBJECT_ROLE) for r in range(proxy.rowCount())]
    assert shown and all(e.ignored or max(int(f.severity) for f in e.findings) >= 2 for e in shown)
    assert proxy.rowCount() < model.rowCount()


# ------------------------------------------------------------------ protocol badges (Media Edge API)
def _badge(m: SessionListModel, s: Any) -> QPixmap:
    pix = m.index(m.row_of(s.key), SessionListModel.COL_MEDIA).data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(pix, QPixmap)
    return pix


def _pixel(pix: QPixmap, x: float, y: float) -> QColor:
    dpr = pix.devicePixelRatio()
    return pix.toImage().pixelColor(int(x * dpr), int(y * dpr))


def test_protocol_badge_for_rest_and_edge_sessions() -> None:
    m = SessionListModel()
    rest, edge = clean_session("r"), edge_clean_session("e")
    m.set_sessions([rest, edge])
    r, e = _badge(m, rest), _badge(m, edge)
    size = r.deviceIndependentSize()
    assert size == e.deviceIndependentSize() and size.width() > 24  # drawn at its size, not squeezed to 16 px
    mid = size.width() / 2
    # Edge: filled in its colour (inside, above the text); REST: an outline (its colour on the edge, empty inside)
    assert _pixel(e, mid, 2).name() == style.PROTOCOL_COLOR["edge"]
    assert _pixel(r, mid, 2).alpha() == 0
    assert _pixel(r, mid, 1).alpha() > 0 and _pixel(r, mid, 1).red() < 140
    assert r.toImage() != e.toImage()
    tip = m.index(m.row_of(edge.key), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "Edge: a Media Edge API session" in tip
    tip = m.index(m.row_of(rest.key), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "REST: a REST Media Collection API session" in tip
    assert m.index(m.row_of(edge.key), SessionListModel.COL_MEDIA).data() == "Edge VOD with pre-roll"  # no text added


def test_protocol_badge_follows_the_dark_scheme() -> None:
    m = SessionListModel()
    edge = edge_clean_session("e")
    m.set_sessions([edge])
    light = _badge(m, edge)
    style.apply_scheme(True)
    try:
        dark = _badge(m, edge)
        assert _pixel(dark, dark.deviceIndependentSize().width() / 2, 2).name() == style.PROTOCOL_COLOR["edge"]
        assert style.PROTOCOL_COLOR["edge"] != style.light("PROTOCOL_COLOR")["edge"]  # type: ignore[index]
        assert dark.toImage() != light.toImage()
    finally:
        style.apply_scheme(False)


def test_session_search_finds_sessions_by_protocol_and_location_hint() -> None:
    m = SessionListModel()
    rest = clean_session("r")
    edge = analyze(edge_clean_capture("vod-7", hint="va6", name="Sintel"))
    m.set_sessions([rest, edge])
    proxy = SessionFilterProxy()
    proxy.setSourceModel(m)

    def shown() -> list[Any]:
        return [proxy.index(r, 0).data(OBJECT_ROLE) for r in range(proxy.rowCount())]

    proxy.set_text("edge")
    assert shown() == [edge]
    proxy.set_text("media edge api")
    assert shown() == [edge]
    proxy.set_text("va6")
    assert shown() == [edge]
    proxy.set_text("rest")
    assert shown() == [rest]
    proxy.set_text("")
    assert len(shown()) == 2


def test_rejected_starts_are_listed_and_found_by_what_they_asked_for() -> None:
    from tests.edge_builder import EdgeCapture, problem, session_details

    c = EdgeCapture()
    c.start(session_details(friendlyName="Refused Movie"), status=400, resp_body=problem())
    c.start(session_details(friendlyName=None, name=None), dt=5000, status=400, resp_body=problem())
    named, nameless = sorted(c.analyze().sessions, key=lambda s: s.key)
    m = SessionListModel()
    m.set_sessions([named, nameless, clean_session("r")])
    titles = {m.index(r, SessionListModel.COL_MEDIA).data() for r in range(m.rowCount())}
    assert titles == {"Refused Movie", "rejected sessionStart (flow f2)", "Clean VOD with pre-roll"}
    assert not any("edge:flow:" in t for t in titles)
    tip = m.index(m.row_of(named.key), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Refused Movie\n") and named.key in tip  # the key stays in the tooltip
    proxy = SessionFilterProxy()
    proxy.setSourceModel(m)
    proxy.set_text("sessionStart (flow f2)")  # the title as shown
    assert [proxy.index(r, 0).data(OBJECT_ROLE) for r in range(proxy.rowCount())] == [nameless]
    proxy.set_text("refused movie")
    assert [proxy.index(r, 0).data(OBJECT_ROLE) for r in range(proxy.rowCount())] == [named]
