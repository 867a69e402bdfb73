"""Painting of one session's timeline: its lanes over the shared :class:`~.primitives.Canvas` (numpy culling)."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QPolygonF

from mcscope.gui import style
from mcscope.gui.timeline.data import (
    LaneColumns,
    SessionColumns,
    column_dedup,
    event_index,
    format_bitrate,
    format_duration,
    format_rel,
    format_wall,
)
from mcscope.gui.timeline.primitives import AXIS_H, GUTTER, Canvas, LegendItem, hatch, severity_mark

if TYPE_CHECKING:
    from mcscope.core.state import Event
    from mcscope.core.timeline import Segment

STATE_ROW_H = 16  # one sub-row per player state name
IGNORED_AD_TEXT = "ignored — counted as main content"
MAX_WIDE = 4000


@dataclass(frozen=True)
class LaneSpec:
    key: str  # the segment lane drawn in this row
    title: str
    height: int
    extra: tuple[str, ...] = ()  # further segment lanes drawn in the same row


LANES: tuple[LaneSpec, ...] = (
    LaneSpec("playback", "Playback", 26, ("content-ignored-ad",)),
    LaneSpec("adbreak", "Ad breaks", 20),
    LaneSpec("ad", "Ads", 26),
    LaneSpec("chapter", "Chapters", 20),
    LaneSpec("state", "Player states", 20),
    LaneSpec("ping", "Pings", 20, ("ping-gap",)),
    LaneSpec("bitrate", "Bitrate", 22),
    LaneSpec("error", "Player errors", 18),
    LaneSpec("finding", "Rule findings", 22),
    LaneSpec("playhead", "Playhead", 72),
    LaneSpec("ignored", "Dropped by Adobe", 20),
)
#: lanes always shown (the others collapse when the session has nothing for them)
ALWAYS_SHOWN = frozenset({"playback", "playhead"})
#: what each lane holds (the tooltip of its name)
LANE_HELP: dict[str, str] = {
    "playback": "what the player reported: playing, paused, buffering, stalled (hatched: ad time Adobe counts "
                "as content)",
    "adbreak": "ad breaks (adBreakStart … adBreakComplete)",
    "ad": "ads (adStart … adComplete / adSkip); hatched: ignored by Adobe",
    "chapter": "chapters (chapterStart … chapterComplete / chapterSkip)",
    "state": "player states (stateStart … stateEnd), one row per state",
    "ping": "ping events (ticks) and gaps between pings longer than the ping interval (orange)",
    "bitrate": "bitrate reported by the player (bitrateChange and QoE data)",
    "error": "error events the player sent (media.qoe.errorID)",
    "finding": "what mcscope's rules found; the mark's height tells its severity: tall with a head = error, "
               "medium = warning, short = info",
    "playhead": "the playhead each event reported (scaled to the visible time range)",
    "ignored": "events Adobe drops: sent after the session ended, timed out or was closed; they count for "
               "nothing",
}

STATE_COLORS = ("#26a69a", "#8d6e63", "#5c6bc0", "#ec407a", "#7cb342", "#ffa726")
DRAW_PRIORITY = {"playing": 1, "ended": 1, "paused": 2, "buffering": 3, "stalled": 4}
SEV_ORDER = {"info": 0, "warning": 1, "error": 2}

def session_legend() -> tuple[LegendItem, ...]:
    """The session view's legend, in the current colour scheme."""
    return (
    ("Playing", "fill", style.PLAYBACK["playing"]),
    ("Paused", "fill", style.PLAYBACK["paused"]),
    ("Buffering", "fill", style.PLAYBACK["buffering"]),
    ("Stalled", "fill", style.PLAYBACK["stalled"]),
    ("Ad break", "fill", style.ADBREAK),
    ("Ad", "fill", style.AD),
    ("Ignored by Adobe", "hatch", style.IGNORED_HATCH),
    ("Chapter", "fill", style.CHAPTER[1]),
    ("Player state", "fill", style.STATE),
    ("Ping", "tick", style.PING),
    ("Ping gap", "fill", style.PING_GAP),
    ("Bitrate", "fill", style.BITRATE),
    ("Error", "sev-error", style.SEVERITY_MARK["error"]),
    ("Warning", "sev-warning", style.SEVERITY_MARK["warning"]),
    ("Info", "sev-info", style.SEVERITY_MARK["info"]),
    ("Playhead", "line", style.PLAYHEAD_LINE),
    ("Dropped by Adobe (after end or timeout)", "fill", style.DROPPED_GREY),
    )


SESSION_LEGEND = session_legend()  # light colours; paint with session_legend()
def _text_box(p: QPainter, fm: QFontMetrics, x: float, y: float, h: float, text: str, color: str,
              max_w: float, bg: str | None = "label") -> None:
    """Text vertically centred in [y, y+h] starting at x, on an optional box. Too long for ``max_w``: a
    shorter form (:data:`SHORT_LABELS`) or the text cut at a word; nothing rather than a stub like "ad c…"
    (hovering the mark shows the whole text)."""
    if max_w < 16:
        return
    text = fit_label(fm, text, max_w - 6)
    if not text:
        return
    if bg == "label":
        bg = style.LABEL_BG
    w = fm.horizontalAdvance(text) + 6
    th = min(h, fm.height() + 1)
    box = QRectF(x, y + (h - th) / 2, w, th)
    if bg:
        p.fillRect(box, style.qcolor(bg, 225))
    p.setPen(style.qcolor(color))
    p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


#: shorter forms of long labels, tried in order when the long one does not fit
SHORT_LABELS: dict[str, tuple[str, ...]] = {
    "ad counted as content": ("ad as content", "ad"),
    IGNORED_AD_TEXT: ("ignored: counted as content", "ignored", "ign."),
}


def fit_label(fm: QFontMetrics, text: str, width: float) -> str:
    """``text`` if it fits ``width``, else its first shorter form that fits, else its longest prefix that
    ends at a word and leaves 4 characters or more (with "…"), else ""."""
    if fm.horizontalAdvance(text) <= width:
        return text
    for short in SHORT_LABELS.get(text, ()):
        if fm.horizontalAdvance(short) <= width:
            return short
    words = text.split(" ")
    for n in range(len(words) - 1, 0, -1):
        cut = " ".join(words[:n]).rstrip(" :—-,") + "…"
        if len(cut) >= 5 and fm.horizontalAdvance(cut) <= width:
            return cut
    if len(words) == 1:
        cut = fm.elidedText(text, Qt.TextElideMode.ElideRight, int(width))
        if len(cut) >= 5:
            return cut
    return ""


def _kind_color(lane: str, kind: str, i: int) -> str:
    if lane == "playback":
        return style.PLAYBACK.get(kind, "#bdbdbd")
    if lane == "adbreak":
        return style.ADBREAK
    if lane == "ad":
        return style.AD
    if lane == "chapter":
        return style.CHAPTER[i % 2]
    if lane == "state":
        return STATE_COLORS[zlib.crc32(kind.encode()) % len(STATE_COLORS)]  # stable across runs
    if lane == "ping":
        return style.AD_PING if kind == "ad-ping" else style.PING
    if lane == "ping-gap":
        return style.PING_GAP
    if lane == "bitrate":
        return style.BITRATE
    if lane == "error":
        return style.ERROR_EVENT
    if lane == "finding":
        return style.SEVERITY_MARK.get(kind, style.SEVERITY_MARK["info"])
    if lane == "ignored":
        return style.DROPPED_GREY
    return "#9e9e9e"


def _text_on(bg: QColor) -> str:
    """Dark text on light fills, white on dark ones."""
    lum = 0.299 * bg.red() + 0.587 * bg.green() + 0.114 * bg.blue()
    if bg.alpha() < 160:
        return style.TEXT
    return "#212121" if lum > 150 else "#ffffff"


class Painter(Canvas):
    """One paint pass of a session's lanes. ``x0``/``x1`` is the visible range (ms relative to the origin)."""

    # ------------------------------------------------------------ session mode
    def paint_session(self, cols: SessionColumns | None, layout: list[tuple[LaneSpec, int, int]],
                      selected: int | None, hover_x: float | None) -> None:
        p = self.p
        self.background()
        lanes_bottom = layout[-1][1] + layout[-1][2] if layout else self.plot.bottom()
        title_font = QFont(p.font())
        title_font.setBold(True)
        title_fm = QFontMetrics(title_font)
        for n, (spec, y, h) in enumerate(layout):
            if n % 2:
                p.fillRect(QRect(0, y, self.full.width(), h), style.qcolor(style.LANE_ALT))
            # a title too wide in bold is set plain (then elided) rather than cut ("Dropped by Adob")
            wide = title_fm.horizontalAdvance(spec.title) > GUTTER - 14
            p.setFont(self._plain_font(title_font) if wide else title_font)
            p.setPen(style.qcolor(style.TEXT))
            title = p.fontMetrics().elidedText(spec.title, Qt.TextElideMode.ElideRight, GUTTER - 14)
            p.drawText(QRect(8, y, GUTTER - 14, h), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       title)
        p.setFont(self._plain_font(title_font))
        self.axis(cols.t0 if cols else 0.0, hover_x, lanes_bottom)
        p.setPen(QPen(style.qcolor(style.RULE)))
        p.drawLine(GUTTER - 2, AXIS_H, GUTTER - 2, lanes_bottom)
        if cols is None or not cols.lanes:
            self.legend(session_legend())
            self.message("no events in this session yet")
            return
        p.save()
        p.setClipRect(QRect(self.plot.left(), AXIS_H, self.plot.width() + 1, lanes_bottom - AXIS_H))
        for spec, y, h in layout:
            self._lane(spec, y, h, cols)
        self._dropped_veil(cols, layout, lanes_bottom)
        t_sel = cols.event_time(selected) if selected is not None else None
        if t_sel is not None:
            x = self.x(t_sel)
            pen = QPen(style.qcolor(style.SELECTION))
            pen.setWidthF(2.0)
            p.setPen(pen)
            p.drawLine(QPointF(x, AXIS_H), QPointF(x, lanes_bottom))
        p.restore()
        self._playhead_scale(cols, layout)
        self.legend(session_legend())

    @staticmethod
    def _plain_font(font: QFont) -> QFont:
        f = QFont(font)
        f.setBold(False)
        return f

    def _lane(self, spec: LaneSpec, y: int, h: int, cols: SessionColumns) -> None:
        key = spec.key
        if key == "playback":
            self._intervals(cols.lane("playback"), "playback", y + 3, h - 6)
            self._intervals(cols.lane("content-ignored-ad"), "content-ignored-ad", y + 2, h - 4,
                            force_hatch=True, text="ad counted as content")
        elif key == "state":
            for r, sub in enumerate(cols.state_rows):
                self._intervals(sub, "state", y + 2 + r * STATE_ROW_H, STATE_ROW_H - 2)
        elif key in ("adbreak", "chapter"):
            self._intervals(cols.lane(key), key, y + 3, h - 6)
        elif key == "ad":
            self._intervals(cols.lane("ad"), "ad", y + 2, h - 4, text_ignored=IGNORED_AD_TEXT)
        elif key == "ping":
            self._intervals(cols.lane("ping-gap"), "ping-gap", y + 2, h - 4, alpha=110)
            self._ticks(cols.lane("ping"), "ping", y + 4, h - 8, width=1.0)
        elif key == "bitrate":
            self._intervals(cols.lane("bitrate"), "bitrate", y + 2, h - 4, value_max=cols.bitrate_max)
        elif key == "error":
            self._ticks(cols.lane(key), key, y + 3, h - 6, width=3.0)
        elif key == "finding":
            self._severity_marks(cols.lane(key), y + 2, h - 4)
        elif key == "playhead":
            self._playhead(cols, y + 4, h - 8)
        elif key == "ignored":
            self._ticks(cols.lane("ignored"), "ignored", y + 2, h - 4, width=4.0)
            lane = cols.lane("ignored")
            if len(lane) and cols.dropped_reason:
                reason = str(cols.dropped_reason)
                text = reason if reason.lower().startswith("dropped") else f"dropped: {reason}"
                text += f" — Adobe discards {'this event' if len(lane) == 1 else f'these {len(lane)} events'}"
                x = max(self.x(float(lane.start[0])) + 6, self.left + 2)
                tw = self.fm.horizontalAdvance(text) + 12
                if self.plot.right() - x < tw:  # no room after the first drop: right-align before it
                    x = max(self.left + 2, x - 12 - tw)
                _text_box(self.p, self.fm, x, y, h, text, style.TEXT_MUTED, tw, bg=None)

    def _intervals(self, lane: LaneColumns, name: str, y: float, h: float, *, force_hatch: bool = False,
                   text: str | None = None, text_ignored: str | None = None, alpha: int = 255,
                   value_max: float | None = None) -> None:
        if not len(lane):
            return
        p, fm = self.p, self.fm
        i0, i1 = lane.visible(self.x0, self.x1)
        if i1 <= i0:
            return
        px0 = self.xs(lane.start[i0:i1])
        px1 = self.xs(lane.end[i0:i1])
        ign = lane.ignored[i0:i1] | force_hatch
        wide = ((px1 - px0) >= 3.0) | ign
        wide_idx = np.flatnonzero(wide)
        narrow_idx = np.flatnonzero(~wide)
        if len(wide_idx) > MAX_WIDE:  # pathological overlap: draw the excess as columns
            narrow_idx = np.concatenate([narrow_idx, wide_idx[MAX_WIDE:]])
            wide_idx = wide_idx[:MAX_WIDE]
        # narrow segments: one 2 px column per pixel column and kind
        if len(narrow_idx):
            cols, kinds = column_dedup(np.floor(px0[narrow_idx]), lane.kind[i0:i1][narrow_idx], len(lane.kinds))
            p.setPen(Qt.PenStyle.NoPen)
            # problems last so they stay visible when zoomed out (stalled over buffering over playing)
            for k in sorted(np.unique(kinds).tolist(), key=lambda k: DRAW_PRIORITY.get(lane.kinds[k], 0)):
                p.setBrush(style.qcolor(_kind_color(name, lane.kinds[k], 0), alpha))
                p.drawRects([QRectF(float(c), y, 2.0, h) for c in cols[kinds == k].tolist()])
        labels = len(wide_idx) <= 400
        left, right = self.plot.left() - 2.0, self.plot.right() + 2.0
        merged = self._merge_ignored(px0, px1, wide_idx, ign, left, right)
        if merged is not None:  # zoomed out over many ignored marks: one hatched run per overlap group
            for a, b in merged:
                hatch(p, QRectF(a, y, b - a, h), border=False)
            wide_idx = wide_idx[~ign[wide_idx]]
        for j in wide_idx.tolist():
            i = i0 + j
            a = max(float(px0[j]), left)
            b = min(float(px1[j]), right)
            seg = lane.segs[i]
            kind = lane.kinds[int(lane.kind[i])]
            top, hh = y, h
            if value_max and math.isfinite(lane.value[i]):
                frac = min(1.0, max(0.25, float(lane.value[i]) / value_max))
                top, hh = y + h * (1 - frac), h * frac
            if ign[j]:
                if b - a < 10:
                    mid = (a + b) / 2
                    a, b = mid - 5, mid + 5
                rect = QRectF(a, top, b - a, hh)
                hatch(p, rect)
                label = text_ignored or text or str(seg.label or "ignored")
                if labels:  # ignored ads must be unmistakable: the label may run on to the next mark
                    room = b - a - 6
                    if text_ignored and len(wide_idx) < 50:
                        nxt = float(px0[j + 1]) if j + 1 < len(px0) else float(self.plot.right())
                        room = max(room, min(nxt, self.plot.right()) - a - 6)
                    _text_box(p, fm, a + 3, top, hh, label, style.IGNORED_HATCH, room)
                continue
            rect = QRectF(a, top, b - a, hh)
            color = style.qcolor(_kind_color(name, kind, i), alpha)
            p.fillRect(rect, color)
            if name == "ping-gap":
                pen = QPen(style.qcolor(style.PING_GAP))
                pen.setWidthF(1.0)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
            if labels and b - a > 40:
                label = self._label(name, seg, kind, lane.value[i])
                if label:
                    _text_box(p, fm, a + 3, top, hh, label, _text_on(color), b - a - 6, bg=None)

    @staticmethod
    def _merge_ignored(px0: np.ndarray, px1: np.ndarray, wide_idx: np.ndarray, ign: np.ndarray,
                       left: float, right: float) -> list[tuple[float, float]] | None:
        """Pixel runs covering the ignored marks when they are too many to draw one by one."""
        ig = wide_idx[ign[wide_idx]]
        if len(ig) <= 30:
            return None
        a = np.clip(px0[ig], left, right)
        b = np.clip(px1[ig], left, right)
        short = (b - a) < 10
        mid = (a + b) / 2
        a = np.where(short, mid - 5, a)
        b = np.where(short, mid + 5, b)
        runs: list[tuple[float, float]] = []
        cur_a, cur_b = float(a[0]), float(b[0])
        for x0, x1 in zip(a[1:].tolist(), b[1:].tolist(), strict=True):
            if x0 <= cur_b + 1:
                cur_b = max(cur_b, x1)
            else:
                runs.append((cur_a, cur_b))
                cur_a, cur_b = x0, x1
        runs.append((cur_a, cur_b))
        return runs

    @staticmethod
    def _label(name: str, seg: Segment, kind: str, value: float) -> str:
        if name == "bitrate" and math.isfinite(value):
            return format_bitrate(value)
        label = seg.label
        if label:
            return str(label)
        return kind

    def _ticks(self, lane: LaneColumns, name: str, y: float, h: float, *, width: float) -> None:
        if not len(lane):
            return
        p = self.p
        i0, i1 = lane.visible(self.x0, self.x1)
        if i1 <= i0:
            return
        px = np.floor(self.xs(lane.start[i0:i1]))
        cols, kinds = column_dedup(px, lane.kind[i0:i1], len(lane.kinds))
        order = sorted(np.unique(kinds).tolist(), key=lambda k: SEV_ORDER.get(lane.kinds[k], -1))
        p.setPen(Qt.PenStyle.NoPen)
        for k in order:
            kind = lane.kinds[k]
            p.setBrush(style.qcolor(_kind_color(name, kind, 0)))
            top, hh = y, h
            if name == "ping" and kind == "ad-ping":
                top, hh = y + h * 0.4, h * 0.6
            off = width / 2
            p.drawRects([QRectF(float(c) - off + 0.5, top, width, hh) for c in cols[kinds == k].tolist()])

    def _severity_marks(self, lane: LaneColumns, y: float, h: float) -> None:
        """Finding marks: one per pixel column and severity, worst drawn last; shape and colour both tell
        the severity (see :func:`~.primitives.severity_mark`)."""
        if not len(lane):
            return
        i0, i1 = lane.visible(self.x0, self.x1)
        if i1 <= i0:
            return
        px = np.floor(self.xs(lane.start[i0:i1]))
        cols, kinds = column_dedup(px, lane.kind[i0:i1], len(lane.kinds))
        for k in sorted(np.unique(kinds).tolist(), key=lambda k: SEV_ORDER.get(lane.kinds[k], -1)):
            kind = lane.kinds[k]
            color = _kind_color("finding", kind, 0)
            for c in cols[kinds == k].tolist():
                severity_mark(self.p, kind, float(c) + 0.5, y, h, color)

    def playhead_range(self, cols: SessionColumns) -> tuple[float, float]:
        """Lowest and highest playhead in the visible time range (so the lane rescales when zoomed)."""
        lane = cols.lane("playhead")
        if not len(lane):
            return cols.playhead_range
        i0, i1 = lane.visible(self.x0, self.x1)
        v = lane.value[max(0, i0 - 1):min(len(lane), i1 + 1)]
        v = v[np.isfinite(v)]
        if not len(v):
            return cols.playhead_range
        lo, hi = float(v.min()), float(v.max())
        return (lo, hi) if hi > lo else (lo - 0.5, lo + 0.5)

    def _playhead(self, cols: SessionColumns, y: float, h: float) -> None:
        lane = cols.lane("playhead")
        if not len(lane):
            return
        p = self.p
        i0, i1 = lane.visible(self.x0, self.x1)
        # one point of context either side so the line enters/leaves the view
        i0, i1 = max(0, i0 - 1), min(len(lane), i1 + 1)
        t = lane.start[i0:i1]
        v = lane.value[i0:i1]
        ok = np.isfinite(v)
        t, v = t[ok], v[ok]
        if not len(t):
            return
        lo, hi = self.playhead_range(cols)
        ys = y + h - (v - lo) / (hi - lo) * h
        px = np.clip(np.floor(self.xs(t)), self.plot.left() - 5, self.plot.right() + 5)
        pen = QPen(style.qcolor(style.PLAYHEAD_LINE))
        if len(t) > 300:  # dense: a cosmetic 1 px pen skips the stroker (1.5 px zig-zags cost ~100 ms)
            pen.setCosmetic(True)
            pen.setWidthF(1.0)
        else:
            pen.setWidthF(1.5)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        if len(px) > 2 * self.plot.width():
            starts = np.flatnonzero(np.r_[True, px[1:] != px[:-1]])
            ymin = np.minimum.reduceat(ys, starts)
            ymax = np.maximum.reduceat(ys, starts)
            # two points per pixel column (its vertical extent), in the order the line enters it
            enters_low = np.abs(ys[starts] - ymin) <= np.abs(ys[starts] - ymax)
            pts = np.empty((len(starts) * 2, 2))
            pts[0::2, 0] = pts[1::2, 0] = px[starts]
            pts[0::2, 1] = np.where(enters_low, ymin, ymax)
            pts[1::2, 1] = np.where(enters_low, ymax, ymin)
        else:
            pts = np.column_stack([px, ys])
        p.drawPolyline(QPolygonF([QPointF(a, b) for a, b in pts.tolist()]))
        if len(t) <= 300:
            p.setBrush(style.qcolor(style.PLAYHEAD_LINE))
            p.setPen(Qt.PenStyle.NoPen)
            for a, b in pts.tolist():
                p.drawEllipse(QPointF(a, b), 2.2, 2.2)

    def _playhead_scale(self, cols: SessionColumns, layout: list[tuple[LaneSpec, int, int]]) -> None:
        for spec, y, h in layout:
            if spec.key != "playhead" or not len(cols.lane("playhead")):
                continue
            lo, hi = self.playhead_range(cols)
            self.p.setPen(style.qcolor(style.TEXT_MUTED))
            r = QRectF(8, y + 2, GUTTER - 14, h - 4)
            self.p.drawText(r, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight, f"{hi:g} s")
            self.p.drawText(r, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight, f"{lo:g} s")

    def _dropped_veil(self, cols: SessionColumns, layout: list[tuple[LaneSpec, int, int]],
                      lanes_bottom: int) -> None:
        lane = cols.lane("ignored")
        if not len(lane):
            return
        a = self.x(float(lane.start[0])) - 3
        end = float(lane.cum_end[-1])
        b = self.plot.right() + 2 if end >= cols.t_max - 1 else self.x(end) + 3
        if b < self.plot.left() or a > self.plot.right():
            return
        veil = QRectF(a, AXIS_H, b - a, lanes_bottom - AXIS_H)
        self.p.fillRect(veil, style.qcolor(style.DROPPED_VEIL, 150))
        pen = QPen(style.qcolor(style.DROPPED_GREY))
        pen.setStyle(Qt.PenStyle.DashLine)
        self.p.setPen(pen)
        self.p.drawLine(QPointF(a, AXIS_H), QPointF(a, lanes_bottom))


def tooltip_for_segment(lane: str, seg: Segment, t0: float, events: list[Event]) -> str:
    """Plain-text tooltip: what the mark is, when (relative + wall clock), why it is ignored, the event."""
    start = float(seg.start or 0)
    end = float(seg.end if seg.end is not None else start)
    kind = str(seg.kind or lane)
    label = str(seg.label or kind)
    lines = [f"{label}   [{lane}: {kind}]"]
    when = f"at {format_rel(start - t0, 1.0)}  ({format_wall(start)})"
    if end > start:
        when += f", lasting {format_duration(end - start)}"
    lines.append(when)
    value = seg.value
    if lane == "bitrate" and value is not None:
        lines.append(f"bitrate {format_bitrate(float(value))}")
    elif lane == "playhead" and value is not None:
        lines.append(f"playhead {value}")
    if seg.ignored or lane in ("ignored", "content-ignored-ad"):
        reason = seg.reason or (IGNORED_AD_TEXT if lane in ("ad", "content-ignored-ad") else "")
        lines.append(f"IGNORED by Adobe: {reason}".rstrip(": "))
    idx = event_index(seg.event)
    if idx is not None:
        ev = events[idx] if 0 <= idx < len(events) else None
        head = f"event #{idx}" + (f" {ev.event_type}" if ev is not None and ev.event_type else "")
        if ev is not None and ev.playhead is not None:
            head += f", playhead {ev.playhead}"
        lines.append(head)
        for f in (ev.findings if ev is not None else [])[:6]:
            lines.append(f"  {f.severity.label}: {f.rule} — {f.message}")
    return "\n".join(lines)


__all__ = ["ALWAYS_SHOWN", "LANES", "LANE_HELP", "SESSION_LEGEND", "fit_label", "session_legend", "STATE_ROW_H", "LaneSpec", "Painter", "tooltip_for_segment"]
