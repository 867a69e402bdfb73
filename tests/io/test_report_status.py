"""io/report.py: every output names a session's status with the core's vocabulary (core/status.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from mcscope.core import status as st
from mcscope.io import report as rpt
from tests.builder import Capture, clean_vod


def _report() -> dict:
    rejected = Capture(sid="r" * 64)
    rejected.start(status=400, resp_body=b'{"message": "media.channel missing"}')
    done = clean_vod(Capture(sid="c" * 64))
    return rpt.build_report({"rejected.har": rejected.analyze(), "done.har": done.analyze()})


def test_json_carries_the_status_ids() -> None:
    statuses = {s["status"] for s in json.loads(rpt.render("json", _report()))["sessions"]}
    assert statuses == {"rejected", "completed"} and statuses <= set(st.STATUSES)


def test_text_and_markdown_print_the_labels() -> None:
    report = _report()
    report["sessions"][1]["status"] = "timed-out"  # a status whose label differs from its id
    text = rpt.to_text(report)
    md = rpt.to_markdown(report)
    for out in (text, md):
        assert "rejected" in out and "timed out" in out and "timed-out" not in out


def test_junit_names_the_status_of_each_session() -> None:
    root = ET.fromstring(rpt.render("junit", _report()))
    props = {case.get("classname"): [p.get("value") for p in case.iter("property") if p.get("name") == "status"]
             for case in root.iter("testcase") if case.find("properties") is not None}
    assert sorted(v for values in props.values() for v in values) == ["completed", "rejected"]
