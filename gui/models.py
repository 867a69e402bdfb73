"""Qt item models over sessions, events and findings, with batched inserts and filter proxies.

Rows hold references to the core objects (``mcscope.core.session.Session`` / ``Event`` / ``mcscope.core.model.Finding``),
never copies. New rows are queued and inserted with ONE ``beginInsertRows``/``endInsertRows`` per flush:
either when the 50 ms timer fires or on an explicit ``flush()``.

Public API (window side)::

    sessions = SessionListModel()               # newest session first
    sessions.sync(analyzer.sessions)            # add unknown sessions (batched), mark known ones changed
    sessions.add_sessions([...]); sessions.update_sessions([...]); sessions.flush()
    sessions.refresh(analyzer.sessions)         # sync + immediate flush (caller already batches)
    sessions.session_at(row) / sessions.row_of(key) / sessions.set_sessions([...]) / sessions.clear()
    proxy = SessionFilterProxy(); proxy.setSourceModel(sessions)
    proxy.set_problems_only(True); proxy.set_text("trailer")

    events = EventTableModel()
    events.set_session(session)                 # reset to a session's events (None: empty)
    events.refresh()                            # live: append the session's new events, update the rest
    events.append_events([...]); events.flush()
    events.event_at(row) / events.row_of_event(event_index)
    eproxy = EventFilterProxy(); eproxy.setSourceModel(events)
    eproxy.set_text("ping"); eproxy.set_min_severity(2); eproxy.set_rule("ping-interval"); eproxy.set_ignored_only(True)

    findings = FindingsModel(); findings.set_findings(session.findings); findings.finding_at(row)

Roles on every model: ``OBJECT_ROLE`` (the core object), ``SORT_ROLE`` (numeric/str sort key),
``SEVERITY_ROLE`` (worst severity as int 0..3), ``IGNORED_ROLE`` (bool).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QFontMetricsF, QGuiApplication, QIcon, QPainter, QPen, QPixmap

from mcscope.gui import style
from mcscope.gui.timeline.data import format_duration, session_title

if TYPE_CHECKING:
    from mcscope.core.model import Finding, Severity
    from mcscope.core.session import Session
    from mcscope.core.state import Event

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
DISPLAY = Qt.ItemDataRole.DisplayRole
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
SEVERITY_ROLE = Qt.ItemDataRole.UserRole + 3
IGNORED_ROLE = Qt.ItemDataRole.UserRole + 4
RULES_ROLE = Qt.ItemDataRole.UserRole + 5
FLUSH_MS = 50
SEV_INT = {"info": 1, "warning": 2, "error": 3}


def _worst(findings: Iterable[Finding]) -> int:
    return max((int(f.severity) for f in findings), default=0)


def _wall(ms: int | None, with_date: bool = False) -> str:
    if ms is None:
        return ""
    try:
        dt = _dt.datetime.fromtimestamp(ms / 1000.0)
    except (OverflowError, OSError, ValueError):
        return "?"
    text = dt.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
    return text if with_date else text + f".{dt.microsecond // 1000:03d}"


class _Batched[Row](QAbstractTableModel):
    """Base: a ``pending`` list flushed by a single-shot timer with one insert per flush.

    ``Row`` is what a row holds: a Session, an Event or a Finding."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None, flush_ms: int = FLUSH_MS) -> None:
        super().__init__(parent)
        self.pending: list[Row] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)

    def _queue(self, items: Iterable[Row]) -> None:
        self.pending.extend(items)
        if self.pending and not self._timer.isActive():
            self._timer.start()

    def flush(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    #: compact header text per column (the full name is the header's tooltip)
    SHORT: dict[int, str] = {}

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == DISPLAY:
            return self.SHORT.get(section, self.HEADERS[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


# --------------------------------------------------------------------------------------- sessions
class _Counts:
    """Incrementally maintained badge counts of one session (only new events/findings are scanned)."""

    __slots__ = ("n_events", "n_findings", "error", "warning", "info", "ignored")

    def __init__(self) -> None:
        self.n_events = self.n_findings = 0
        self.error = self.warning = self.info = self.ignored = 0

    def update(self, session: Session) -> _Counts:
        events = session.events
        findings = session.findings
        if len(events) < self.n_events or len(findings) < self.n_findings:
            self.n_events = self.n_findings = 0
            self.error = self.warning = self.info = self.ignored = 0
        for e in events[self.n_events:]:
            self.ignored += e.ignored
        for f in findings[self.n_findings:]:
            label = f.severity.label
            if label == "error":
                self.error += 1
            elif label == "warning":
                self.warning += 1
            elif label == "info":
                self.info += 1
        self.n_events, self.n_findings = len(events), len(findings)
        return self

    @property
    def worst(self) -> int:
        return 3 if self.error else 2 if self.warning else 1 if self.info else 0


class SessionListModel(_Batched["Session"]):
    """One row per session, newest first; live-updating status, counts and badges."""

    (COL_STATUS, COL_MEDIA, COL_PLAYER, COL_START, COL_DURATION, COL_EVENTS, COL_ERRORS, COL_WARNINGS,
     COL_IGNORED, COL_SOURCE) = range(10)
    HEADERS = ("Status", "Media", "Player", "Started", "Duration", "Events", "Errors", "Warnings",
               "Events ignored by Adobe", "File")
    SHORT = {COL_STATUS: "", COL_ERRORS: "✖", COL_WARNINGS: "▲", COL_IGNORED: "▧"}

    def __init__(self, parent: QObject | None = None, flush_ms: int = FLUSH_MS) -> None:
        super().__init__(parent, flush_ms)
        #: session -> the capture file it was read from ("" when live or unknown)
        self.source_of: Callable[[Session], str] | None = None
        self._items: list[Session] = []  # oldest first; row r shows _items[-1 - r]
        self._pos: dict[str, int] = {}
        self._counts: dict[int, _Counts] = {}
        self._changed: set[str] = set()

    # -- feeding
    def add_sessions(self, sessions: Iterable[Session]) -> None:
        """Queue new sessions (already known or queued ones are ignored); inserted at the top on flush."""
        queued = {self._key(s) for s in self.pending}
        fresh = []
        for s in sessions:
            k = self._key(s)
            if k not in self._pos and k not in queued:
                queued.add(k)
                fresh.append(s)
        self._queue(fresh)

    def update_sessions(self, sessions: Iterable[Session]) -> None:
        """Mark sessions changed (status, counts); one ``dataChanged`` on the next flush."""
        for s in sessions:
            k = self._key(s)
            if k in self._pos:
                self._changed.add(k)
        if self._changed and not self._timer.isActive():
            self._timer.start()

    def sync(self, sessions: Iterable[Session]) -> None:
        """Add unknown sessions and mark known ones changed (pass ``analyzer.sessions``)."""
        sessions = list(sessions)
        self.add_sessions(sessions)
        self.update_sessions(sessions)

    def refresh(self, sessions: Iterable[Session]) -> int:
        """``sync`` + immediate ``flush`` (for callers that already batch, e.g. the window's 100 ms tick)."""
        self.sync(sessions)
        return self.flush()

    def set_sessions(self, sessions: Iterable[Session]) -> None:
        """Replace everything (model reset)."""
        self.beginResetModel()
        self.pending.clear()
        self._changed.clear()
        self._items, self._pos, self._counts = [], {}, {}
        for s in sessions:
            k = self._key(s)
            if k not in self._pos:
                self._pos[k] = len(self._items)
                self._items.append(s)
        self.endResetModel()

    def clear(self) -> None:
        self.set_sessions([])

    def flush(self) -> int:
        """Insert pending sessions (one insert) and emit one ``dataChanged`` for changed ones."""
        self._timer.stop()
        added = self.pending
        self.pending = []
        if added:
            self.beginInsertRows(ROOT, 0, len(added) - 1)
            for s in added:
                self._pos[self._key(s)] = len(self._items)
                self._items.append(s)
            self.endInsertRows()
        if self._changed:
            rows = [self.row_of(k) for k in self._changed]
            self._changed.clear()
            rows = [r for r in rows if r >= 0]
            if rows:
                self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(self.HEADERS) - 1))
        return len(added)

    # -- lookup
    @staticmethod
    def _key(s: Session) -> str:
        return s.key

    def session_at(self, row: int) -> Session | None:
        n = len(self._items)
        return self._items[n - 1 - row] if 0 <= row < n else None

    def row_of(self, key: str) -> int:
        pos = self._pos.get(key)
        return -1 if pos is None else len(self._items) - 1 - pos

    def sessions(self) -> list[Session]:
        """Shown sessions, newest first."""
        return self._items[::-1]

    def counts(self, session: Session) -> _Counts:
        c = self._counts.get(id(session))
        if c is None:
            c = self._counts[id(session)] = _Counts()
        return c.update(session)

    # -- Qt
    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        s = self.session_at(index.row())
        if s is None:
            return None
        col = index.column()
        if role == OBJECT_ROLE:
            return s
        status = s.status
        if role == DISPLAY:
            value = self._display(s, col, status, sort=False)
            return None if value is None else str(value)
        if role == SORT_ROLE:
            return self._display(s, col, status, sort=True)
        c = self.counts(s)
        if role == SEVERITY_ROLE:
            return c.worst
        if role == IGNORED_ROLE:
            return c.ignored > 0
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(s, c, status)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == self.COL_STATUS:
                return style.qcolor(style.STATUS_COLOR.get(status, style.TEXT))
            if col == self.COL_ERRORS and c.error:
                return style.qcolor(style.SEVERITY_FG["error"])
            if col == self.COL_WARNINGS and c.warning:
                return style.qcolor(style.SEVERITY_FG["warning"])
            if col == self.COL_IGNORED and c.ignored:
                return style.qcolor(style.IGNORED_HATCH)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:  # badges: only the count cells are tinted
            if col == self.COL_IGNORED and c.ignored:
                return style.qcolor(style.IGNORED_FILL)
            if col == self.COL_ERRORS and c.error:
                return style.qcolor(style.SEVERITY_BG["error"])
            if col == self.COL_WARNINGS and c.warning:
                return style.qcolor(style.SEVERITY_BG["warning"])
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == self.COL_STATUS:
            return status_icon(status)
        if role == Qt.ItemDataRole.DecorationRole and col == self.COL_MEDIA:
            return protocol_badge(style.protocol_of(s))
        if role == Qt.ItemDataRole.FontRole and col == self.COL_STATUS and status == "open":
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.TextAlignmentRole and self.COL_DURATION <= col <= self.COL_IGNORED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def source(self, s: Session) -> str:
        return (self.source_of(s) if self.source_of is not None else "") or ""

    def _display(self, s: Session, col: int, status: str, sort: bool) -> Any:
        media = s.media
        first, last = s.first_ts, s.last_ts
        if col == self.COL_STATUS:
            return style.STATUS_TEXT.get(status, status)
        if col == self.COL_MEDIA:
            return session_title(s)  # the media id is in the tooltip and found by the search
        if col == self.COL_PLAYER:
            return str(media.get("playerName") or "")
        if col == self.COL_START:
            return (first or 0) if sort else _wall(first, with_date=True)
        if col == self.COL_DURATION:
            dur = (last - first) if first is not None and last is not None else None
            if sort:
                return dur or 0
            return format_duration(dur) if dur is not None else ""
        if col == self.COL_EVENTS:
            return len(s.events)
        c = self.counts(s)
        if col == self.COL_ERRORS:
            return c.error
        if col == self.COL_WARNINGS:
            return c.warning
        if col == self.COL_IGNORED:
            return c.ignored
        if col == self.COL_SOURCE:
            src = self.source(s)
            return Path(src).name if src else ""
        return None

    def _tooltip(self, s: Session, c: _Counts, status: str) -> str:
        mid = s.media.get("id")
        protocol = style.protocol_of(s)
        lines = [session_title(s) + (f" (media id {mid})" if mid and str(mid) != session_title(s) else ""),
                 f"{style.PROTOCOL_TEXT[protocol]}: a {style.PROTOCOL_NAME[protocol]} session",
                 f"session {self._key(s)} — {style.STATUS_TEXT.get(status, status)}: "
                 f"{style.STATUS_HELP.get(status, '')}".rstrip(": "),
                 f"{_n(c.error, 'error')}, {_n(c.warning, 'warning')}, {_n(c.info, 'info')}"]
        src = self.source(s)
        if src:
            lines.append(f"from {src}")
        if c.ignored:
            lines.append(f"{_n(c.ignored, 'event')} ignored by Adobe")
        return "\n".join(lines)


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


_ICON_SHAPES = {"open": "dot", "completed": "check", "ended": "square", "timed-out": "clock", "gone": "cross",
                "rejected": "slash"}


def status_icon(status: str) -> QIcon:
    """A 12 px icon for a status: its colour AND its own shape (dot, check, square, clock, cross, slash)."""
    key = (status, style.STATUS_COLOR.get(status, "#757575"))
    icon = _ICONS.get(key)
    if icon is not None:
        return icon
    pix = QPixmap(14, 14)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = style.qcolor(key[1])
    pen = QPen(color)
    pen.setWidthF(2.2)
    p.setPen(pen)
    shape = _ICON_SHAPES.get(status, "dot")
    if shape == "dot":
        p.setBrush(color)
        p.drawEllipse(QPointF(7, 7), 5, 5)
    elif shape == "check":
        p.drawPolyline([QPointF(2, 7.5), QPointF(5.5, 11), QPointF(12, 3)])
    elif shape == "square":
        p.setBrush(color)
        p.drawRect(QRectF(2.5, 2.5, 9, 9))
    elif shape == "clock":
        p.drawEllipse(QPointF(7, 7), 5, 5)
        p.drawLine(QPointF(7, 7), QPointF(7, 3.5))
        p.drawLine(QPointF(7, 7), QPointF(9.5, 8.5))
    elif shape == "cross":
        p.drawLine(QPointF(3, 3), QPointF(11, 11))
        p.drawLine(QPointF(11, 3), QPointF(3, 11))
    else:  # slash: a circle struck through
        p.drawEllipse(QPointF(7, 7), 5, 5)
        p.drawLine(QPointF(3.5, 10.5), QPointF(10.5, 3.5))
    p.end()
    icon = _ICONS[key] = QIcon(pix)
    return icon


_ICONS: dict[tuple[str, str], QIcon] = {}


def protocol_badge(protocol: str) -> QPixmap:
    """The session list's protocol badge: "REST" in an outlined rounded box, "Edge" white on a filled box with
    pointed ends (shape and fill tell them apart without colour). A pixmap, not an icon: item views draw a
    pixmap at its own size, so the text is not shrunk into a 16 px square."""
    protocol = style.protocol_of(protocol)
    screen = QGuiApplication.primaryScreen()
    dpr = max(1.0, screen.devicePixelRatio() if screen is not None else 1.0)
    key = (protocol, style.PROTOCOL_COLOR[protocol], style.PROTOCOL_ON, dpr)
    pix = _BADGES.get(key)
    if pix is not None:
        return pix
    font = QFont()
    font.setPixelSize(10)
    font.setBold(True)
    metrics = QFontMetricsF(font)
    # one width for both badges, so the titles after them line up
    w = max(metrics.horizontalAdvance(t) for t in style.PROTOCOL_TEXT.values()) + 12
    h = 14
    pix = QPixmap(round(w * dpr), round(h * dpr))
    pix.setDevicePixelRatio(dpr)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = style.qcolor(key[1])
    p.setFont(font)
    if protocol == "edge":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawPolygon([QPointF(0.5, h / 2), QPointF(4.5, 0.5), QPointF(w - 4.5, 0.5), QPointF(w - 0.5, h / 2),
                       QPointF(w - 4.5, h - 0.5), QPointF(4.5, h - 0.5)])
        p.setPen(style.qcolor(key[2]))
    else:
        pen = QPen(color)
        pen.setWidthF(1.2)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(QRectF(1, 1, w - 2, h - 2), 3.5, 3.5)
    p.drawText(QRectF(0, 0, w, h), int(Qt.AlignmentFlag.AlignCenter), style.PROTOCOL_TEXT[protocol])
    p.end()
    _BADGES[key] = pix
    return pix


_BADGES: dict[tuple[str, str, str, float], QPixmap] = {}


def session_search_text(s: Session, source: str = "") -> str:
    """Lower-case text the session search matches: media, ids, client, file, rule ids, every parameter value
    of every event (ad, chapter and media ids, player names ...)."""
    parts: list[str] = [session_title(s)] + [str(v) for v in s.media.values()]
    protocol = style.protocol_of(s)
    parts += [str(s.key), str(s.sid or ""), str(s.client or ""), source, str(s.status), protocol,
              style.PROTOCOL_NAME[protocol], str(getattr(s, "edge_hint", None) or "")]
    parts += sorted({f.rule for f in s.findings})
    values: set[str] = set()
    for e in s.events:
        if e.event_type:
            values.add(str(e.event_type))
        body = e.body
        if isinstance(body, dict):
            _collect_values(body, values)
    parts += sorted(values)
    return "\n".join(parts).lower()


def _collect_values(obj: Any, out: set[str], depth: int = 0) -> None:
    if depth > 6 or len(out) > 20_000:
        return
    if isinstance(obj, dict):
        for v in obj.values():
            _collect_values(v, out, depth + 1)
    elif isinstance(obj, list):
        for v in obj[:200]:
            _collect_values(v, out, depth + 1)
    elif obj is not None and not isinstance(obj, bool):
        out.add(str(obj))


class SessionFilterProxy(QSortFilterProxyModel):
    """Session list filters: "only sessions with problems" and free text (media, player, key)."""

    PROBLEM_STATUSES = frozenset({"timed-out", "gone", "rejected"})

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._problems_only = False
        self._text = ""
        self._hay: dict[int, tuple[tuple[int, int, str], str]] = {}
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)  # statuses and counts change live; the list is small

    def set_problems_only(self, on: bool) -> None:
        self.beginFilterChange()
        self._problems_only = bool(on)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = (text or "").strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def problems_only(self) -> bool:
        return self._problems_only

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        s = model.session_at(row) if isinstance(model, SessionListModel) else None
        if s is None:
            return True
        if self._problems_only:
            c = model.counts(s)
            if not (c.error or c.warning or c.ignored or s.status in self.PROBLEM_STATUSES):
                return False
        if self._text:
            return all(word in self._haystack(s, model) for word in self._text.split())
        return True

    def _haystack(self, s: Session, model: SessionListModel) -> str:
        sig = (len(s.events), len(s.findings), s.status)
        cached = self._hay.get(id(s))
        if cached is None or cached[0] != sig:
            cached = self._hay[id(s)] = (sig, session_search_text(s, model.source(s)))
        return cached[1]


# --------------------------------------------------------------------------------------- events
KEY_PARAMS: dict[str, tuple[str, ...]] = {
    "sessionStart": ("media.id", "media.name", "media.contentType", "media.length", "media.playerName"),
    "adBreakStart": ("media.ad.podIndex", "media.ad.podSecond", "media.ad.podFriendlyName"),
    "adStart": ("media.ad.id", "media.ad.length", "media.ad.podPosition", "media.ad.name"),
    "chapterStart": ("media.chapter.index", "media.chapter.offset", "media.chapter.length",
                     "media.chapter.friendlyName"),
    "stateStart": ("media.state.name",),
    "stateEnd": ("media.state.name",),
    "error": ("media.qoe.errorID", "media.qoe.errorSource"),
}


def key_params(event: Event, limit: int = 120) -> str:
    """Short ``key=value`` summary of the parameters that matter for this event type."""
    if event.body is None:
        return ""
    params = event.params
    qoe = event.qoe
    etype = event.event_type or ""
    parts: list[str] = []
    wanted = KEY_PARAMS.get(etype)
    if wanted:
        for k in wanted:
            src = qoe if k.startswith("media.qoe.") and k in qoe else params
            if k in src:
                parts.append(f"{k.split('.')[-1]}={src[k]}")
    elif params:
        parts.extend(f"{k}={v}" for k, v in list(params.items())[:4])
    if etype == "statesUpdate" and params:
        parts = [f"{k}={json.dumps(v)[:40]}" for k, v in params.items()]
    if "media.qoe.bitrate" in qoe:
        parts.append(f"bitrate={qoe['media.qoe.bitrate']}")
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EventTableModel(_Batched["Event"]):
    """Events of one session: one row per event, in arrival order."""

    COL_INDEX, COL_TIME, COL_WALL, COL_TYPE, COL_PLAYHEAD, COL_PARAMS, COL_HTTP, COL_FINDINGS = range(8)
    HEADERS = ("#", "Time", "Wall clock", "Event", "Playhead", "Parameters", "HTTP", "Findings")

    def __init__(self, parent: QObject | None = None, flush_ms: int = FLUSH_MS) -> None:
        super().__init__(parent, flush_ms)
        self._session: Session | None = None
        self._events: list[Event] = []
        self._t0: float | None = None
        self._strike = QFont()
        self._strike.setStrikeOut(True)

    # -- feeding
    def set_session(self, session: Session | None) -> None:
        """Show ``session``'s events (reset); ``None`` empties the table."""
        self.beginResetModel()
        self._timer.stop()
        self.pending.clear()
        self._session = session
        self._events = list(session.events) if session is not None else []
        self._t0 = self._origin()
        self.endResetModel()

    def session(self) -> Session | None:
        return self._session

    def append_events(self, events: Iterable[Event]) -> None:
        """Queue events (batched: one insert per flush)."""
        self._queue(events)

    def refresh(self, update_existing: bool = True) -> int:
        """Live update: insert the session's events not shown yet (one insert) and repaint existing rows."""
        if self._session is None:
            return 0
        events = self._session.events
        have = len(self._events) + len(self.pending)
        if len(events) > have:
            self.pending.extend(events[have:])
        n_old = len(self._events)
        added = self.flush()
        if update_existing and n_old:
            self.dataChanged.emit(self.index(0, 0), self.index(n_old - 1, len(self.HEADERS) - 1))
        return added

    def flush(self) -> int:
        self._timer.stop()
        added = self.pending
        self.pending = []
        if not added:
            return 0
        n = len(self._events)
        self.beginInsertRows(ROOT, n, n + len(added) - 1)
        self._events.extend(added)
        self.endInsertRows()
        if self._t0 is None:
            self._t0 = self._origin()
        return len(added)

    def _origin(self) -> float | None:
        first = self._session.first_ts if self._session is not None else None
        if first is not None:
            return float(first)
        for e in self._events[:50]:
            if e.ts is not None:
                return float(e.ts)
        return None

    # -- lookup
    def event_at(self, row: int) -> Event | None:
        return self._events[row] if 0 <= row < len(self._events) else None

    def row_of_event(self, index: int) -> int:
        """Row showing the event with ``Event.index == index`` (-1 if not shown)."""
        if 0 <= index < len(self._events) and self._events[index].index == index:
            return index
        for row, e in enumerate(self._events):
            if e.index == index:
                return row
        return -1

    # -- Qt
    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._events)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        e = self.event_at(index.row())
        if e is None:
            return None
        col = index.column()
        if role == DISPLAY:
            value = self._display(e, col)
            return None if value is None else str(value)
        if role == OBJECT_ROLE:
            return e
        if role == SORT_ROLE:
            return self._sort_key(e, col)
        findings = e.findings
        ignored = e.ignored
        if role == SEVERITY_ROLE:
            return _worst(findings)
        if role == IGNORED_ROLE:
            return ignored
        if role == RULES_ROLE:
            return [f.rule for f in findings]
        if role == Qt.ItemDataRole.BackgroundRole:
            if ignored:
                return style.qcolor(style.IGNORED_FILL)
            label = {3: "error", 2: "warning", 1: "info"}.get(_worst(findings))
            return style.qcolor(style.SEVERITY_BG[label]) if label else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if ignored:
                return style.qcolor(style.IGNORED_HATCH)
            if col == self.COL_FINDINGS and findings:
                label = {3: "error", 2: "warning", 1: "info"}.get(_worst(findings), "info")
                return style.qcolor(style.SEVERITY_FG[label])
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._strike if ignored else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(e, findings, ignored)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.COL_INDEX, self.COL_TIME, self.COL_PLAYHEAD,
                                                                 self.COL_HTTP):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, e: Event, col: int) -> Any:
        if col == self.COL_INDEX:
            return e.index
        if col == self.COL_TIME:
            ts = e.ts
            if self._t0 is None or ts is None:
                return ""
            return f"{(ts - self._t0) / 1000.0:.3f}"
        if col == self.COL_WALL:
            return _wall(e.ts)
        if col == self.COL_TYPE:
            return e.event_type or "(none)"
        if col == self.COL_PLAYHEAD:
            ph = e.playhead
            return "" if ph is None else f"{ph:g}"
        if col == self.COL_PARAMS:
            return key_params(e)
        if col == self.COL_HTTP:
            return "" if e.status is None else str(e.status)
        if col == self.COL_FINDINGS:
            text = ", ".join(dict.fromkeys(f.rule for f in e.findings))
            if e.ignored:
                text = "IGNORED" + (f": {text}" if text else "")
            return text
        return None

    def _sort_key(self, e: Event, col: int) -> Any:
        if col in (self.COL_TIME, self.COL_WALL):
            return e.ts if e.ts is not None else -1
        if col == self.COL_PLAYHEAD:
            return e.playhead if e.playhead is not None else -1
        if col == self.COL_HTTP:
            return e.status or 0
        if col == self.COL_FINDINGS:
            return _worst(e.findings)
        value = self._display(e, col)
        return value if value is not None else ""

    @staticmethod
    def _tooltip(e: Event, findings: list[Finding], ignored: bool) -> str | None:
        lines = []
        if ignored:
            lines.append(f"IGNORED by Adobe: {e.ignored_reason or 'dropped'}")
        for f in findings[:12]:
            line = f"{f.severity.label}: {f.rule} — {f.message}"
            if f.consequence:
                line += f" ({f.consequence})"
            lines.append(line)
        return "\n".join(lines) or None


def event_search_text(e: Event) -> str:
    """Lower-case text the event text filter matches against (type, playhead, status, findings, body)."""
    parts = [str(e.index), str(e.event_type or ""), str(e.playhead or ""), str(e.status or ""),
             str(e.ignored_reason or "")]
    parts += [f"{f.rule} {f.message}" for f in e.findings]
    body = e.body
    if body is not None:
        try:
            parts.append(json.dumps(body, ensure_ascii=False))
        except (TypeError, ValueError):
            pass
    return " ".join(parts).lower()


class EventFilterProxy(QSortFilterProxyModel):
    """Event table filters: text, minimum severity, one rule id, ignored only. Sorts by ``SORT_ROLE``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._min_sev = 0
        self._rule = ""
        self._ignored_only = False
        self._problems_only = False
        self._cache: list[bool] = []  # accepted flag per source row, for the current filter
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)  # big tables: never re-sort/re-filter on every insert

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = (text or "").strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_min_severity(self, severity: int | Severity | str) -> None:
        """0 = all events, 1 = with any finding, 2 = warning or worse, 3 = errors (Severity/labels accepted)."""
        self.beginFilterChange()
        self._min_sev = int(severity) if isinstance(severity, int) else SEV_INT.get(severity.lower(), 0)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_rule(self, rule: str | None) -> None:
        self.beginFilterChange()
        self._rule = rule or ""
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_ignored_only(self, on: bool) -> None:
        self.beginFilterChange()
        self._ignored_only = bool(on)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_problems_only(self, on: bool) -> None:
        """Only events with a warning or an error, or that Adobe ignores."""
        self.beginFilterChange()
        self._problems_only = bool(on)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def problems_only(self) -> bool:
        return self._problems_only

    def is_active(self) -> bool:
        return bool(self._text or self._min_sev or self._rule or self._ignored_only or self._problems_only)

    def accepts(self, e: Event) -> bool:
        findings = e.findings
        if self._ignored_only and not e.ignored:
            return False
        if self._problems_only and not (e.ignored or _worst(findings) >= 2):
            return False
        if self._min_sev and _worst(findings) < self._min_sev:
            return False
        if self._rule and not any(f.rule == self._rule for f in findings):
            return False
        return not (self._text and self._text not in event_search_text(e))

    def setSourceModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802
        old = self.sourceModel()
        if old is not None:
            try:
                old.modelAboutToBeReset.disconnect(self._clear_cache)
            except (RuntimeError, TypeError):
                pass
        self._cache = []
        super().setSourceModel(model)
        if model is not None:
            model.modelAboutToBeReset.connect(self._clear_cache)

    def _clear_cache(self) -> None:
        self._cache = []

    def endFilterChange(  # noqa: N802
            self, direction: QSortFilterProxyModel.Direction = QSortFilterProxyModel.Direction.Rows) -> None:
        self._cache = []
        super().endFilterChange(direction)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802
        if not self.is_active():
            return True
        cache = self._cache
        if row < len(cache):
            return cache[row]
        model = self.sourceModel()
        if not isinstance(model, EventTableModel):
            return True
        event_at = model.event_at
        # decide every row up to this one in a tight loop: Qt asks row by row, in order
        for r in range(len(cache), row + 1):
            e = event_at(r)
            cache.append(True if e is None else self.accepts(e))
        return cache[row]


# --------------------------------------------------------------------------------------- findings
class FindingsModel(_Batched["Finding"]):
    """Findings (of a session, or transport findings): severity, rule, event, message, consequence."""

    COL_SEVERITY, COL_RULE, COL_EVENT, COL_MESSAGE, COL_CONSEQUENCE = range(5)
    HEADERS = ("Severity", "Rule", "Event", "Message", "Consequence")

    def __init__(self, parent: QObject | None = None, flush_ms: int = FLUSH_MS) -> None:
        super().__init__(parent, flush_ms)
        self._findings: list[Finding] = []

    def set_findings(self, findings: Iterable[Finding]) -> None:
        self.beginResetModel()
        self._timer.stop()
        self.pending.clear()
        self._findings = list(findings)
        self.endResetModel()

    def append_findings(self, findings: Iterable[Finding]) -> None:
        self._queue(findings)

    def sync(self, findings: list[Finding]) -> int:
        """Append the tail of ``findings`` not shown yet (one insert)."""
        have = len(self._findings) + len(self.pending)
        if len(findings) > have:
            self.pending.extend(findings[have:])
        return self.flush()

    def flush(self) -> int:
        self._timer.stop()
        added = self.pending
        self.pending = []
        if added:
            n = len(self._findings)
            self.beginInsertRows(ROOT, n, n + len(added) - 1)
            self._findings.extend(added)
            self.endInsertRows()
        return len(added)

    def finding_at(self, row: int) -> Finding | None:
        return self._findings[row] if 0 <= row < len(self._findings) else None

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._findings)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        f = self.finding_at(index.row())
        if f is None:
            return None
        col = index.column()
        label = f.severity.label
        if role == DISPLAY:
            values = (label, f.rule, f.event, f.message, f.consequence or "")
            v = values[col] if 0 <= col < len(values) else None
            return "" if v is None else str(v)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f.message
        if role == OBJECT_ROLE:
            return f
        if role == SORT_ROLE:
            if col == self.COL_SEVERITY:
                return SEV_INT.get(label, 0)
            if col == self.COL_EVENT:
                return f.event if f.event is not None else -1
            return self.data(index) or ""
        if role == SEVERITY_ROLE:
            return SEV_INT.get(label, 0)
        if role == IGNORED_ROLE:
            return f.ignored
        if role == Qt.ItemDataRole.BackgroundRole:
            return style.qcolor(style.SEVERITY_BG[label])
        if role == Qt.ItemDataRole.ForegroundRole and col == self.COL_SEVERITY:
            return style.qcolor(style.SEVERITY_FG[label])
        return None

