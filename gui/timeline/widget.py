"""Custom-painted session timeline (QPainter over numpy columns; no QGraphicsScene, no pyqtgraph).

Public API (used by gui/window.py; sessions are ``mcscope.core.session.Session``)::

    tl = TimelineWidget(parent)
    tl.setSessions(analyzer.sessions)   # sessions for the "all sessions" overview (default view)
    tl.setSession(session)              # per-session view; None -> back to the overview
    tl.refresh()                        # data changed (live): coalesced rebuild + repaint (<= 1 per frame)
    tl.revealEvent(i) / tl.showEvent(i)  # bring event i of the shown session into view and mark it
    tl.selectEvent(i)                   # mark event i without moving the view
    tl.fit()                            # whole session (or all sessions) in view
    tl.eventClicked(session_key: str, event_index: int)   # signal: user clicked an event mark
    tl.sessionClicked(session_key: str)                   # signal: user clicked a row of the overview
    tl.eventMenuRequested(session_key, event_index, global_pos)  # signal: right-click on an event's mark
    tl.sessionMenuRequested(session_key, global_pos)       # signal: right-click on a session (bar or lanes)
    tl.viewChanged(start_s: float, end_s: float)          # signal: visible range, seconds from start

Interaction: wheel zooms at the cursor, left-drag pans, double-click fits, keys ``+``/``-``/``0`` and
Left/Right arrows; hovering shows a tooltip for the mark under the cursor and the wall-clock time.

``showEvent`` doubles as Qt's ``QWidget.showEvent(QShowEvent)`` override: called with an int it
reveals that event, called with a ``QShowEvent`` it behaves as usual. Prefer ``revealEvent``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from mcscope.gui import style
from mcscope.gui.timeline.brokenaxis import BrokenAxis
from mcscope.gui.timeline.data import SessionColumns, build_session_columns, event_index
from mcscope.gui.timeline.overview import (
    OverviewData,
    build_overview,
    gap_text,
    overview_legend,
    paint_overview,
)
from mcscope.gui.timeline.paint import (
    ALWAYS_SHOWN,
    LANE_HELP,
    LANES,
    STATE_ROW_H,
    LaneSpec,
    Painter,
    session_legend,
    tooltip_for_segment,
)
from mcscope.gui.timeline.primitives import AXIS_H, GUTTER, RIGHT_PAD, LegendItem, legend_height

if TYPE_CHECKING:
    from collections.abc import Iterable

    from PySide6.QtCore import QEvent

    from mcscope.core.session import Session
    from mcscope.core.timeline import Segment

log = logging.getLogger(__name__)

MIN_SPAN_MS = 5.0
ZOOM_STEP = 1.25
FRAME_MS = 16
LANES_PLAYHEAD_MIN = 60
REBUILD_FACTOR = 8  # a column rebuild costing c s is not repeated within 8c s (live huge sessions)
FIT_PAD = 0.04  # share of the data range left free either side when fitting


class TimelineWidget(QWidget):
    """Timeline of one session (lanes) or of all sessions (one row each). See the module docstring."""

    eventClicked = Signal(str, int)
    sessionClicked = Signal(str)
    viewChanged = Signal(float, float)
    #: right-click on a mark of an event (session key, event index, global position)
    eventMenuRequested = Signal(str, int, QPoint)
    #: right-click on a session's bar in the overview, or on the shown session away from its events' marks
    sessionMenuRequested = Signal(str, QPoint)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        font = QFont(self.font())
        font.setPointSizeF(9.0)
        self.setFont(font)
        self._session: Session | None = None
        self._sessions: list[Session] = []
        self._cols: SessionColumns | None = None
        self._overview: OverviewData | None = None
        self._dirty = True
        self._x0 = 0.0
        self._x1 = 1000.0
        self._auto_fit = True
        self._selected: int | None = None
        self._hover_x: float | None = None
        self._drag_origin: QPoint | None = None
        self._drag_view: tuple[float, float] = (0.0, 0.0)
        self._dragged = False
        self._last_tip = ""
        self._paint_error: str | None = None
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(FRAME_MS)
        self._repaint.timeout.connect(self.update)
        self._rebuild = QTimer(self)
        self._rebuild.setSingleShot(True)
        self._rebuild.timeout.connect(self._schedule)
        self._next_build = 0.0
        self.last_paint_ms = 0.0  # duration of the last paintEvent (benchmarks)

    # ----------------------------------------------------------------- public API
    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1100, 420)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, 220)

    def session(self) -> Session | None:
        """The session shown, or None in overview mode."""
        return self._session

    def isOverview(self) -> bool:  # noqa: N802
        return self._session is None

    @Slot(object)
    def setSession(self, session: Session | None) -> None:  # noqa: N802
        """Show ``session`` (an ``mcscope.core.session.Session``); ``None`` shows the all-sessions overview."""
        if session is self._session:
            return
        self._session = session
        self._selected = None
        self._auto_fit = True
        self._cols = None
        self._next_build = 0.0
        self._dirty = True
        self._schedule()

    @Slot(object)
    def setSessions(self, sessions: Iterable[Session]) -> None:  # noqa: N802
        """Sessions for the overview (newest first is how they are listed; any iterable)."""
        self._sessions = list(sessions or [])
        if self._session is None:
            self._dirty = True
            self._schedule()

    @Slot()
    def refresh(self) -> None:
        """The shown data changed (new events/sessions). Coalesced: rebuild + repaint once per frame."""
        self._dirty = True
        self._schedule()

    @Slot(int)
    def selectEvent(self, index: int) -> None:  # noqa: N802
        """Mark event ``index`` of the shown session (no view change, no signal)."""
        self._selected = index
        self._schedule()

    @Slot(int)
    def revealEvent(self, index: int) -> None:  # noqa: N802
        """Mark event ``index`` and pan (zooming out if needed) so that it is in view."""
        self._selected = index
        self._ensure_data()
        cols = self._cols
        if cols is None:
            return
        t = self._event_time(index)
        if t is None:
            self._schedule()
            return
        span = self._x1 - self._x0
        margin = span * FIT_PAD / 2  # less than the fit's padding: the first and last events of a fit are in view
        if not (self._x0 + margin <= t <= self._x1 - margin):
            # centred on the event, but never showing more than the fit's padding beyond the data
            lo, hi = self._data_range()
            pad = (hi - lo) * FIT_PAD
            x0 = min(max(t - span / 2, lo - pad), max(lo - pad, hi + pad - span))
            self._set_view(x0, x0 + span, user=True)
        self._schedule()

    def showEvent(self, arg: int | QShowEvent) -> None:  # type: ignore[override]  # noqa: N802
        """``showEvent(index)`` reveals an event; Qt's ``showEvent(QShowEvent)`` still works."""
        if isinstance(arg, int) and not isinstance(arg, bool):
            self.revealEvent(arg)
            return
        super().showEvent(arg)

    @Slot()
    def fit(self) -> None:
        """Fit everything into view (double-click, key 0)."""
        self._ensure_data()
        lo, hi = self._data_range()
        pad = (hi - lo) * FIT_PAD
        self._auto_fit = True
        self._set_view(lo - pad, hi + pad, user=False)

    def view(self) -> tuple[float, float]:
        """Visible range in ms relative to the origin (session start / earliest session start)."""
        return self._x0, self._x1

    def setView(self, start_ms: float, end_ms: float) -> None:  # noqa: N802
        """Set the visible range (ms relative to the origin)."""
        self._set_view(start_ms, end_ms, user=True)

    def origin(self) -> float:
        """Epoch ms of time 0 on the axis."""
        self._ensure_data()
        if self._session is None:
            return self._overview.t0 if self._overview else 0.0
        return self._cols.t0 if self._cols else 0.0

    def plotRect(self) -> QRect:  # noqa: N802
        """Area where times are drawn (excluding lane names, axis and legend)."""
        return QRect(GUTTER, AXIS_H, max(10, self.width() - GUTTER - RIGHT_PAD),
                     max(10, self.height() - AXIS_H - legend_height(self.width(), self.fontMetrics(), self._legend())))

    def timeAt(self, x: float) -> float:  # noqa: N802
        """ms from the origin at widget x (the overview's broken axis taken into account)."""
        u = self._unit_at(x)
        axis = self.overviewAxis()
        return axis.to_time(u) if axis is not None else u

    def xAt(self, t_ms: float) -> float:  # noqa: N802
        """Widget x of ``t_ms`` ms from the origin (the overview's broken axis taken into account)."""
        axis = self.overviewAxis()
        return self._x_of_unit(axis.to_axis(t_ms) if axis is not None else t_ms)

    def overviewAxis(self) -> BrokenAxis | None:  # noqa: N802
        """The overview's axis for the rows in view (None in session mode: the axis is linear there)."""
        if self._session is not None:
            return None
        self._ensure_data()
        return self._overview.axis(self.plotRect()) if self._overview is not None else None

    def _unit_at(self, x: float) -> float:
        r = self.plotRect()
        return self._x0 + (x - r.left()) / r.width() * (self._x1 - self._x0)

    def _x_of_unit(self, u: float) -> float:
        r = self.plotRect()
        return r.left() + (u - self._x0) / (self._x1 - self._x0) * r.width()

    def laneRect(self, name: str) -> QRect:  # noqa: N802
        """Pixel rectangle of lane ``name`` (a ``LaneSpec.key`` such as "ad") in session mode."""
        for spec, y, h in self._lane_layout():
            if spec.key == name:
                r = self.plotRect()
                return QRect(r.left(), y, r.width(), h)
        return QRect()

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        """Zoom in (factor > 1) or out keeping the time under ``anchor_x`` (default: centre) fixed."""
        r = self.plotRect()
        ax = r.center().x() if anchor_x is None else anchor_x
        t = self._unit_at(ax)
        span = (self._x1 - self._x0) / factor
        lo, hi = self._data_range()
        span = min(max(span, MIN_SPAN_MS), max(hi - lo, 1000.0) * 20)
        frac = (ax - r.left()) / r.width()
        self._set_view(t - frac * span, t - frac * span + span, user=True)

    def pan(self, fraction: float) -> None:
        """Pan by ``fraction`` of the visible span (positive: later)."""
        d = (self._x1 - self._x0) * fraction
        self._set_view(self._x0 + d, self._x1 + d, user=True)

    def hoverText(self, pos: QPoint) -> str | None:  # noqa: N802
        """Tooltip text for a widget position (what hovering shows), or None."""
        return self._tooltip(pos)

    def tooltipPos(self, pos: QPoint, tip: str) -> QPoint:  # noqa: N802
        """Where a tooltip for ``pos`` goes (widget coordinates): below and right of the cursor, never over
        the time axis; when it would run off the screen's bottom it moves beside the cursor instead of above."""
        fm = self.fontMetrics()
        lines = tip.splitlines() or [""]
        w = max(fm.horizontalAdvance(line) for line in lines) + 16
        h = fm.lineSpacing() * len(lines) + 10
        x, y = pos.x() + 14, max(pos.y() + 18, AXIS_H + 2)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:
            g = self.mapToGlobal(QPoint(x, y))
            if g.y() + h > screen.bottom():
                y = max(AXIS_H + 2, self.mapFromGlobal(QPoint(0, screen.bottom() - h)).y())
                x = pos.x() + 24  # beside the cursor, not over the mark
            if g.x() + w > screen.right():
                x = max(0, pos.x() - 24 - w)
        return QPoint(x, y)

    def dataRange(self) -> tuple[float, float]:  # noqa: N802
        """(first, last) ms of the data relative to the origin (what ``fit`` shows, without padding)."""
        self._ensure_data()
        return self._data_range()

    def eventTime(self, index: int) -> float | None:  # noqa: N802
        """Relative ms of event ``index`` of the shown session (None: not drawn)."""
        self._ensure_data()
        return self._event_time(index)

    def eventAt(self, pos: QPoint) -> int | None:  # noqa: N802
        """Index of the event whose mark is at ``pos`` (session mode), or None."""
        hit = self._hit(pos)
        return event_index(hit[1].event) if hit else None

    # ----------------------------------------------------------------- internals
    def _legend(self) -> tuple[LegendItem, ...]:
        return overview_legend() if self._session is None else session_legend()

    def _schedule(self) -> None:
        if not self._repaint.isActive():
            self._repaint.start()

    def _set_view(self, x0: float, x1: float, *, user: bool) -> None:
        if x1 - x0 < MIN_SPAN_MS:
            mid = (x0 + x1) / 2
            x0, x1 = mid - MIN_SPAN_MS / 2, mid + MIN_SPAN_MS / 2
        if user:
            self._auto_fit = False
        if (x0, x1) != (self._x0, self._x1):
            self._x0, self._x1 = x0, x1
            self.viewChanged.emit(x0 / 1000.0, x1 / 1000.0)
        self._schedule()

    def _ensure_data(self) -> None:
        if not self._dirty:
            return
        now = time.monotonic()
        have = self._overview if self._session is None else self._cols
        if have is not None and now < self._next_build:
            # huge live data: keep drawing the previous columns, rebuild a little later
            if not self._rebuild.isActive():
                self._rebuild.start(int((self._next_build - now) * 1000) + 1)
            return
        self._dirty = False
        if self._session is None:
            self._overview = build_overview(self._sessions, self._overview)
        else:
            self._cols = build_session_columns(self._session)
        cost = time.monotonic() - now
        self._next_build = now + REBUILD_FACTOR * cost if cost > 0.04 else 0.0
        if self._auto_fit:
            lo, hi = self._data_range()
            pad = (hi - lo) * FIT_PAD
            self._x0, self._x1 = lo - pad, hi + pad

    def _data_range(self) -> tuple[float, float]:
        if self._session is None:
            ov = self._overview
            return ov.shown_range(self.plotRect()) if ov else (0.0, 1000.0)
        cols = self._cols
        return (cols.t_min, cols.t_max) if cols else (0.0, 1000.0)

    def _event_time(self, index: int) -> float | None:
        cols = self._cols
        if cols is None:
            return None
        t = cols.event_time(index)
        if t is not None:
            return t
        events = self._session.events if self._session is not None else []
        if 0 <= index < len(events):
            ts = events[index].ts
            if ts is not None:
                return float(ts) - cols.t0
        return None

    def _lane_layout(self) -> list[tuple[LaneSpec, int, int]]:
        r = self.plotRect()
        n_states = len(self._cols.state_rows) if self._cols is not None else 0
        heights = {s.key: s.height for s in LANES}
        heights["state"] = max(heights["state"], STATE_ROW_H * n_states + 4)
        shown = self._shown_lanes()
        fixed = sum(heights[sp.key] for sp in shown if sp.key != "playhead")
        heights["playhead"] = int(max(LANES_PLAYHEAD_MIN, r.height() - fixed))
        out: list[tuple[LaneSpec, int, int]] = []
        y = r.top()
        for spec in shown:
            h = heights[spec.key]
            out.append((spec, y, h))
            y += h
        return out

    def _shown_lanes(self) -> list[LaneSpec]:
        """The lanes with something to show (an empty lane collapses: no ad lanes without ads)."""
        cols = self._cols
        if cols is None or not cols.lanes:
            return list(LANES)
        out = []
        for spec in LANES:
            if spec.key in ALWAYS_SHOWN:
                out.append(spec)
            elif spec.key == "state":
                if cols.state_rows:
                    out.append(spec)
            elif any(len(cols.lane(k)) for k in (spec.key, *spec.extra)):
                out.append(spec)
        return out

    def laneNames(self) -> list[str]:  # noqa: N802
        """Titles of the lanes shown, top to bottom (session mode)."""
        return [spec.title for spec, _y, _h in self._lane_layout()]

    # ----------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        t_start = time.perf_counter()
        p = QPainter(self)
        try:
            self._ensure_data()
            painter = Painter(p, self.rect(), self.plotRect(), self._x0, self._x1, self.fontMetrics())
            if self._session is None:
                paint_overview(painter, self._overview, self._hover_x)
            else:
                painter.paint_session(self._cols, self._lane_layout(), self._selected, self._hover_x)
            self._paint_error = None
        except Exception as exc:
            # Boundary: Qt calls this on every frame. An exception escaping it would reach the excepthook (a
            # dialog) once per repaint; instead the timeline shows what went wrong and the window keeps running.
            if self._paint_error != repr(exc):
                log.exception("timeline paint failed")
            self._paint_error = repr(exc)
            p.fillRect(self.rect(), style.qcolor(style.BACKGROUND))
            p.setPen(style.qcolor(style.SEVERITY_FG["error"]))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, f"timeline could not be drawn: {exc}")
        finally:
            p.end()
        self.last_paint_ms = (time.perf_counter() - t_start) * 1000.0

    # ----------------------------------------------------------------- hit testing / tooltips
    def _hit(self, pos: QPoint) -> tuple[str, Segment] | None:
        """(lane key, segment) under ``pos`` in session mode."""
        if self._session is None or self._cols is None:
            return None
        r = self.plotRect()
        if not r.contains(pos):
            return None
        t = self._unit_at(pos.x())
        tol = 4.0 * (self._x1 - self._x0) / r.width()
        for spec, y, h in self._lane_layout():
            if not (y <= pos.y() < y + h):
                continue
            if spec.key == "state" and self._cols.state_rows:
                rows = self._cols.state_rows
                sub = rows[min(len(rows) - 1, max(0, int((pos.y() - y - 2) // STATE_ROW_H)))]
                i = sub.hit(t, tol)
                return ("state", sub.segs[i]) if i is not None else None
            best: tuple[str, Segment] | None = None
            best_len = float("inf")
            for lane_key in (spec.key, *spec.extra):
                cols = self._cols.lane(lane_key)
                i = cols.hit(t, tol)
                if i is None:
                    continue
                # ignored marks first, then the shortest (a ping beats the gap around it)
                length = float(cols.end[i] - cols.start[i]) - (1e18 if cols.ignored[i] else 0.0)
                if length < best_len:
                    best, best_len = (lane_key, cols.segs[i]), length
            return best
        return None

    def _tooltip(self, pos: QPoint) -> str | None:
        if self._session is not None and pos.x() < GUTTER:
            for spec, y, h in self._lane_layout():
                if y <= pos.y() < y + h:
                    return f"{spec.title}: {LANE_HELP.get(spec.key, '')}".rstrip(": ")
            return None
        if self._session is None:
            ov = self._overview
            if ov is None:
                return None
            plot = self.plotRect()
            gap = ov.axis(plot).gap_at(self._unit_at(pos.x())) if plot.left() <= pos.x() <= plot.right() else None
            if gap is not None and pos.y() <= plot.bottom():
                return gap_text(gap, ov.t0)
            row = ov.row_at(pos.y(), plot)
            return ov.tooltip(row) if row is not None else None
        hit = self._hit(pos)
        if hit is None:
            return None
        cols = self._cols
        assert cols is not None
        assert self._session is not None
        return tooltip_for_segment(hit[0], hit[1], cols.t0, self._session.events)

    # ----------------------------------------------------------------- events
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        dy = event.angleDelta().y() or event.angleDelta().x()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if dy and self._session is None and not ctrl and self._overview is not None \
                and self._overview.overflows(self.plotRect()):
            self.scrollRows(-int(dy / 120.0 * 3) or (-1 if dy > 0 else 1))  # the overview's rows scroll
        elif dy:
            self.zoom(ZOOM_STEP ** (dy / 120.0), event.position().x())
        event.accept()

    def scrollRows(self, rows: int) -> None:  # noqa: N802
        """Scroll the overview's session rows (positive: down); the axis refits to the rows in view."""
        ov = self._overview
        if ov is None:
            return
        top = max(0, min(ov.first + rows, max(0, len(ov.rows) - ov.visible_rows(self.plotRect()))))
        if top != ov.first:
            ov.first = top
            if self._auto_fit:
                lo, hi = self._data_range()
                pad = (hi - lo) * FIT_PAD
                self._x0, self._x1 = lo - pad, hi + pad
            self._schedule()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_origin = event.position().toPoint()
            self._drag_view = (self._x0, self._x1)
            self._dragged = False
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        try:
            pos = event.position().toPoint()
            if self._drag_origin is not None and event.buttons() & Qt.MouseButton.LeftButton:
                dx = pos.x() - self._drag_origin.x()
                if abs(dx) > 3 or self._dragged:
                    self._dragged = True
                    x0, x1 = self._drag_view
                    dt = dx / self.plotRect().width() * (x1 - x0)
                    self._set_view(x0 - dt, x1 - dt, user=True)
                return
            self._hover_x = pos.x() if self.plotRect().contains(pos) else None
            self._schedule()
            tip = self._tooltip(pos) or ""
            if tip != self._last_tip:
                self._last_tip = tip
                if tip:
                    QToolTip.showText(self.mapToGlobal(self.tooltipPos(pos, tip)), tip, self)
                else:
                    QToolTip.hideText()
        except Exception:
            # Boundary: Qt calls this on every mouse movement (hit testing and tooltips over the core's data); a
            # failure is logged once per movement instead of raising an error dialog at mouse rate.
            log.exception("timeline mouse move failed")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.unsetCursor()
        if event.button() != Qt.MouseButton.LeftButton or self._drag_origin is None:
            return
        self._drag_origin = None
        if self._dragged:
            return
        self._click(event.position().toPoint())

    def _click(self, pos: QPoint) -> None:
        if self._session is None:
            ov = self._overview
            row = ov.row_at(pos.y(), self.plotRect()) if ov else None
            if ov is not None and row is not None:
                self.sessionClicked.emit(ov.rows[row].key)
            return
        hit = self._hit(pos)
        idx = event_index(hit[1].event) if hit else None
        if idx is None:
            return
        self._selected = idx
        self._schedule()
        self.eventClicked.emit(self._session.key, idx)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        """Right-click: the menu of the event whose mark is under the cursor, else of the session there
        (the window builds the menus: they are the events table's and the session list's)."""
        target = self.menuTarget(event.pos())
        if target is not None:
            key, index = target
            if index is None:
                self.sessionMenuRequested.emit(key, event.globalPos())
            else:
                self.eventMenuRequested.emit(key, index, event.globalPos())
        event.accept()

    def menuTarget(self, pos: QPoint) -> tuple[str, int | None] | None:  # noqa: N802
        """(session key, event index or None) of what a right-click at ``pos`` is about, or None."""
        if self._session is None:
            ov = self._overview
            row = ov.row_at(pos.y(), self.plotRect()) if ov is not None else None
            return (ov.rows[row].key, None) if ov is not None and row is not None else None
        if not self.plotRect().contains(pos):
            return None
        hit = self._hit(pos)
        return self._session.key, event_index(hit[1].event) if hit else None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.fit()
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        # the overview's axis depends on the plot's width (its gaps and narrowest bars are a number of px)
        if self._auto_fit and self._session is None and self._overview is not None:
            lo, hi = self._data_range()
            pad = (hi - lo) * FIT_PAD
            self._x0, self._x1 = lo - pad, hi + pad
        super().resizeEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._hover_x = None
        self._schedule()
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(ZOOM_STEP * ZOOM_STEP)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom(1 / (ZOOM_STEP * ZOOM_STEP))
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key == Qt.Key.Key_Left:
            self.pan(-0.1)
        elif key == Qt.Key.Key_Right:
            self.pan(0.1)
        elif key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp) and self._session is None:
            n = self._overview.visible_rows(self.plotRect()) if self._overview else 1
            self.scrollRows(n if key == Qt.Key.Key_PageDown else -n)
        else:
            super().keyPressEvent(event)
            return
        event.accept()


__all__ = ["TimelineWidget"]
