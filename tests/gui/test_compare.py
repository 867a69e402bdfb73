"""The compare view in the window: real scripted sessions (mcscope.sim) fed through the Analyzer, one event
dropped in one of them; side by side on one axis, the difference marked in both timelines and the table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mcscope.core.compare import compare_sessions
from mcscope.core.session import Analyzer, Session
from mcscope.gui import compare
from mcscope.gui.window import MainWindow
from mcscope.sim.simulate import simulate_offline
from tests.gui.test_window import messages, open_and_wait, window  # noqa: F401 (fixtures)
from tests.io.test_redact import journal_text

SCENARIO = "vod-preroll-midroll"
LATER = 1_767_225_600_000 + 7 * 86_400_000
DROPPED = 40


def analyzed(exchanges: list[Any]) -> Session:
    an = Analyzer()
    for ex in exchanges:
        an.feed(ex)
    an.finish()
    assert len(an.sessions) == 1
    return an.sessions[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    dropped = simulate_offline(SCENARIO, t0_ms=LATER)
    del dropped[DROPPED]
    out = {"reference": simulate_offline(SCENARIO), "dropped": dropped,
           "same": simulate_offline(SCENARIO, t0_ms=LATER)}
    paths = {}
    for name, exchanges in out.items():
        paths[name] = tmp_path / f"{name}.ndjson"
        paths[name].write_text(journal_text(exchanges, source="sim"))
    return paths


def test_view_marks_what_differs_in_both_timelines_and_the_table(qtbot: QtBot) -> None:
    a = analyzed(simulate_offline(SCENARIO))
    dropped = simulate_offline(SCENARIO, t0_ms=LATER)
    del dropped[DROPPED]
    b = analyzed(dropped)
    diff = compare_sessions(a, b)
    assert not diff.equivalent
    view = compare.CompareView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.set_diff(diff, "reference", "dropped")
    qtbot.wait(50)
    assert view.timeline_a.view() == view.timeline_b.view()  # one time axis
    differing = [r for r in diff.rows if r.status != "same"]
    assert view.timeline_a.marks() == [(r.a, r.status) for r in differing if r.a is not None]
    assert view.timeline_b.marks() == [(r.b, r.status) for r in differing if r.b is not None]
    assert view.timeline_a.markPositions() and len(view.timeline_a.marks()) >= 1
    assert view.model.rowCount() == len(diff.rows)
    view.only_differences.setChecked(True)
    assert view.model.rowCount() == len(differing)
    assert view.goto_difference(+1)
    n = view.selected_row()
    assert n is not None and diff.rows[n].status != "same"
    status_cell = view.model.index(view.model.shown.index(n), view.model.COL_STATUS)
    assert view.model.data(status_cell) == compare.STATUS[diff.rows[n].status][1]
    assert view.model.data(status_cell, Qt.ItemDataRole.BackgroundRole) is not None
    # zooming one timeline moves the other
    view.timeline_a.zoom(2.0)
    assert view.timeline_a.view() == view.timeline_b.view()
    # a click on an event of B selects its row
    some = next(r for r in diff.rows if r.b is not None and r.status == "same")
    assert view.select_event("b", some.b)
    assert view.selected_row() == diff.rows.index(some)
    assert "Different" in view.title.text() and "row " in view.differences.toPlainText()
    same = compare_sessions(a, analyzed(simulate_offline(SCENARIO, t0_ms=LATER)))  # a shifted clock
    view.set_diff(same, "reference", "same")
    assert same.equivalent and "Equivalent" in view.title.text() and view.timeline_b.marks() == []


def test_window_compares_two_selected_sessions_and_goes_back(qtbot: QtBot, window: MainWindow,  # noqa: F811
                                                             files: dict[str, Path]) -> None:
    assert open_and_wait(qtbot, window, files["reference"], files["dropped"])
    assert window.session_model.rowCount() == 2
    assert window.act_compare.shortcut().toString() == "Ctrl+D" and not window.act_compare_back.isEnabled()
    view = window.sessions_view
    view.selectAll()
    assert len(window.selected_sessions()) == 2
    window.act_compare.trigger()
    assert window.is_comparing() and window.act_compare_back.isEnabled()
    diff = window.compare_view.diff
    assert diff is not None and not diff.equivalent
    assert diff.a.first_ts < diff.b.first_ts  # the earlier capture is the reference
    assert "reference.ndjson" in window.compare_view.label_a.text()
    assert window.goto_problem(+1)  # F8 steps through the differences while comparing
    assert diff.rows[window.compare_view.selected_row()].status != "same"
    window.act_compare_back.trigger()  # Esc
    assert not window.is_comparing() and not window.act_compare_back.isEnabled()
    titles = [t for t, _k in window.shortcut_rows()]
    assert "Compare with…" in titles and "Back to the sessions" in titles
    menu_texts = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "Compare with…" in menu_texts and "Compare with a reference file…" in menu_texts


def test_window_compares_with_a_chosen_session_or_a_reference_file(qtbot: QtBot, window: MainWindow,  # noqa: F811
                                                                   files: dict[str, Path]) -> None:
    assert open_and_wait(qtbot, window, files["dropped"])
    session = window.current_session()
    assert session is not None
    offered: list[Any] = []

    def choose(s: Session, candidates: list[Session], allow_file: bool) -> Any:
        offered.append((s, candidates, allow_file))
        return compare.FILE

    window.choose_partner = choose
    window.ask_reference_file = lambda title: str(files["reference"])
    window.compare_dialog()  # Compare with… -> "Reference file…"
    assert offered and offered[0][0] is session and offered[0][1] == [] and offered[0][2]
    assert window.is_comparing()
    diff = window.compare_view.diff
    assert diff is not None and diff.b is session and diff.a is not session
    assert "reference.ndjson" in window.compare_view.label_a.text() and diff.counts["missing"] >= 1
    window.close_compare()
    window.ask_reference_file = lambda title: str(files["same"])
    window.act_compare_file.trigger()
    assert window.compare_view.diff is not None and window.compare_view.diff.counts["missing"] >= 1
    assert "same.ndjson" in window.compare_view.label_a.text()
    window.close_compare()
    window.ask_reference_file = lambda title: str(files["reference"].with_name("nothing.ndjson"))
    assert not window.compare_with_file(session, str(files["reference"].with_name("nothing.ndjson")))
    assert window.message.shown and not window.is_comparing()  # type: ignore[attr-defined]
