"""The "all sessions" overview of the timeline: one row per session on a shared wall-clock axis.

The axis is fitted to the rows in view (:mod:`.brokenaxis`): long empty stretches collapse into gaps drawn as
breaks with the time on each side, and short sessions are widened, so every session in view is a readable bar.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFont, QPen

from mcscope.gui import style
from mcscope.gui.timeline.brokenaxis import BrokenAxis, Gap, fit_axis, identity_axis
from mcscope.gui.timeline.data import (
    format_duration,
    format_rel,
    nice_step,
    same_day,
    session_counts,
    session_title,
    wall_text,
    worst_severity,
)
from mcscope.gui.timeline.primitives import AXIS_H, GUTTER, Canvas, LegendItem, hatch, status_shape

if TYPE_CHECKING:
    from mcscope.core.session import Session

log = logging.getLogger(__name__)

ROW_MAX = 26
ROW_MIN = 16
FOOTER_H = 16
BAR_ALPHA = 110
OVERVIEW_LANES = frozenset({"content-ignored-ad", "ignored", "ad", "finding"})
#: the narrowest session bar and the width of a collapsed gap, in px of the plot (before the fit's padding)
MIN_BAR_PX = 14
GAP_PX = 18


def overview_legend() -> tuple[LegendItem, ...]:
    """The overview's legend in the current colour scheme: each status with its shape, then the marks."""
    return (
        *((style.STATUS_TEXT[k].capitalize(), f"status-{k}", v) for k, v in style.STATUS_COLOR.items()),
        ("Errors", "border", style.SEVERITY_MARK["error"]),
        ("Warnings", "border", style.SEVERITY_MARK["warning"]),
        ("Ignored by Adobe", "hatch", style.IGNORED_HATCH),
    )


OVERVIEW_LEGEND = overview_legend()  # light colours; paint with overview_legend()


@dataclass
class OverviewRow:
    key: str
    title: str
    status: str
    counts: dict[str, int]
    start: float  # absolute epoch ms
    end: float
    ignored_spans: np.ndarray  # (n, 2) absolute ms
    error_marks: np.ndarray  # absolute ms of error findings / error events
    sig: tuple[object, ...] = ()

    @property
    def worst(self) -> str | None:
        return worst_severity(self.counts)


@dataclass
class OverviewData:
    t0: float = 0.0
    rows: list[OverviewRow] = field(default_factory=list)
    t_min: float = 0.0
    t_max: float = 1000.0
    first: int = 0  # index of the top row in view (the rows scroll when they do not all fit)
    _axis: BrokenAxis | None = None
    _axis_key: tuple[object, ...] = ()

    def row_height(self, plot: QRect) -> float:
        n = len(self.rows)
        if not n:
            return ROW_MAX
        if plot.height() >= n * ROW_MIN:  # every row fits: they share the height
            return min(ROW_MAX, plot.height() / n)
        return ROW_MIN

    def visible_rows(self, plot: QRect) -> int:
        """Rows that fit (when they do not all fit, a footer line is kept free for the scroll note)."""
        n = len(self.rows)
        rh = self.row_height(plot)
        if n * rh <= plot.height() + 0.5:
            return n
        return min(n, max(1, int((plot.height() - FOOTER_H) // rh)))

    def overflows(self, plot: QRect) -> bool:
        return self.visible_rows(plot) < len(self.rows)

    def shown(self, plot: QRect) -> range:
        n = self.visible_rows(plot)
        self.first = max(0, min(self.first, len(self.rows) - n))
        return range(self.first, self.first + n)

    def axis(self, plot: QRect) -> BrokenAxis:
        """The axis fitted to the rows in view (relative to ``t0``; see :mod:`.brokenaxis`)."""
        idx = self.shown(plot)
        spans = tuple((self.rows[i].start - self.t0, self.rows[i].end - self.t0) for i in idx)
        key = (spans, plot.width())
        if self._axis is None or self._axis_key != key:
            width = max(1, plot.width())
            self._axis = fit_axis(spans, MIN_BAR_PX / width, GAP_PX / width) if spans else identity_axis()
            self._axis_key = key
        return self._axis

    def shown_range(self, plot: QRect) -> tuple[float, float]:
        """Axis range of the rows in view: the axis fits what is shown."""
        if not self.rows:
            return self.t_min, self.t_max
        lo, hi = self.axis(plot).range()
        return lo, max(hi, lo + 1000.0)

    def row_at(self, y: float, plot: QRect) -> int | None:
        if y < plot.top():
            return None
        i = int((y - plot.top()) // self.row_height(plot))
        return self.first + i if 0 <= i < self.visible_rows(plot) else None

    def tooltip(self, i: int) -> str:
        r = self.rows[i]
        c = r.counts
        lines = [
            r.title,
            f"session {r.key} — {style.STATUS_TEXT.get(r.status, r.status)}",
            f"{wall_text(r.start, 1.0, True)} → {wall_text(r.end, 1.0, not same_day(r.start, r.end))}  "
            f"({format_duration(r.end - r.start)})",
            f"{c['error']} errors, {c['warning']} warnings, {c['info']} infos",
        ]
        if c["ignored"] or len(r.ignored_spans):
            lines.append(f"{c['ignored']} events ignored by Adobe (hatched)")
        lines.append("click to open this session")
        return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _plausible(ts: object) -> bool:
    """An epoch-ms ``ts`` (what rule ``ts-units`` accepts: 1e12..1e14)."""
    return isinstance(ts, int | float) and not isinstance(ts, bool) and 1e12 <= ts <= 1e14


def _row(session: Session, prev: OverviewRow | None) -> OverviewRow | None:
    events = session.events
    findings = session.findings
    status = session.status
    sig = (id(session), len(events), len(findings), status, session.last_ts)
    if prev is not None and prev.sig == sig:
        return prev
    start: float | None = session.first_ts
    end: float | None = session.last_ts
    if not _plausible(start) or not _plausible(end):
        # ts in seconds/micro-seconds would wreck the shared axis: place the bar by arrival time instead
        received = [e.received for e in events if e.received > 0]
        if not received:
            return None
        return OverviewRow(key=session.key, title=session_title(session), status=status,
                           counts=session_counts(session), start=min(received) * 1000.0,
                           end=max(received) * 1000.0, ignored_spans=np.zeros((0, 2)),
                           error_marks=np.zeros(0), sig=sig)
    spans: list[tuple[float, float]] = []
    marks: list[float] = []
    for seg in session.segments():
        if seg.lane not in OVERVIEW_LANES:  # fast pre-filter: only a few lanes matter here
            continue
        try:
            s = float(seg.start)
            e = s if seg.end is None else float(seg.end)
        except (TypeError, ValueError):
            continue
        if not (math.isfinite(s) and math.isfinite(e)):
            continue
        if seg.lane in ("content-ignored-ad", "ignored") or (seg.lane == "ad" and seg.ignored):
            spans.append((s, max(s, e)))
        elif seg.lane == "finding" and seg.kind == "error":
            marks.append(s)
        if start is None or s < start:
            start = s
        if end is None or e > end:
            end = e
    if start is None:
        return None
    end = start if end is None else end
    return OverviewRow(
        key=session.key,
        title=session_title(session),
        status=status,
        counts=session_counts(session),
        start=float(start),
        end=float(max(start, end)),
        ignored_spans=np.array(spans, dtype=np.float64).reshape(-1, 2),
        error_marks=np.unique(np.array(marks, dtype=np.float64)),
        sig=sig,
    )


def build_overview(sessions: list[Session], previous: OverviewData | None = None) -> OverviewData:
    """Rows for ``sessions`` in their order; unchanged sessions reuse their previous row."""
    cache = {r.sig[0]: r for r in previous.rows} if previous else {}
    rows = []
    for s in sessions:
        try:
            row = _row(s, cache.get(id(s)))
        except Exception:
            # Boundary: the core's timeline of live, arbitrary captured data, drawn inside a paint event.
            # One session's broken timeline must not blank the overview of all the others.
            log.exception("overview row of %s failed", s.key)
            row = None
        if row is not None:
            rows.append(row)
    # the rows keep the order they are given in: the session list's (newest first unless sorted)
    if not rows:
        return OverviewData()
    t0 = min(r.start for r in rows)
    t_max = max(r.end for r in rows) - t0
    keys = [r.key for r in rows]
    first = previous.first if previous is not None and [r.key for r in previous.rows] == keys else 0
    return OverviewData(t0=t0, rows=rows, t_min=0.0, t_max=max(t_max, 1000.0), first=first)


def gap_text(gap: Gap, t0: float) -> str:
    """What a collapsed gap stands for (its tooltip)."""
    a, b = gap.t0 + t0, gap.t1 + t0
    return (f"no session for {format_rel(gap.length)}\n"
            f"{wall_text(a, 1000.0, True)} → {wall_text(b, 1000.0, not same_day(a, b))}\n"
            "(the axis is broken here: long empty stretches are cut out)")


def _piece_labels(pt: Canvas, axis: BrokenAxis, t0: float, dated: bool) -> list[tuple[float, str, int]]:
    """(left x, text, alignment) of the axis labels: each stretch between gaps is labelled at its start and,
    before a gap, at its end; then ticks at a round step fill the room left. A label never overlaps one placed
    before it; when the view spans several days, a stretch's first label shows the date."""
    fm, plot = pt.fm, pt.plot
    left, right = float(plot.left()), float(plot.right())
    placed: list[tuple[float, float]] = []
    out: list[tuple[float, str, int]] = []

    def place(x: float, text: str, align: int) -> bool:
        w = fm.horizontalAdvance(text)
        a = x if align < 0 else x - w if align > 0 else x - w / 2
        if a < left - 2 or a + w > right + 2 or any(a < pb + 8 and a + w > pa - 8 for pa, pb in placed):
            return False
        placed.append((a, a + w))
        out.append((a, text, align))
        return True

    ticks: list[tuple[int, float, float]] = []  # (piece, x, epoch ms)
    dated_piece: set[int] = set()  # pieces whose date is shown by one of their labels
    label_w = fm.horizontalAdvance("00:00:00") + 18
    steps: dict[int, float] = {}
    for n, (ua, ub) in enumerate(axis.pieces()):
        va, vb = max(ua, pt.x0), min(ub, pt.x1)
        if vb <= va:
            continue
        xa, xb = pt.x(va), pt.x(vb)
        ta, tb = axis.to_time(va) + t0, axis.to_time(vb) + t0
        step = steps[n] = nice_step(tb - ta, max(1, int((xb - xa) // label_w)))
        precise = 60_000.0 if dated else min(step, 1000.0)
        if place(max(xa, left) + 3, wall_text(ta, precise, dated), -1):
            dated_piece.add(n)
        if ub <= pt.x1 and math.isfinite(ub):  # the stretch ends at a gap in view: its end time too
            with_date = dated and not (n in dated_piece and same_day(ta, tb))
            if place(xb - 3, wall_text(tb, precise if with_date else min(step, 1000.0), with_date), 1):
                dated_piece.add(n)
        t = math.ceil(ta / step) * step
        count = 0
        while t <= tb and count < 200:
            ticks.append((n, pt.x(axis.to_axis(t - t0)), t))
            t += step
            count += 1
    for n, x, t in ticks:
        if dated and n not in dated_piece:  # a time without its date would read as the previous stretch's
            if place(x, wall_text(t, 60_000.0, True), 0):
                dated_piece.add(n)
        else:
            place(x, wall_text(t, steps[n]), 0)
    return out


def paint_axis(pt: Canvas, axis: BrokenAxis, t0: float, hover_x: float | None, bottom: int) -> None:
    """The overview's wall-clock axis with its gaps drawn as breaks across the rows."""
    p, fm, plot = pt.p, pt.fm, pt.plot
    lo_t, hi_t = axis.to_time(pt.x0) + t0, axis.to_time(pt.x1) + t0
    dated = not same_day(lo_t, hi_t)
    grid = QPen(style.qcolor(style.GRID))
    for a, text, align in _piece_labels(pt, axis, t0, dated):
        tick = a if align < 0 else a + fm.horizontalAdvance(text) if align > 0 else a + fm.horizontalAdvance(text) / 2
        p.setPen(grid)
        p.drawLine(QPointF(tick, AXIS_H - 4), QPointF(tick, bottom))
        p.setPen(style.qcolor(style.TEXT_MUTED))
        p.drawText(QRectF(a, 2, fm.horizontalAdvance(text) + 2, AXIS_H - 6), Qt.AlignmentFlag.AlignVCenter, text)
    p.setPen(QPen(style.qcolor(style.RULE)))
    p.drawLine(QPointF(plot.left(), AXIS_H - 1), QPointF(plot.right(), AXIS_H - 1))
    for gap in axis.gaps:
        xa, xb = pt.x(gap.u0), pt.x(gap.u1)
        if xb < plot.left() or xa > plot.right():
            continue
        _paint_gap(pt, xa, xb, bottom)
    p.setPen(style.qcolor(style.TEXT_MUTED))
    caption = "local time" if dated else wall_text(lo_t, 86_400_000)
    p.drawText(QRectF(6, 2, GUTTER - 10, AXIS_H - 6), Qt.AlignmentFlag.AlignVCenter, caption)
    if hover_x is not None and plot.left() <= hover_x <= plot.right():
        u = pt.x0 + (hover_x - pt.left) / pt.scale
        gap = axis.gap_at(u)
        text = (f"no session for {format_rel(gap.length)}" if gap is not None
                else wall_text(axis.to_time(u) + t0, 1.0, dated))
        w = fm.horizontalAdvance(text) + 12
        bx = min(max(hover_x - w / 2, plot.left()), plot.right() - w)
        box = QRectF(bx, 1, w, AXIS_H - 3)
        p.fillRect(box, style.qcolor(style.TIP_BG))
        p.setPen(style.qcolor(style.TIP_FG))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.setPen(QPen(style.qcolor(style.HOVER)))
        p.drawLine(QPointF(hover_x, AXIS_H), QPointF(hover_x, bottom))


def _paint_gap(pt: Canvas, xa: float, xb: float, bottom: int) -> None:
    """A break: a plain band over the rows between two dashed edges, and two slanted strokes across the axis."""
    p = pt.p
    band = QRectF(xa, AXIS_H - 1, xb - xa, bottom - AXIS_H + 1)
    p.fillRect(band, style.qcolor(style.BACKGROUND))
    pen = QPen(style.qcolor(style.TEXT_MUTED))
    pen.setStyle(Qt.PenStyle.DashLine)
    p.setPen(pen)
    for x in (xa, xb):
        p.drawLine(QPointF(x, AXIS_H), QPointF(x, bottom))
    pen = QPen(style.qcolor(style.TEXT_MUTED))
    pen.setWidthF(1.5)
    p.setPen(pen)
    mid, y = (xa + xb) / 2, AXIS_H - 1
    for dx in (-3.0, 3.0):
        p.drawLine(QPointF(mid + dx - 3, y + 5), QPointF(mid + dx + 3, y - 5))


def paint_overview(pt: Canvas, ov: OverviewData | None, hover_x: float | None) -> None:
    """Paint the overview on the canvas ``pt`` (its ``x0``/``x1`` are axis units of ``ov.axis``)."""
    p, fm, plot = pt.p, pt.fm, pt.plot
    pt.background()
    if ov is None or not ov.rows:
        pt.axis(0.0, None, plot.bottom())
        pt.legend(overview_legend())
        pt.message("no sessions yet — open a capture or start the proxy")
        return
    rh = ov.row_height(plot)
    shown = ov.shown(plot)
    axis = ov.axis(plot)
    nvis = len(shown)
    bottom = int(plot.top() + rh * nvis)
    bold = QFont(p.font())
    bold.setBold(True)
    plain = QFont(p.font())
    for i in range(nvis):
        y = plot.top() + i * rh
        if i % 2:
            p.fillRect(QRectF(0, y, pt.full.width(), rh), style.qcolor(style.LANE_ALT))
    paint_axis(pt, axis, ov.t0, hover_x, bottom)
    for i, r in enumerate(shown):
        row = ov.rows[r]
        y = plot.top() + i * rh
        status_color = style.STATUS_COLOR.get(row.status, "#757575")
        # gutter: status shape (the session list's icon) + title (ids cut in the middle, names at the end)
        status_shape(p, row.status, QPointF(12, y + rh / 2), 4.5, status_color)
        p.setFont(bold if row.status == "open" else plain)
        p.setPen(style.qcolor(style.TEXT))
        mode = Qt.TextElideMode.ElideRight if " " in row.title.strip() else Qt.TextElideMode.ElideMiddle
        title = fm.elidedText(row.title, mode, GUTTER - 30)
        p.drawText(QRectF(22, y, GUTTER - 26, rh), Qt.AlignmentFlag.AlignVCenter, title)
        p.setFont(plain)
        ua, ub = axis.span(row.start - ov.t0, row.end - ov.t0)
        a = pt.x(ua)
        b = max(pt.x(ub), a + 4)
        bar = QRectF(a, y + 3, b - a, rh - 6)
        p.save()
        p.setClipRect(QRectF(plot.left(), plot.top(), plot.width() + 1, bottom - plot.top()))
        p.fillRect(bar, style.qcolor(status_color, BAR_ALPHA))
        if len(row.ignored_spans):
            xs = pt.xs(axis.to_axis_array(row.ignored_spans.reshape(-1) - ov.t0)).reshape(-1, 2)
            for sa, sb in xs.tolist():
                if sb - sa < 6:
                    sa, sb = (sa + sb) / 2 - 3, (sa + sb) / 2 + 3
                hatch(p, QRectF(sa, bar.top(), sb - sa, bar.height()), border=False)
        if len(row.error_marks):
            px = np.unique(np.floor(pt.xs(axis.to_axis_array(row.error_marks - ov.t0))))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(style.qcolor(style.SEVERITY_MARK["error"]))
            p.drawRects([QRectF(float(x) - 1, bar.bottom() - 4, 3, 4) for x in px.tolist()])
        worst = row.worst
        pen = QPen(style.qcolor(style.SEVERITY_MARK[worst] if worst in ("error", "warning") else status_color))
        pen.setWidthF(2.0 if worst in ("error", "warning") else 1.0)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(bar.adjusted(0.5, 0.5, -0.5, -0.5))
        c = row.counts
        parts = [style.STATUS_TEXT.get(row.status, row.status)]
        if c["error"]:
            parts.append(_plural(c["error"], "error"))
        if c["warning"]:
            parts.append(_plural(c["warning"], "warning"))
        if c["ignored"]:
            parts.append(f"{c['ignored']} ignored")
        text = " · ".join(parts)
        tw = fm.horizontalAdvance(text) + 8
        tx = a + 4 if b - a > tw + 8 else b + 4
        if tx + tw > plot.right() and b - a <= tw + 8:  # no room after the bar: put the text before it
            tx = max(float(plot.left()), a - 4 - tw)
        color = style.SEVERITY_FG[worst] if worst in ("error", "warning") else style.TEXT
        p.setPen(style.qcolor(color))
        p.drawText(QRectF(tx, y, tw, rh), Qt.AlignmentFlag.AlignVCenter, text)
        p.restore()
    if nvis < len(ov.rows):
        p.setPen(style.qcolor(style.TEXT_MUTED))
        p.drawText(QRectF(8, bottom, pt.full.width() - 16, FOOTER_H), Qt.AlignmentFlag.AlignLeft,
                   f"sessions {shown.start + 1}–{shown.stop} of {len(ov.rows)} · wheel or Page Up/Down: "
                   "scroll · Ctrl+wheel: zoom")
    pt.legend(overview_legend())
