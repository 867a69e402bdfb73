"""Timeline widget: painting (pixel checks), zoom/pan/select round-trips, robustness, real captures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from mcscope.core.config import Config
from mcscope.core.session import Analyzer
from mcscope.core.timeline import Segment
from mcscope.gui import style
from mcscope.gui.timeline.widget import TimelineWidget
from mcscope.io.capture import read_exchanges
from tests.gui.sessions import T0, big_session, clean_session, ignored_ad_session

SHOTS = Path("/tmp/mcscope-shots")


@pytest.fixture
def tl(qtbot: Any) -> TimelineWidget:
    w = TimelineWidget()
    w.resize(1200, 460)
    qtbot.addWidget(w)
    return w


def _near(c: QColor, hex_color: str, tol: int = 40) -> bool:
    ref = QColor(hex_color)
    return abs(c.red() - ref.red()) + abs(c.green() - ref.green()) + abs(c.blue() - ref.blue()) <= tol


def _count_color(img: QImage, x0: int, x1: int, y0: int, y1: int, hex_color: str) -> int:
    n = 0
    for x in range(max(0, x0), min(img.width(), x1)):
        for y in range(max(0, y0), min(img.height(), y1)):
            if _near(img.pixelColor(x, y), hex_color):
                n += 1
    return n


def _grab(w: TimelineWidget) -> QImage:
    img = w.grab().toImage()
    # grab() may be at device pixel ratio != 1; normalise to widget coordinates
    if img.width() != w.width():
        img = img.scaled(w.width(), w.height())
    return img


def _wheel(w: TimelineWidget, x: float, y: float, delta: int) -> None:
    pos = QPointF(x, y)
    ev = QWheelEvent(pos, w.mapToGlobal(pos), QPoint(), QPoint(0, delta), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(w, ev)


def _mouse(w: TimelineWidget, kind: QEvent.Type, x: float, y: float,
           buttons: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    pos = QPointF(x, y)
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    ev = QMouseEvent(kind, pos, w.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, ev)


# ------------------------------------------------------------------ painting
def test_ignored_ad_is_hatched_and_clean_ad_is_not(tl: TimelineWidget) -> None:
    tl.setSession(ignored_ad_session())
    img = _grab(tl)
    ad = tl.laneRect("ad")
    x20, x35 = int(tl.xAt(20_000)), int(tl.xAt(35_000))
    hatch_px = _count_color(img, x20, x35, ad.top(), ad.bottom(), style.IGNORED_HATCH)
    assert hatch_px > 100, "ignored ad must be drawn hatched"
    # the span it covers is marked on the content (playback) lane too
    pb = tl.laneRect("playback")
    assert _count_color(img, x20, x35, pb.top(), pb.bottom(), style.IGNORED_HATCH) > 100
    # and the playback lane outside the ignored span is plain "playing" green
    x5, x15 = int(tl.xAt(5_000)), int(tl.xAt(15_000))
    assert _count_color(img, x5, x15, pb.top(), pb.bottom(), style.IGNORED_HATCH) == 0
    assert _count_color(img, x5, x15, pb.top(), pb.bottom(), style.PLAYBACK["playing"]) > 100

    tl.setSession(clean_session())
    img = _grab(tl)
    ad = tl.laneRect("ad")
    a, b = int(tl.xAt(1_000)), int(tl.xAt(15_000))
    assert _count_color(img, a, b, ad.top(), ad.bottom(), style.IGNORED_HATCH) == 0
    assert _count_color(img, a, b, ad.top(), ad.bottom(), style.AD) > 100


def test_events_after_end_are_greyed(tl: TimelineWidget) -> None:
    tl.setSession(ignored_ad_session())
    img = _grab(tl)
    ph = tl.laneRect("playhead")
    # from the first dropped event (70 s) on, the whole lane area is veiled grey
    x = int(tl.xAt(75_000))
    veiled = img.pixelColor(x, ph.top() + 5)
    before = img.pixelColor(int(tl.xAt(5_000)), ph.top() + 5)
    assert veiled.lightness() < before.lightness()
    assert "session ended" in (tl.hoverText(QPoint(int(tl.xAt(70_000)), tl.laneRect("ignored").center().y())) or "")


def test_tooltip_shows_event_and_ignored_reason(tl: TimelineWidget) -> None:
    tl.setSession(ignored_ad_session())
    tl.grab()
    ad = tl.laneRect("ad")
    text = tl.hoverText(QPoint(int(tl.xAt(27_000)), ad.center().y()))
    assert text is not None
    assert "IGNORED" in text and "adStart" in text and "ad-outside-break" in text
    assert tl.hoverText(QPoint(5, 5)) is None


def test_overview_is_default_and_click_selects_session(tl: TimelineWidget, qtbot: Any) -> None:
    sessions = [clean_session("c"), ignored_ad_session("i")]
    key_i = sessions[1].key
    tl.setSessions(sessions)
    assert tl.isOverview()
    img = _grab(tl)
    plot = tl.plotRect()
    # both start at T0, so rows are ordered by start then stable: first row is "c" or "i"; find "i" row
    tips = [tl.hoverText(QPoint(plot.left() + 50, plot.top() + 13 + 26 * r)) or "" for r in range(2)]
    row = next(r for r, t in enumerate(tips) if f"session {key_i}" in t)
    y = plot.top() + 13 + 26 * row
    # the ignored span of session i is hatched in its row
    assert _count_color(img, int(tl.xAt(20_000)), int(tl.xAt(35_000)), y - 8, y + 8, style.IGNORED_HATCH) > 30
    with qtbot.waitSignal(tl.sessionClicked, timeout=1000) as blocker:
        _mouse(tl, QEvent.Type.MouseButtonPress, plot.left() + 50, y)
        _mouse(tl, QEvent.Type.MouseButtonRelease, plot.left() + 50, y, Qt.MouseButton.NoButton)
    assert blocker.args == [key_i]
    tl.setSession(sessions[0])
    assert not tl.isOverview()
    tl.setSession(None)
    assert tl.isOverview()


def test_bad_segments_do_not_break_painting(tl: TimelineWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    s = clean_session()
    good = s.segments()
    bad = [  # what a core bug could leave in a session's timeline
        Segment("ad", "ad", "soon", None),  # type: ignore[arg-type]
        Segment(None, None, None, None),  # type: ignore[arg-type]
        Segment("playback", "weird", T0 + 5000, T0 + 1000),  # end < start
        Segment("bitrate", "bitrate", T0, T0 + 100, value=float("nan")),
        Segment("finding", "catastrophic", float("inf"), None),  # type: ignore[arg-type]
        Segment("ping", "ping", T0 + 2000, T0 + 2000, event="seven"),  # type: ignore[arg-type]
    ]
    monkeypatch.setattr(s, "segments", lambda: good + bad)
    tl.setSession(s)
    tl.grab()
    assert tl._paint_error is None

    broken = ignored_ad_session("broken")

    def core_bug() -> list[Segment]:
        raise RuntimeError("core bug")

    monkeypatch.setattr(broken, "segments", core_bug)
    tl.setSession(broken)
    tl.grab()
    assert tl._paint_error is None
    tl.setSession(None)
    tl.setSessions([broken, s])
    tl.grab()
    assert tl._paint_error is None


# ------------------------------------------------------------------ interaction
def test_wheel_zoom_keeps_time_under_cursor(tl: TimelineWidget) -> None:
    tl.setSession(clean_session())
    tl.grab()
    x = tl.plotRect().left() + 300
    t_before = tl.timeAt(x)
    span_before = tl.view()[1] - tl.view()[0]
    _wheel(tl, x, tl.laneRect("playback").center().y(), 240)
    span_after = tl.view()[1] - tl.view()[0]
    assert span_after < span_before * 0.8
    assert tl.timeAt(x) == pytest.approx(t_before, abs=span_after * 1e-3)
    _wheel(tl, x, 100, -240)
    assert tl.view()[1] - tl.view()[0] == pytest.approx(span_before, rel=1e-6)


def test_drag_pans_and_double_click_fits(tl: TimelineWidget) -> None:
    tl.setSession(clean_session())
    tl.grab()
    fitted = tl.view()
    y = tl.laneRect("chapter").center().y()
    t_at_500 = tl.timeAt(500)
    _mouse(tl, QEvent.Type.MouseButtonPress, 500, y)
    _mouse(tl, QEvent.Type.MouseMove, 600, y)
    _mouse(tl, QEvent.Type.MouseButtonRelease, 600, y, Qt.MouseButton.NoButton)
    # what was under x=500 is now under x=600
    assert tl.timeAt(600) == pytest.approx(t_at_500, abs=1.0)
    assert tl.view() != fitted
    _mouse(tl, QEvent.Type.MouseButtonDblClick, 600, y)
    assert tl.view() == pytest.approx(fitted)


def test_keys_zoom_pan_fit(tl: TimelineWidget, qtbot: Any) -> None:
    tl.setSession(clean_session())
    tl.grab()
    fitted = tl.view()
    span = fitted[1] - fitted[0]
    qtbot.keyClick(tl, Qt.Key.Key_Plus)
    assert tl.view()[1] - tl.view()[0] < span
    qtbot.keyClick(tl, Qt.Key.Key_Minus)
    assert tl.view()[1] - tl.view()[0] == pytest.approx(span)
    qtbot.keyClick(tl, Qt.Key.Key_Right)
    assert tl.view()[0] == pytest.approx(fitted[0] + span * 0.1)
    qtbot.keyClick(tl, Qt.Key.Key_Left)
    assert tl.view()[0] == pytest.approx(fitted[0])
    qtbot.keyClick(tl, Qt.Key.Key_Plus)
    qtbot.keyClick(tl, Qt.Key.Key_0)
    assert tl.view() == pytest.approx(fitted)


def test_click_emits_event_clicked(tl: TimelineWidget, qtbot: Any) -> None:
    s = ignored_ad_session("sess-x")
    tl.setSession(s)
    tl.grab()
    ad_index = next(e.index for e in s.events if e.event_type == "adStart")
    y = tl.laneRect("ad").center().y()
    x = tl.xAt(27_000)
    with qtbot.waitSignal(tl.eventClicked, timeout=1000) as blocker:
        _mouse(tl, QEvent.Type.MouseButtonPress, x, y)
        _mouse(tl, QEvent.Type.MouseButtonRelease, x, y, Qt.MouseButton.NoButton)
    assert blocker.args == [s.key, ad_index]
    assert tl.eventAt(QPoint(int(x), y)) == ad_index
    # clicking empty space emits nothing
    with qtbot.assertNotEmitted(tl.eventClicked):
        _mouse(tl, QEvent.Type.MouseButtonPress, x, tl.laneRect("chapter").center().y())
        _mouse(tl, QEvent.Type.MouseButtonRelease, x, tl.laneRect("chapter").center().y(), Qt.MouseButton.NoButton)


def test_show_event_brings_event_into_view(tl: TimelineWidget) -> None:
    s = clean_session()
    tl.setSession(s)
    tl.grab()
    tl.setView(0, 5_000)  # zoomed on the first 5 s
    last = s.events[-1]
    tl.showEvent(last.index)  # the slot the window calls when a table row is selected
    x0, x1 = tl.view()
    t = last.ts - T0
    assert x0 < t < x1
    assert x1 - x0 == pytest.approx(5_000)
    tl.show()  # Qt's own showEvent(QShowEvent) still works
    tl.revealEvent(0)
    assert tl.view()[0] < 0 < tl.view()[1]


def test_live_refresh_is_coalesced(tl: TimelineWidget, qtbot: Any) -> None:
    s = clean_session()
    tl.setSession(s)
    tl.show()
    qtbot.waitExposed(tl)
    paints = []
    orig = tl.paintEvent

    def counting(ev: Any) -> None:
        paints.append(1)
        orig(ev)

    tl.paintEvent = counting  # type: ignore[method-assign]
    for _ in range(50):
        tl.refresh()
    qtbot.wait(120)
    assert len(paints) <= 3


def test_100k_events_repaint_fast(tl: TimelineWidget) -> None:
    tl.setSession(big_session(100_000))
    tl.grab()  # first paint builds the columns
    t = time.perf_counter()
    tl.grab()
    full = (time.perf_counter() - t) * 1000
    tl.setView(40_000_000, 41_000_000)
    t = time.perf_counter()
    tl.grab()
    zoomed = (time.perf_counter() - t) * 1000
    # the benchmark (benchmarks/bench_gui.py) measures the 30 ms goal; CI machines are shared: be lenient
    assert full < 300 and zoomed < 300, (full, zoomed)


# ------------------------------------------------------------------ real captures
REAL = [
    "adobe-tl1-view-to-end-repaired.har",
    "adobe-tl2-user-abandons-repaired.har",
    "adobe-tl3-chapters-repaired.har",
]


def _analyze(path: Path) -> Analyzer:
    an = Analyzer(Config())
    for ex in read_exchanges(path):
        an.feed(ex)
    an.finish()
    return an


def _shot(tl: TimelineWidget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert tl.grab().save(str(SHOTS / f"timeline-{name}.png"))


@pytest.mark.parametrize("name", REAL)
def test_real_captures_paint(tl: TimelineWidget, external_fixtures: Path, name: str) -> None:
    an = _analyze(external_fixtures / name)
    assert an.sessions
    session = max(an.sessions, key=lambda s: len(s.events))
    tl.setSession(session)
    _shot(tl, name.removeprefix("adobe-").removesuffix("-repaired.har"))
    assert tl._paint_error is None
    tl.setSession(None)
    tl.setSessions(an.sessions)
    _shot(tl, "overview-" + name.removeprefix("adobe-").removesuffix("-repaired.har"))
    assert tl._paint_error is None


def test_real_ignored_ad_capture(tl: TimelineWidget, fixtures_dir: Path) -> None:
    an = _analyze(fixtures_dir / "faulty-ad-outside-break.har")
    session = next((s for s in an.sessions if any(e.ignored for e in s.events)), None)
    assert session is not None
    tl.setSession(session)
    _shot(tl, "ignored-ad")
    ad_segments = [g for g in session.segments() if g.lane == "ad" and g.ignored]
    assert ad_segments
    img = _grab(tl)
    ad = tl.laneRect("ad")
    g = ad_segments[0]
    a, b = int(tl.xAt(g.start - tl.origin())), int(tl.xAt((g.end or g.start) - tl.origin()))
    assert _count_color(img, min(a, b - 6), max(b, a + 6), ad.top(), ad.bottom(), style.IGNORED_HATCH) > 20


def test_overlapping_player_states_get_their_own_rows(tl: TimelineWidget) -> None:
    tl.setSession(clean_session(mute=True))
    img = _grab(tl)
    lane = tl.laneRect("state")
    assert lane.height() >= 2 * 16
    x = int(tl.xAt(50_000))  # both fullscreen (30-60 s) and mute (40.1-70.1 s) are active here
    top = tl.hoverText(QPoint(x, lane.top() + 8)) or ""
    bottom = tl.hoverText(QPoint(x, lane.top() + 8 + 16)) or ""
    assert "fullscreen" in top and "mute" in bottom
    assert img.pixelColor(x, lane.top() + 8) != img.pixelColor(x, lane.top() + 24)


# ------------------------------------------------------------------ the overview's broken axis
YEAR_MS = 365 * 86_400_000


def _short_session(key: str, t0: int, seconds: int) -> Any:
    """A completed session of ``seconds`` starting at epoch ms ``t0``."""
    from tests.builder import Capture, start_params
    from tests.gui.sessions import analyze, sid_of

    c = Capture(t0=t0, sid=sid_of(key))
    c.start(start_params(media__id=f"{key}-media", media__name=f"Session {key}"))
    c.ev("play", dt=1000)
    c.ping_for(seconds)
    c.ev("sessionComplete", dt=500)
    return analyze(c)


def _bar_columns(img: QImage, y: int, x0: int, x1: int) -> int:
    """Pixel columns in [x0, x1) where the row's bar edge (y) is drawn (not the rows' backgrounds or grid)."""
    plain = (style.BACKGROUND, style.LANE_ALT, style.GRID)
    return sum(1 for x in range(max(0, x0), min(img.width(), x1))
               if not any(_near(img.pixelColor(x, y), c, 30) for c in plain))


def test_overview_axis_collapses_years_and_keeps_every_session_readable(tl: TimelineWidget) -> None:
    # the list's order (not time order): the overview keeps it
    sessions = [_short_session("late", T0 + 3 * YEAR_MS, 30), _short_session("hour", T0, 3600),
                _short_session("blip", T0 + 3 * YEAR_MS + 90_000, 2), _short_session("early", T0 - 2 * YEAR_MS, 10)]
    tl.setSessions(sessions)
    img = _grab(tl)
    axis = tl.overviewAxis()
    assert axis is not None and len(axis.gaps) == 2, "two empty stretches of years, cut out"
    plot = tl.plotRect()
    rh = 26
    origin = tl.origin()
    for i, s in enumerate(sessions):
        y = plot.top() + rh * i
        assert f"session {s.key}" in (tl.hoverText(QPoint(plot.left() + 5, y + rh // 2)) or ""), "list order"
        a, b = tl.xAt(s.first_ts - origin), tl.xAt(s.last_ts - origin)
        assert b - a >= 12, f"{s.key}: {b - a:.1f} px"
        assert _bar_columns(img, y + 3, int(a) - 2, int(b) + 3) >= 12, f"{s.key}: the bar as painted"
    gap = axis.gaps[0]
    tip = tl.hoverText(QPoint(int(tl._x_of_unit((gap.u0 + gap.u1) / 2)), plot.top() + 5)) or ""
    assert tip.startswith("no session for") and " y" in tip.splitlines()[0]
    # the hour-long session is wider than the short ones: within a stretch the axis stays proportional
    widths = {s.key: tl.xAt(s.last_ts - origin) - tl.xAt(s.first_ts - origin) for s in sessions}
    assert widths[sessions[1].key] > 5 * widths[sessions[0].key]


def test_overview_of_one_capture_is_linear(tl: TimelineWidget) -> None:
    sessions = [clean_session("a"), ignored_ad_session("b")]
    tl.setSessions(sessions)
    tl.grab()
    axis = tl.overviewAxis()
    assert axis is not None and axis.is_identity()
    assert tl.timeAt(tl.xAt(33_000)) == pytest.approx(33_000, abs=1.0)


# ------------------------------------------------------------------ right-click menus
def _right_click(w: TimelineWidget, x: float, y: float) -> None:
    from PySide6.QtGui import QContextMenuEvent

    pos = QPoint(int(x), int(y))
    QApplication.sendEvent(w, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, w.mapToGlobal(pos)))


def test_right_click_asks_for_the_menu_of_the_mark_or_session(tl: TimelineWidget, qtbot: Any) -> None:
    s = ignored_ad_session("menu-1")
    tl.setSession(s)
    tl.grab()
    ad_index = next(e.index for e in s.events if e.event_type == "adStart")
    x, y = tl.xAt(27_000), tl.laneRect("ad").center().y()
    with qtbot.waitSignal(tl.eventMenuRequested, timeout=1000) as blocker:
        _right_click(tl, x, y)
    assert blocker.args[:2] == [s.key, ad_index]
    assert blocker.args[2] == tl.mapToGlobal(QPoint(int(x), int(y)))
    finding = next(e for e in s.events if e.findings and tl.eventTime(e.index) is not None)
    fx, fy = tl.xAt(tl.eventTime(finding.index)), tl.laneRect("finding").center().y()
    assert tl.menuTarget(QPoint(int(fx), fy)) == (s.key, finding.index)
    with qtbot.waitSignal(tl.sessionMenuRequested, timeout=1000) as blocker:  # no mark there: the session
        _right_click(tl, x, tl.laneRect("playhead").center().y())  # between two playhead points
    assert blocker.args[0] == s.key
    other = clean_session("menu-2")
    tl.setSessions([s, other])
    tl.setSession(None)
    tl.grab()
    plot = tl.plotRect()
    with qtbot.waitSignal(tl.sessionMenuRequested, timeout=1000) as blocker:
        _right_click(tl, plot.left() + 40, plot.top() + 26 + 13)
    assert blocker.args[0] == other.key
    with qtbot.assertNotEmitted(tl.sessionMenuRequested), qtbot.assertNotEmitted(tl.eventMenuRequested):
        _right_click(tl, plot.left() + 40, plot.top() + 26 * 3 + 13)  # below the rows


def test_overview_shows_every_row_that_fits_without_a_scroll_note(tl: TimelineWidget) -> None:
    from mcscope.gui.timeline.overview import FOOTER_H, ROW_MIN

    sessions = [_short_session(f"row-{i}", T0 + i * 120_000, 20) for i in range(22)]
    tl.setSessions(sessions)
    tl.grab()
    ov, plot = tl._overview, tl.plotRect()
    assert ov is not None and plot.height() >= 22 * ROW_MIN
    assert ov.visible_rows(plot) == 22 and not ov.overflows(plot)
    assert 22 * ov.row_height(plot) > plot.height() - FOOTER_H, "no line kept free for a note that is not shown"
    tl.resize(1200, 300)  # too low for 22 rows: they scroll, with the note
    tl.grab()
    assert tl._overview.overflows(tl.plotRect()) and tl._overview.visible_rows(tl.plotRect()) < 22


def test_revealing_an_event_never_pans_into_empty_time(tl: TimelineWidget) -> None:
    s = ignored_ad_session("reveal-1")
    tl.setSession(s)
    tl.grab()
    fitted = tl.view()
    tl.revealEvent(s.events[0].index)  # the first event of a fitted view is in view: nothing moves
    assert tl.view() == pytest.approx(fitted)
    tl.setView(20_000, 30_000)
    tl.revealEvent(s.events[0].index)
    lo, hi = tl.dataRange()
    x0, x1 = tl.view()
    assert x1 - x0 == pytest.approx(10_000) and x0 <= 0 <= x1
    assert x0 >= lo - (hi - lo) * 0.04 - 1e-6, "not half a view of nothing before the session's start"
    tl.revealEvent(s.events[-1].index)
    x0, x1 = tl.view()
    assert x0 <= tl.eventTime(s.events[-1].index) <= x1 and x1 <= hi + (hi - lo) * 0.04 + 1e-6
