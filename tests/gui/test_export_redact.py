"""The window's exports with "Redact identifiers": every original value is gone from every redacted file,
the file says it was redacted, and the option is on by default for the HTML report only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from mcscope.gui import dialogs
from mcscope.gui.window import MainWindow
from mcscope.io.capture import read_exchanges
from mcscope.io.redact import NOTE
from tests.gui.test_window import messages, open_and_wait, window  # noqa: F401 (fixtures)
from tests.io.test_redact import identified_capture, journal_text, leaks


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    path = tmp_path / "ids.ndjson"
    path.write_text(journal_text(identified_capture().exchanges, source="test"))
    return path


def exports(win: MainWindow, folder: Path, redact: bool) -> dict[str, str]:
    folder.mkdir(exist_ok=True)
    win.export_html(str(folder / "r.html"), redact)
    win.export_json(str(folder / "r.json"), redact)
    win.save_journal(str(folder / "j.ndjson"), redact)
    return {p.name: p.read_text() for p in folder.iterdir()}


def test_redacted_window_exports_hold_no_original(qtbot: QtBot, window: MainWindow, capture: Path,  # noqa: F811
                                                  tmp_path: Path) -> None:
    assert open_and_wait(qtbot, window, capture)
    plain = exports(window, tmp_path / "plain", False)
    for name, text in plain.items():  # honest: unredacted, each file leaks
        assert leaks(text), name
    assert "Request body of the first offending event" in plain["r.html"]
    safe = exports(window, tmp_path / "safe", True)
    for name, text in safe.items():
        assert leaks(text) == [], name
    assert NOTE in safe["r.html"] and "data:image/png;base64," in safe["r.html"]
    assert "Request body of the first offending event" in safe["r.html"] and "redacted-ecid-1" in safe["r.html"]
    report = json.loads(safe["r.json"])
    assert report["redacted"]["by"] == "mcscope" and report["redacted"]["pseudonyms"]
    assert report["summary"]["sessions"] == window.session_model.rowCount()
    header = json.loads(safe["j.ndjson"].splitlines()[0])
    assert header["redacted"]["note"] == NOTE and header["redacted"]["pseudonyms"]
    assert len(list(read_exchanges(tmp_path / "safe" / "j.ndjson"))) == len(identified_capture().exchanges)


def test_redact_option_defaults(qtbot: QtBot, window: MainWindow, capture: Path, tmp_path: Path) -> None:  # noqa: F811
    """The dialogs offer the option (on for HTML, off for JSON and the journal, none for a PNG) and the
    export follows what the user left ticked."""
    assert open_and_wait(qtbot, window, capture)
    asked: list[tuple[str, bool | None]] = []

    def ask(parent: Any, title: str, start: str, filt: str, redact: bool | None) -> tuple[str, bool]:
        asked.append((title, redact))
        return str(tmp_path / Path(start).name), bool(redact)  # the user keeps the default

    window.ask_save = ask
    window.export_html_dialog()
    window.export_json_dialog()
    window.save_journal_dialog()
    window.export_png_dialog()
    assert asked == [("Export HTML report", True), ("Export JSON report", False), ("Save journal", False),
                     ("Save timeline", None)]
    assert leaks((tmp_path / "mcscope-report.html").read_text()) == []  # redacted by default
    assert leaks((tmp_path / "mcscope-report.json").read_text())
    assert "identifiers redacted" not in window.export_note.text()  # the last one (the PNG)
    window.export_html_dialog()
    assert "identifiers redacted" in window.export_note.text()


def test_save_dialog_has_the_option(qtbot: QtBot, tmp_path: Path) -> None:
    dlg = dialogs.SaveDialog(None, "Export HTML report", str(tmp_path / "r.html"), "HTML (*.html)", True)
    qtbot.addWidget(dlg)
    assert dlg.redact.text() == dialogs.REDACT_TEXT and dlg.redact.isChecked()
    assert dlg.defaultSuffix() == "html"
    off = dialogs.SaveDialog(None, "Save journal", str(tmp_path / "j.ndjson"), "mcscope journal (*.ndjson)", False)
    qtbot.addWidget(off)
    assert not off.redact.isChecked()
