"""Reports and exit code at the end of an analysed capture."""

from __future__ import annotations

import json
from pathlib import Path

from mcscope.core.session import Analyzer
from mcscope.io.flows import flow_to_exchange
from mcscope.live.reports import ReportRequest, write_reports
from tests.live.helpers import session_flows


def _analyzer() -> Analyzer:
    an = Analyzer()
    for f in session_flows():
        an.feed(flow_to_exchange(f))
    an.finish()
    return an


def test_writes_every_report_atomically(tmp_path: Path) -> None:
    outputs = {"json": str(tmp_path / "a" / "r.json"), "junit": str(tmp_path / "r.xml"), "markdown": ""}
    out = write_reports(_analyzer(), ReportRequest(outputs=outputs, fail_on="error", sources=("cap",)))
    assert out.exit_code == 1 and json.loads((tmp_path / "a" / "r.json").read_text()) == out.report
    assert (tmp_path / "r.xml").read_text().startswith("<?xml") and not list(tmp_path.glob("*.tmp"))
    assert write_reports(_analyzer(), ReportRequest(fail_on="never")).exit_code == 0


def test_unwritable_report_gives_exit_code_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = write_reports(_analyzer(), ReportRequest(outputs={"json": str(tmp_path / "file" / "r.json")}))
    assert out.exit_code == 2 and out.report is not None
