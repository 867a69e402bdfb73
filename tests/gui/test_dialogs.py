"""gui/dialogs.py: the rule catalogue shows each rule's default severity on REST and on the Media Edge API."""

from __future__ import annotations

import re

from pytestqt.qtbot import QtBot

from mcscope.core.rules.catalogue import RULES
from mcscope.gui import details, dialogs


def catalogue_rows(page: str) -> dict[str, list[str]]:
    """rule id -> the row's cells as text (tags stripped)."""
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells:
            rows[cells[0]] = cells
    return rows


def test_catalogue_has_a_rest_and_an_edge_column_like_check_rules() -> None:
    page = dialogs.rule_catalogue_html()
    assert re.search(r"<th>Rule</th><th>REST</th><th>Edge</th>", page)
    rows = catalogue_rows(page)
    assert set(rows) == set(RULES)
    for rid, info in RULES.items():
        rest, edge = info.severity_for("rest"), info.severity_for("edge")
        assert rows[rid][1:3] == [rest.label if rest else "—", edge.label if edge else "—"], rid
    # the rules whose defaults differ, and one of each protocol only
    assert rows["playhead-negative"][1:3] == ["warning", "error"]
    assert rows["downloaded-flag-realtime"][1:3] == ["error", "info"]
    assert rows["edge-content-type"][1:3] == ["—", "error"]
    assert rows["content-type"][1:3] == ["warning", "—"]


def worst(rid: str) -> int:
    return max(int(s) for s in (RULES[rid].severity_for("rest"), RULES[rid].severity_for("edge")) if s is not None)


def test_catalogue_puts_rules_that_are_errors_on_either_protocol_first() -> None:
    order = list(catalogue_rows(dialogs.rule_catalogue_html()))
    levels = [worst(rid) for rid in order]
    assert levels == sorted(levels, reverse=True)
    errors = [rid for rid in order if worst(rid) == levels[0]]
    assert "playhead-negative" in errors and "edge-content-type" in errors  # an error on Edge only is an error
    assert "content-type" not in errors


def test_catalogue_search_keeps_both_columns() -> None:
    rows = catalogue_rows(dialogs.rule_catalogue_html("PLAYHEAD-neg"))
    assert list(rows) == ["playhead-negative"]
    assert rows["playhead-negative"][1:3] == ["warning", "error"]
    assert catalogue_rows(dialogs.rule_catalogue_html("no rule says this")) == {}


def test_dialog_explains_a_rule_with_the_sessions_protocol(qtbot: QtBot) -> None:
    dlg = dialogs.RuleCatalogueDialog("playhead-negative", None, details.rule_html("playhead-negative", "edge"))
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.explanation.isVisible()
    text = re.sub(r"<[^>]+>", "", dlg.explanation.text())
    assert text.index("error on Edge") < text.index("REST: ▲ warning")
    dlg.search.setText("edge-content")
    table = dlg.browser.toPlainText()
    assert "edge-content-type" in table and "playhead-negative" not in table
