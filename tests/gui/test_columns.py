"""gui/columns.py: which rows size a column, how names are elided, how the room is shared."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTableView

from mcscope.gui.columns import (
    ColumnFitter,
    ColumnSpec,
    ElidingDelegate,
    elide_mode,
    fits_without_scrolling,
    sample_rows,
)


def test_sample_rows_keeps_both_ends_and_a_spread() -> None:
    assert sample_rows(5, 600) == [0, 1, 2, 3, 4]
    rows = sample_rows(100_000, 600)
    assert len(rows) <= 600 and rows == sorted(set(rows))
    assert rows[:3] == [0, 1, 2] and rows[-1] == 99_999 and any(40_000 < r < 60_000 for r in rows)


def test_names_are_cut_at_the_end_ids_and_files_in_the_middle() -> None:
    assert elide_mode("Premier League highlights") == Qt.TextElideMode.ElideRight
    assert elide_mode("d51bc04ee01c66d2438e") == Qt.TextElideMode.ElideMiddle
    assert elide_mode("adobe-tl1-view-to-end-repaired.har") == Qt.TextElideMode.ElideMiddle


def _table(qtbot: Any, rows: list[list[str]], width: int) -> QTableView:
    model = QStandardItemModel(0, 3)
    model.setHorizontalHeaderLabels(["Name", "File", "N"])
    for r in rows:
        model.appendRow([QStandardItem(v) for v in r])
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    view.resize(width, 200)
    view.show()
    return view


def test_the_stretch_column_takes_the_rest_and_others_give_way_when_short(qtbot: Any) -> None:
    rows = [["a media name long enough to want more than its minimum", "a-rather-long-file-name-of-a-capture.har", "12"]]
    view = _table(qtbot, rows, 700)
    fitter = ColumnFitter(view, {1: ColumnSpec(minimum=60, maximum=400), 2: ColumnSpec(samples=("999",))},
                          stretch=0, stretch_min=150)
    fitter.remeasure()
    natural = fitter.natural_width(1)
    assert view.columnWidth(1) == natural and fits_without_scrolling(view)
    view.resize(330, 200)
    qtbot.waitUntil(lambda: view.columnWidth(1) < natural, timeout=2000)
    assert view.columnWidth(0) >= 150 and view.columnWidth(1) >= 60 and fits_without_scrolling(view)
    view.model().appendRow([QStandardItem(v) for v in ("x", "y", "123456789012")])  # a wider count: it grows
    qtbot.waitUntil(lambda: fitter.natural_width(2) > view.fontMetrics().horizontalAdvance("999") + 12, timeout=2000)


def test_an_elided_cell_has_its_whole_text_as_tooltip(qtbot: Any) -> None:
    long = "a very long name that cannot possibly fit into the narrow column it is shown in"
    view = _table(qtbot, [[long, "f.har", "1"], ["short", "g.har", "2"]], 300)
    view.setColumnWidth(0, 80)
    delegate = ElidingDelegate(view, None)
    view.setItemDelegateForColumn(0, delegate)
    model = view.model()
    model.item(1, 0).setToolTip("model tip")
    assert delegate.is_elided(model.index(0, 0)) and delegate.tooltip(model.index(0, 0)) == long
    assert not delegate.is_elided(model.index(1, 0)) and delegate.tooltip(model.index(1, 0)) == "model tip"
    model.item(0, 0).setToolTip("row details")
    assert delegate.tooltip(model.index(0, 0)) == f"{long}\n\nrow details"


def test_short_names_leave_their_room_to_the_other_columns(qtbot: Any) -> None:
    file_name = "a-rather-long-file-name-of-a-capture.har"
    view = _table(qtbot, [["abc", file_name, "1"]], 420)
    fitter = ColumnFitter(view, {1: ColumnSpec(minimum=60, maximum=400)}, stretch=0, stretch_min=200)
    fitter.remeasure()
    assert fitter.natural_width(0) < 200
    assert view.columnWidth(1) == fitter.natural_width(1), "the name column needs less than its minimum"
    view.model().appendRow([QStandardItem(v) for v in ("a much longer media name that wants its room", "f", "2")])
    qtbot.waitUntil(lambda: view.columnWidth(1) < fitter.natural_width(1), timeout=2000)
    assert view.columnWidth(0) >= 200 and fits_without_scrolling(view)
