"""Column widths of the window's tables: sized to their content, one column takes what is left, long values are
elided (with the whole value as the cell's tooltip), and nothing scrolls sideways at the window's size.

:class:`ColumnFitter` keeps a table fitted: it measures a sample of the rows when the model resets or grows
and refits when the view is resized. :class:`ElidingDelegate` elides a column's text (right or middle) and
shows the whole text as the tooltip of a cell that does not show it all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
    QWidget,
)

Index = QModelIndex | QPersistentModelIndex

#: rows measured per refit: the first, the last and an even spread of the rest (a width estimate that stays
#: cheap for 100k-event sessions; a longer value elsewhere is elided and has its tooltip)
SAMPLE_ROWS = 600
#: cell padding (text margins of the common styles) and the room a header's sort arrow takes
PAD = 12
SORT_ARROW = 16


@dataclass
class ColumnSpec:
    """How one column is sized: from ``samples`` and (unless ``fixed``) from the rows' text, within
    ``[minimum, maximum]``. A column with ``minimum`` below its natural width gives way first when room is short."""

    samples: tuple[str, ...] = ()
    fixed: int | None = None  # a width regardless of content (an icon column)
    minimum: int | None = None  # None: never narrower than its content
    maximum: int = 260
    measure: bool = True  # measure the rows' text (False: samples and header only)


#: the stretch column is measured only to know when it needs less than its minimum
STRETCH_SPEC = ColumnSpec(maximum=100_000)


def sample_rows(count: int, limit: int = SAMPLE_ROWS) -> list[int]:
    """Up to ``limit`` row numbers of ``count``: the first and last ones and an even spread in between."""
    if count <= limit:
        return list(range(count))
    edge = limit // 4
    middle = limit - 2 * edge
    step = (count - 2 * edge) / middle
    spread = {edge + int(i * step) for i in range(middle)}
    return sorted(set(range(edge)) | spread | set(range(count - edge, count)))


class ColumnFitter(QObject):
    """Keeps ``view``'s columns fitted (see the module docstring). ``stretch`` is the column that takes the
    rest; it is never narrower than ``stretch_min`` while others can give way."""

    def __init__(self, view: QTableView, specs: dict[int, ColumnSpec], stretch: int, stretch_min: int,
                 default: ColumnSpec | None = None, source: QAbstractItemModel | None = None) -> None:
        super().__init__(view)
        self.view = view
        #: the model measured: the view's, or the one behind its filter (widths do not jump while filtering)
        self.source = source
        self.specs = specs
        self.stretch = stretch
        self.stretch_min = stretch_min
        self.default = default or ColumnSpec()
        self._natural: dict[int, int] = {}
        self._model: QAbstractItemModel | None = None
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(20)
        self._viewport = view.viewport()
        self._viewport.installEventFilter(self)
        self.watch(source or view.model())

    def watch(self, model: QAbstractItemModel | None) -> None:
        """Refit when ``model`` (the view's model) resets, changes its layout or gets rows."""
        if model is None or model is self._model:
            return
        self._model = model
        model.modelReset.connect(self.remeasure)
        model.layoutChanged.connect(self.remeasure)
        model.rowsInserted.connect(self._rows_inserted)

    # -- measuring
    def _measured(self) -> QAbstractItemModel:
        return self.source if self.source is not None else self.view.model()

    def _columns(self) -> list[int]:
        model = self.view.model()
        count = model.columnCount() if model is not None else 0
        return [c for c in range(count) if c != self.stretch and not self.view.isColumnHidden(c)]

    def _spec(self, col: int) -> ColumnSpec:
        if col == self.stretch:
            return self.specs.get(col, STRETCH_SPEC)
        return self.specs.get(col, self.default)

    def _text_width(self, col: int, rows: list[int]) -> int:
        model = self._measured()
        fm = self.view.fontMetrics()
        seen: dict[str, int] = {}
        widest = 0
        for row in rows:
            value = model.data(model.index(row, col), Qt.ItemDataRole.DisplayRole)
            if value is None:
                continue
            text = str(value)
            if text not in seen:
                seen[text] = fm.horizontalAdvance(text)
                widest = max(widest, seen[text])
        return widest

    def _header_width(self, col: int) -> int:
        model = self.view.model()
        head = str(model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
        extra = SORT_ARROW if self.view.isSortingEnabled() else 0
        return self.view.horizontalHeader().fontMetrics().horizontalAdvance(head) + PAD + extra

    def _decoration_width(self, col: int, row: int) -> int:
        """Room a cell's icon or badge takes (the session list's protocol badge, the status icon)."""
        model = self._measured()
        deco = model.data(model.index(row, col), Qt.ItemDataRole.DecorationRole)
        if deco is None:
            return 0
        size = getattr(deco, "deviceIndependentSize", None)
        if callable(size):  # a pixmap is drawn at its own size
            return int(size().width()) + 4
        return self.view.iconSize().width() + 4 if self.view.iconSize().width() > 0 else 20

    def _measure(self, col: int, rows: list[int], previous: int = 0) -> int:
        spec = self._spec(col)
        if spec.fixed is not None:
            return spec.fixed
        fm = self.view.fontMetrics()
        width = max([previous, self._header_width(col)] + [fm.horizontalAdvance(t) + PAD for t in spec.samples])
        if spec.measure and rows:
            width = max(width, self._text_width(col, rows) + PAD + self._decoration_width(col, rows[-1]))
        return min(width, max(spec.maximum, self._header_width(col)))

    def remeasure(self, *args: object) -> None:
        """Measure every column again (a new session or new data) and refit."""
        model = self._measured()
        rows = sample_rows(model.rowCount()) if model is not None else []
        self._natural = {col: self._measure(col, rows) for col in (*self._columns(), self.stretch)}
        self.fit()

    def _rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            return
        rows = [r + first for r in sample_rows(last - first + 1)]
        grown = False
        for col in (*self._columns(), self.stretch):
            before = self._natural.get(col, 0)
            after = self._measure(col, rows, before)
            if after != before:
                self._natural[col] = after
                grown = True
        if grown:
            self.fit()

    # -- fitting
    def natural_width(self, col: int) -> int:
        return self._natural.get(col, 0)

    def fit(self) -> None:
        """Widths for the viewport's width: every column its natural width, the stretch column the rest;
        when that leaves it less than ``stretch_min``, the columns that may give way shrink (widest first)."""
        cols = self._columns()
        for col in cols:
            if col not in self._natural:
                self._natural[col] = self._measure(col, [])
        widths = {c: self._natural[c] for c in cols}
        # the stretch column needs no more than its content: short names leave the room to the others
        room = self.view.viewport().width() - min(self.stretch_min, self._natural.get(self.stretch, self.stretch_min))
        excess = sum(widths.values()) - room
        if excess > 0:
            for c in sorted(cols, key=lambda c: -widths[c]):
                lowest = self._spec(c).minimum
                if lowest is None:
                    continue
                give = min(excess, max(0, widths[c] - max(lowest, self._header_width(c))))
                widths[c] -= give
                excess -= give
                if excess <= 0:
                    break
        header = self.view.horizontalHeader()
        for col, width in widths.items():
            if header.sectionSize(col) != width:
                header.resizeSection(col, width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._viewport and event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def fits_without_scrolling(view: QAbstractItemView) -> bool:
    """True when the view's columns fit its width (no horizontal scroll range)."""
    bar = view.horizontalScrollBar()
    return bar.maximum() == 0


def elide_mode(text: str) -> Qt.TextElideMode:
    """How a name is best shortened: words are read from their start (cut at the end), ids and file names
    differ at both ends (cut in the middle: ``adobe-tl1…repaired.har``, ``d51bc0…360412``)."""
    return Qt.TextElideMode.ElideRight if " " in text.strip() else Qt.TextElideMode.ElideMiddle


class ElidingDelegate(QStyledItemDelegate):
    """Elides a column's text with ``mode`` (None: :func:`elide_mode` per value); a cell that does not show its
    whole text has it as its tooltip, above the model's tooltip."""

    def __init__(self, view: QAbstractItemView, mode: Qt.TextElideMode | None = Qt.TextElideMode.ElideRight,
                 tooltip_of: Callable[[Index], str | None] | None = None) -> None:
        super().__init__(view)
        self.mode = mode
        self.view = view
        self.tooltip_of = tooltip_of

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.textElideMode = self.mode if self.mode is not None else elide_mode(option.text or "")

    def is_elided(self, index: Index) -> bool:
        """The cell at ``index`` is too narrow for its text."""
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not text:
            return False
        option = QStyleOptionViewItem()
        option.initFrom(self.view)
        option.rect = self.view.visualRect(QModelIndex(index))
        self.initStyleOption(option, index)
        widget: QWidget = self.view
        style = widget.style()
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        return option.fontMetrics.horizontalAdvance(str(text)) > rect.width() - 2 * margin

    def tooltip(self, index: Index) -> str | None:
        """The tooltip of the cell at ``index``: its whole text when elided, then the model's tooltip."""
        own = self.tooltip_of(index) if self.tooltip_of is not None else index.data(Qt.ItemDataRole.ToolTipRole)
        if not self.is_elided(index):
            return own or None
        text = str(index.data(Qt.ItemDataRole.DisplayRole))
        if own and str(own).startswith(text):
            return str(own)
        return f"{text}\n\n{own}" if own else text

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem,  # noqa: N802
                  index: Index) -> bool:
        if event is None or event.type() != QEvent.Type.ToolTip or not index.isValid():
            return super().helpEvent(event, view, option, index)
        tip = self.tooltip(index)
        if tip:
            QToolTip.showText(event.globalPos(), tip, view, view.visualRect(QModelIndex(index)))
        else:
            QToolTip.hideText()
        return True


__all__ = ["ColumnFitter", "ColumnSpec", "ElidingDelegate", "elide_mode", "fits_without_scrolling", "sample_rows"]
