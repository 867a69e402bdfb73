"""The compare view: two sessions side by side on one time axis, their differences highlighted.

    view = CompareView(parent)
    view.set_diff(compare_sessions(a, b), "A name", "B name")   # mcscope.core.compare.SessionDiff
    view.closed                                                 # signal: the user went back (button, Esc)

Both timelines run on one axis: seconds since each session's first event (a capture whose clock is shifted
lines up), and zooming or panning one moves the other. Every row of :attr:`SessionDiff.rows` that is not
``same`` marks its event in the timeline of its side (a coloured line and band: changed, missing from B,
only in B, moved) and is a coloured row of the aligned event table below; selecting a row shows its events
in both timelines, clicking an event in a timeline selects its row. On the right, every difference in words
(rows, findings, what Adobe will count, status). No data is kept here that the diff does not hold.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mcscope.core.compare import SessionDiff, change_text
from mcscope.gui import style
from mcscope.gui.timeline.primitives import AXIS_H
from mcscope.gui.timeline.widget import TimelineWidget

#: row status -> (colour, what the table says)
STATUS: dict[str, tuple[str, str]] = {
    "same": ("#9e9e9e", "="),
    "changed": ("#e08a00", "≠ changed"),
    "missing": ("#c62828", "− missing in B"),
    "extra": ("#1565c0", "+ only in B"),
    "reordered": ("#7b1fa2", "↕ moved"),
}
DIFFERENT = ("changed", "missing", "extra", "reordered")


def _s(ms: float | None) -> str:
    return "" if ms is None else f"{ms / 1000:,.1f}"


def _ph(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def row_text(diff: SessionDiff, n: int) -> str:
    """What differs in row ``n`` of ``diff`` (empty when nothing does)."""
    row = diff.rows[n]
    parts = [change_text(c) for c in row.changes]
    if row.status == "missing":
        parts.insert(0, "not in B")
    elif row.status == "extra":
        parts.insert(0, "not in A")
    elif row.status == "reordered" and row.partner is not None:
        other = diff.rows[row.partner]
        where = f"B event {other.b}" if row.b is None else f"A event {other.a}"
        parts.insert(0, f"moved (see {where}, row {row.partner + 1})")
    return "; ".join(parts)


class DiffTimeline(TimelineWidget):
    """A session timeline with the events of differing rows marked (``marks``: (event index, status))."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._marks: list[tuple[int, str]] = []
        self.setMinimumHeight(180)

    def setMarks(self, marks: list[tuple[int, str]]) -> None:  # noqa: N802
        self._marks = list(marks)
        self.update()

    def marks(self) -> list[tuple[int, str]]:
        return list(self._marks)

    def markPositions(self) -> list[tuple[int, str, float]]:  # noqa: N802
        """(event, status, x) of the marks inside the plot (what is drawn)."""
        out = []
        r = self.plotRect()
        for index, status in self._marks:
            t = self.eventTime(index)
            if t is None:
                continue
            x = self.xAt(t)
            if r.left() - 3 <= x <= r.right() + 3:
                out.append((index, status, x))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._marks or self.session() is None:
            return
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            r = self.plotRect()
            for _index, status, x in self.markPositions():
                color = QColor(STATUS.get(status, STATUS["changed"])[0])
                band = QColor(color)
                band.setAlpha(38)
                p.fillRect(QRectF(x - 4, r.top(), 8, r.height()), band)
                p.setPen(QPen(color, 1.5))
                p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QBrush(color))
                p.drawPolygon(QPolygonF([QPointF(x - 5, AXIS_H - 9), QPointF(x + 5, AXIS_H - 9),
                                         QPointF(x, AXIS_H - 1)]))
        finally:
            p.end()


class DiffTableModel(QAbstractTableModel):
    """The aligned event table: one line per row of the diff (or per differing row)."""

    COLUMNS = ("A #", "A s", "A event", "A playhead", "", "B #", "B s", "B event", "B playhead", "What differs")
    COL_A, COL_TA, COL_EA, COL_PA, COL_STATUS, COL_B, COL_TB, COL_EB, COL_PB, COL_TEXT = range(10)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.diff: SessionDiff | None = None
        self.shown: list[int] = []  # indexes into diff.rows

    def set_diff(self, diff: SessionDiff | None, only_differences: bool = False) -> None:
        self.beginResetModel()
        self.diff = diff
        rows = diff.rows if diff is not None else []
        self.shown = [n for n, r in enumerate(rows) if not only_differences or r.status != "same"]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole  # noqa: N802
                   ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def diff_row(self, table_row: int) -> int | None:
        return self.shown[table_row] if 0 <= table_row < len(self.shown) else None

    def table_row_of(self, side: str, event_index: int) -> int:
        """The table row showing event ``event_index`` of side "a" or "b" (-1: none shown)."""
        if self.diff is None:
            return -1
        for t, n in enumerate(self.shown):
            if getattr(self.diff.rows[n], side) == event_index:
                return t
        return -1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        n = self.diff_row(index.row())
        if self.diff is None or n is None:
            return None
        row = self.diff.rows[n]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            a, b = row.a is not None, row.b is not None
            values = {
                self.COL_A: row.a if a else "", self.COL_TA: _s(row.t_a) if a else "",
                self.COL_EA: row.event_type if a else "", self.COL_PA: _ph(row.playhead_a) if a else "",
                self.COL_STATUS: STATUS.get(row.status, ("", row.status))[1],
                self.COL_B: row.b if b else "", self.COL_TB: _s(row.t_b) if b else "",
                self.COL_EB: row.event_type if b else "", self.COL_PB: _ph(row.playhead_b) if b else "",
                self.COL_TEXT: row_text(self.diff, n),
            }
            return values.get(col)
        if role == Qt.ItemDataRole.ToolTipRole and col in (self.COL_TEXT, self.COL_STATUS):
            return row_text(self.diff, n) or "the same in both sessions"
        if role == Qt.ItemDataRole.BackgroundRole and row.status != "same":
            return QBrush(_tint(STATUS[row.status][0]))
        if role == Qt.ItemDataRole.ForegroundRole and col == self.COL_STATUS:
            return QBrush(QColor(STATUS.get(row.status, STATUS["same"])[0]))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.COL_A, self.COL_TA, self.COL_PA, self.COL_B,
                                                                 self.COL_TB, self.COL_PB):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _tint(hex_color: str) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(70 if style.dark else 45)
    return c


def summary_text(diff: SessionDiff) -> str:
    counts = diff.counts
    if diff.equivalent:
        return "Equivalent under the tolerances"
    parts = [f"{counts[s]:,} {STATUS[s][1].split(' ', 1)[-1]}" for s in DIFFERENT if counts.get(s)]
    if diff.findings:
        parts.append(f"{len(diff.findings)} finding rule(s) differ")
    if diff.metrics_different:
        parts.append(f"{len(diff.metrics_different)} metric(s) differ")
    if diff.status_a != diff.status_b:
        parts.append("status differs")
    return "Different: " + ", ".join(parts)


def differences_html(diff: SessionDiff, a_name: str, b_name: str) -> str:
    items = diff.differences("A", "B")
    head = (f"<p><b>A</b> (reference): {html.escape(a_name)}<br><b>B</b>: {html.escape(b_name)}</p>"
            f"<p><b>{html.escape(summary_text(diff))}</b> "
            f"<span style='color:#757575'>(playhead ±{diff.tolerances.playhead:g} s, timing "
            f"±{diff.tolerances.timing:g} s)</span></p>")
    if not items:
        return head + "<p>No differences.</p>"
    lis = []
    for d in items:
        color = STATUS.get(d.kind, ("#616161", ""))[0]
        link = f"<a href='row:{d.row}'>row {d.row + 1}</a>: " if d.row is not None else ""
        lis.append(f"<li><span style='color:{color}'>■</span> {link}{html.escape(d.text)}</li>")
    return head + "<ol style='margin-left:-20px'>" + "".join(lis) + "</ol>"


class CompareView(QWidget):
    """Two sessions on one time axis with their differences (see the module docstring)."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diff: SessionDiff | None = None
        self._syncing = False
        self.back = QPushButton("← Back to the sessions", self)
        self.back.setToolTip("Leave the comparison (Esc)")
        self.back.clicked.connect(self.closed.emit)
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label_a = QLabel(self)
        self.label_b = QLabel(self)
        for label in (self.label_a, self.label_b):
            label.setTextFormat(Qt.TextFormat.RichText)
        self.timeline_a = DiffTimeline(self)
        self.timeline_b = DiffTimeline(self)
        self.timeline_a.viewChanged.connect(lambda *_: self._sync(self.timeline_a, self.timeline_b))
        self.timeline_b.viewChanged.connect(lambda *_: self._sync(self.timeline_b, self.timeline_a))
        self.timeline_a.eventClicked.connect(lambda _key, i: self.select_event("a", i))
        self.timeline_b.eventClicked.connect(lambda _key, i: self.select_event("b", i))

        self.model = DiffTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        for col, width in ((0, 40), (1, 56), (2, 110), (3, 84), (4, 110), (5, 40), (6, 56), (7, 110), (8, 84)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.only_differences = QCheckBox("Only differences", self)
        self.only_differences.toggled.connect(lambda _on: self._fill_table())
        self.count = QLabel(self)

        self.differences = QTextBrowser(self)
        self.differences.setOpenLinks(False)
        self.differences.anchorClicked.connect(self._on_link)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.back)
        top.addWidget(self.title, 1)
        timelines = QWidget(self)
        t_lay = QVBoxLayout(timelines)
        t_lay.setContentsMargins(0, 0, 0, 0)
        t_lay.setSpacing(2)
        for w in (self.label_a, self.timeline_a, self.label_b, self.timeline_b):
            t_lay.addWidget(w, 1 if isinstance(w, TimelineWidget) else 0)
        table_box = QWidget(self)
        tb_lay = QVBoxLayout(table_box)
        tb_lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Aligned events</b>", self))
        row.addStretch(1)
        row.addWidget(self.count)
        row.addWidget(self.only_differences)
        tb_lay.addLayout(row)
        tb_lay.addWidget(self.table)
        self.centre_split = QSplitter(Qt.Orientation.Vertical, self)
        self.centre_split.addWidget(timelines)
        self.centre_split.addWidget(table_box)
        self.centre_split.setSizes([520, 300])
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.addWidget(self.centre_split)
        self.split.addWidget(self.differences)
        self.split.setStretchFactor(0, 4)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([1000, 330])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.split, 1)

    # ---------------------------------------------------------------- content
    def set_diff(self, diff: SessionDiff, a_name: str, b_name: str) -> None:
        self.diff = diff
        self.a_name, self.b_name = a_name, b_name
        verdict = summary_text(diff)
        colour = "#2e7d32" if diff.equivalent else STATUS["missing"][0]
        self.title.setText(f"<b>Compare</b> &nbsp;A: {html.escape(a_name)} &nbsp;·&nbsp; B: {html.escape(b_name)}"
                           f" &nbsp; <b style='color:{colour}'>{html.escape(verdict)}</b>")
        self.label_a.setText(f"<b>A</b> (reference) — {html.escape(a_name)} · {diff.a.event_count:,} events")
        self.label_b.setText(f"<b>B</b> — {html.escape(b_name)} · {diff.b.event_count:,} events")
        self.timeline_a.setSession(diff.a)  # type: ignore[arg-type]
        self.timeline_b.setSession(diff.b)  # type: ignore[arg-type]
        self.timeline_a.setMarks([(r.a, r.status) for r in diff.rows if r.status != "same" and r.a is not None])
        self.timeline_b.setMarks([(r.b, r.status) for r in diff.rows if r.status != "same" and r.b is not None])
        self.fit()
        self.only_differences.blockSignals(True)
        self.only_differences.setChecked(False)
        self.only_differences.blockSignals(False)
        self._fill_table()
        self.differences.setHtml(differences_html(diff, a_name, b_name))

    def fit(self) -> None:
        """Both sessions in view, on one axis."""
        a0, a1 = self.timeline_a.dataRange()
        b0, b1 = self.timeline_b.dataRange()
        lo, hi = min(a0, b0), max(a1, b1)
        pad = (hi - lo) * 0.04
        self._syncing = True
        try:
            self.timeline_a.setView(lo - pad, hi + pad)
            self.timeline_b.setView(lo - pad, hi + pad)
        finally:
            self._syncing = False

    def _sync(self, source: TimelineWidget, target: TimelineWidget) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            target.setView(*source.view())
        finally:
            self._syncing = False

    def _fill_table(self) -> None:
        self.model.set_diff(self.diff, self.only_differences.isChecked())
        total = len(self.diff.rows) if self.diff is not None else 0
        self.count.setText(f"{self.model.rowCount():,} of {total:,} rows")

    # ---------------------------------------------------------------- selection
    def selected_row(self) -> int | None:
        """The diff row selected in the table (index into ``diff.rows``)."""
        idx = self.table.selectionModel().currentIndex()
        return self.model.diff_row(idx.row()) if idx.isValid() else None

    def select_row(self, n: int) -> bool:
        """Select diff row ``n`` (the "only differences" filter is cleared when it hides it)."""
        if self.diff is None or not 0 <= n < len(self.diff.rows):
            return False
        if n not in self.model.shown:
            self.only_differences.setChecked(False)
        t = self.model.shown.index(n)
        index = self.model.index(t, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def select_event(self, side: str, index: int) -> bool:
        """Select the table row of event ``index`` of side "a" or "b"."""
        if self.diff is None:
            return False
        for n, row in enumerate(self.diff.rows):
            if getattr(row, side) == index:
                return self.select_row(n)
        return False

    def goto_difference(self, step: int) -> bool:
        """Select the next (1) or previous (-1) differing row after the selected one."""
        if self.diff is None:
            return False
        rows = self.diff.rows
        current = self.selected_row()
        n = (-1 if step > 0 else len(rows)) if current is None else current
        n += step
        while 0 <= n < len(rows):
            if rows[n].status != "same":
                return self.select_row(n)
            n += step
        return False

    def _on_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        n = self.model.diff_row(current.row()) if current.isValid() else None
        if self.diff is None or n is None:
            return
        row = self.diff.rows[n]
        for tl, index in ((self.timeline_a, row.a), (self.timeline_b, row.b)):
            t = tl.eventTime(index) if index is not None else None
            x0, x1 = tl.view()
            if index is not None and t is not None and x0 <= t <= x1:
                tl.selectEvent(index)  # in view: the axis stays where it is
            elif index is not None:
                tl.revealEvent(index)
            else:
                tl.selectEvent(-1)  # nothing of this row on that side
        # the timeline moved: the other follows through viewChanged

    def _on_link(self, url: Any) -> None:
        scheme, _, rest = url.toString().partition(":")
        if scheme == "row" and rest.isdigit():
            self.select_row(int(rest))


#: result of choosing what to compare with: a session, FILE (ask for a reference file) or None (cancelled)
FILE = "file"


def session_name(s: Any, source: str = "") -> str:
    """How a session is named in the compare view: media name or id, short sid, file."""
    media = getattr(s, "media", None) or {}
    title = str(media.get("name") or media.get("id") or "session")
    sid = str(getattr(s, "sid", None) or getattr(s, "key", "") or "")
    name = f"{title} ({sid[:8]}…)" if sid else title
    if source:
        from pathlib import Path

        name += f" in {Path(source).name}"
    return name


class ChooseSessionDialog(QDialog):
    """Pick the reference session (A) for ``session``: sessions listed best match first, or a file."""

    def __init__(self, session: Any, candidates: list[Any], names: list[str], parent: QWidget | None = None,
                 allow_file: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare with…")
        self.resize(560, 380)
        self.candidates = candidates
        self.want_file = False
        self.list = QListWidget(self)
        for name in names:
            self.list.addItem(QListWidgetItem(name))
        if candidates:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compare")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(candidates))
        if allow_file:
            file_button = buttons.addButton("Reference file…", QDialogButtonBox.ButtonRole.ActionRole)
            file_button.clicked.connect(self._file)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"Compare <b>{html.escape(session_name(session))}</b> (B) with the reference (A):",
                             self))
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)

    def _file(self) -> None:
        self.want_file = True
        self.accept()

    def chosen(self) -> Any:
        if self.want_file:
            return FILE
        row = self.list.currentRow()
        return self.candidates[row] if 0 <= row < len(self.candidates) else None


def rank_candidates(session: Any, others: list[Any]) -> list[Any]:
    """Other sessions, those of the same media id first (then the list's order)."""
    mid = (getattr(session, "media", None) or {}).get("id")
    same = [s for s in others if mid is not None and (getattr(s, "media", None) or {}).get("id") == mid]
    taken = {id(s) for s in same}
    return same + [s for s in others if id(s) not in taken]
