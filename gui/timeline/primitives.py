"""Drawing primitives shared by the session painter (``paint``) and the overview (``overview``).

The geometry (gutter, axis height), the legend, the hatching of what Adobe ignores, and a
:class:`Canvas`: one paint pass mapping times (ms relative to an origin) to pixels, with the background,
time axis, legend and centred message both views draw.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen, QPolygonF

from mcscope.gui import style
from mcscope.gui.timeline.data import format_rel, format_wall, nice_step

GUTTER = 128
AXIS_H = 24
RIGHT_PAD = 10

#: one legend item: (label, swatch kind, colour); kinds: fill | tint | hatch | tick | border | line |
#: sev-error | sev-warning | sev-info (the finding marks' shapes) | status-<id> (a status' shape)
LegendItem = tuple[str, str, str]


def _legend_flow(width: int, fm: QFontMetrics,
                 items: tuple[LegendItem, ...]) -> list[tuple[int, int, str, str, str]]:
    """(x, row, label, swatch kind, colour) for each legend item, flowing into rows."""
    out = []
    x, row = 8, 0
    for label, kind, color in items:
        w = 18 + 5 + fm.horizontalAdvance(label) + 14
        if x + w > width - 8 and x > 8:
            x, row = 8, row + 1
        out.append((x, row, label, kind, color))
        x += w
    return out


def legend_height(width: int, fm: QFontMetrics, items: tuple[LegendItem, ...]) -> int:
    flow = _legend_flow(width, fm, items)
    rows = (flow[-1][1] + 1) if flow else 0
    return 8 + rows * (fm.height() + 4)


def hatch(p: QPainter, rect: QRectF, color: str = style.IGNORED_HATCH,
          fill: str | None = style.IGNORED_FILL, border: bool = True) -> None:
    """Diagonal hatching (2 px lines every 7 px) over an optional light fill, with a dashed border."""
    if rect.width() <= 0 or rect.height() <= 0:
        return
    p.save()
    if fill:
        p.fillRect(rect, style.qcolor(fill))
    p.setClipRect(rect, Qt.ClipOperation.IntersectClip)
    pen = QPen(style.qcolor(color))
    pen.setWidthF(2.0)
    p.setPen(pen)
    h = rect.height()
    x = rect.left() - h
    lines = []
    while x < rect.right():
        lines.append(QPointF(x, rect.bottom()))
        lines.append(QPointF(x + h, rect.top()))
        x += 7.0
    if lines:
        p.drawLines(lines)
    p.restore()
    if border:
        pen = QPen(style.qcolor(color))
        pen.setWidthF(1.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect.adjusted(0.75, 0.75, -0.75, -0.75))


SEV_HEIGHT = {"error": 1.0, "warning": 0.62, "info": 0.36}


def severity_mark(p: QPainter, severity: str, x: float, top: float, h: float, color: str) -> None:
    """A finding mark whose shape says its severity as well as its colour: errors a full-height bar with
    a triangle head, warnings a shorter bar, infos a short stub (all standing on the lane's floor)."""
    frac = SEV_HEIGHT.get(severity, 0.36)
    hh = h * frac
    y = top + h - hh
    p.save()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(style.qcolor(color))
    p.drawRect(QRectF(x - 1.5, y, 3.0, hh))
    if severity == "error":
        p.drawPolygon(QPolygonF([QPointF(x - 4.5, top), QPointF(x + 4.5, top), QPointF(x, top + 5.5)]))
    p.restore()


def status_shape(p: QPainter, status: str, c: QPointF, r: float, color: str) -> None:
    """The shape of a session status (the same as the session list's icons): dot, check, square, clock,
    cross, struck-through circle."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    col = style.qcolor(color)
    pen = QPen(col)
    pen.setWidthF(2.0)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    x, y = c.x(), c.y()
    if status == "completed":
        p.drawPolyline(QPolygonF([QPointF(x - r, y), QPointF(x - r * 0.3, y + r * 0.7), QPointF(x + r, y - r)]))
    elif status == "ended":
        p.fillRect(QRectF(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7), col)
    elif status == "timed-out":
        p.drawEllipse(c, r, r)
        p.drawLine(c, QPointF(x, y - r * 0.7))
        p.drawLine(c, QPointF(x + r * 0.5, y + r * 0.3))
    elif status == "gone":
        p.drawLine(QPointF(x - r, y - r), QPointF(x + r, y + r))
        p.drawLine(QPointF(x + r, y - r), QPointF(x - r, y + r))
    elif status == "rejected":
        p.drawEllipse(c, r, r)
        p.drawLine(QPointF(x - r * 0.7, y + r * 0.7), QPointF(x + r * 0.7, y - r * 0.7))
    else:  # open
        p.setBrush(col)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(c, r, r)
    p.restore()


class Canvas:
    """One paint pass. ``x0``/``x1`` is the visible range (ms relative to the origin)."""

    def __init__(self, p: QPainter, full: QRect, plot: QRect, x0: float, x1: float, fm: QFontMetrics):
        self.p = p
        self.full = full
        self.plot = plot
        self.x0 = x0
        self.x1 = x1
        self.fm = fm
        self.left = float(plot.left())
        self.scale = plot.width() / max(1e-9, (x1 - x0))

    def x(self, t: float) -> float:
        return self.left + (t - self.x0) * self.scale

    def xs(self, t: np.ndarray) -> np.ndarray:
        return self.left + (t - self.x0) * self.scale

    def background(self) -> None:
        self.p.fillRect(self.full, style.qcolor(style.BACKGROUND))

    def axis(self, origin_ms: float, hover_x: float | None, lanes_bottom: int,
             caption: str = "time from start") -> None:
        p, fm, plot = self.p, self.fm, self.plot
        span = self.x1 - self.x0
        label_w = fm.horizontalAdvance("00:00:00 ") + 16
        step = nice_step(span, max(2, plot.width() // label_w))
        widest = max(fm.horizontalAdvance(format_rel(v, step)) for v in (self.x0, self.x1, self.x1 - step))
        if widest + 16 > label_w:  # long labels (days, years): fewer ticks
            label_w = widest + 16
            step = nice_step(span, max(2, plot.width() // label_w))
        first = math.ceil(self.x0 / step) * step
        p.setPen(style.qcolor(style.TEXT_MUTED))
        grid = QPen(style.qcolor(style.GRID))
        n = 0
        t = first
        while t <= self.x1 and n < 500:
            x = self.x(t)
            p.setPen(grid)
            p.drawLine(QPointF(x, AXIS_H - 4), QPointF(x, lanes_bottom))
            p.setPen(style.qcolor(style.TEXT_MUTED))
            p.drawText(QRectF(x - label_w / 2, 2, label_w, AXIS_H - 6), Qt.AlignmentFlag.AlignCenter,
                       format_rel(t, step))
            t += step
            n += 1
        p.setPen(QPen(style.qcolor(style.RULE)))
        p.drawLine(QPointF(plot.left(), AXIS_H - 1), QPointF(plot.right(), AXIS_H - 1))
        p.setPen(style.qcolor(style.TEXT_MUTED))
        p.drawText(QRectF(6, 2, GUTTER - 10, AXIS_H - 6), Qt.AlignmentFlag.AlignVCenter, caption)
        if hover_x is not None and plot.left() <= hover_x <= plot.right():
            t = self.x0 + (hover_x - self.left) / self.scale
            text = f"{format_rel(t, min(step, 100.0))}  ·  {format_wall(origin_ms + t)}"
            w = fm.horizontalAdvance(text) + 12
            bx = min(max(hover_x - w / 2, plot.left()), plot.right() - w)
            box = QRectF(bx, 1, w, AXIS_H - 3)
            p.fillRect(box, style.qcolor(style.TIP_BG))
            p.setPen(style.qcolor(style.TIP_FG))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            pen = QPen(style.qcolor(style.HOVER))
            pen.setWidthF(1.0)
            p.setPen(pen)
            p.drawLine(QPointF(hover_x, AXIS_H), QPointF(hover_x, lanes_bottom))

    def legend(self, items: tuple[LegendItem, ...]) -> None:
        p, fm = self.p, self.fm
        top = self.full.bottom() - legend_height(self.full.width(), fm, items) + 6
        p.setPen(QPen(style.qcolor(style.RULE)))
        p.drawLine(0, top - 4, self.full.right(), top - 4)
        rh = fm.height() + 4
        for x, row, label, kind, color in _legend_flow(self.full.width(), fm, items):
            y = top + row * rh
            sw = QRectF(x, y + (rh - 12) / 2, 18, 11)
            if kind == "fill":
                p.fillRect(sw, style.qcolor(color))
            elif kind == "tint":  # overview bars: translucent status colour
                p.fillRect(sw, style.qcolor(color, 110))
            elif kind == "hatch":
                hatch(p, sw, color)
            elif kind == "tick":
                p.fillRect(QRectF(sw.center().x() - 1.5, sw.top() - 1, 3, sw.height() + 2), style.qcolor(color))
            elif kind.startswith("sev-"):
                severity_mark(p, kind[4:], sw.center().x(), sw.top() - 1, sw.height() + 2, color)
            elif kind.startswith("status-"):
                status_shape(p, kind[7:], sw.center(), 5.0, color)
            elif kind == "border":
                p.fillRect(sw, style.qcolor(style.SWATCH_BG))
                pen = QPen(style.qcolor(color))
                pen.setWidthF(2.0)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(sw.adjusted(1, 1, -1, -1))
            else:
                pen = QPen(style.qcolor(color))
                pen.setWidthF(2.0)
                p.setPen(pen)
                p.drawLine(QPointF(sw.left(), sw.bottom()), QPointF(sw.right(), sw.top()))
            p.setPen(style.qcolor(style.TEXT))
            p.drawText(QRectF(x + 23, y, fm.horizontalAdvance(label) + 4, rh), Qt.AlignmentFlag.AlignVCenter,
                       label)

    def message(self, text: str) -> None:
        self.p.setPen(style.qcolor(style.TEXT_MUTED))
        self.p.drawText(self.plot, Qt.AlignmentFlag.AlignCenter, text)


__all__ = ["AXIS_H", "GUTTER", "RIGHT_PAD", "Canvas", "LegendItem", "hatch", "legend_height", "severity_mark",
           "status_shape"]
