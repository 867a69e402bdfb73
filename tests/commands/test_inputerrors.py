"""mcscope/commands/inputerrors.py: Markdown and JUnit reports of a check with input errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mcscope.commands.inputerrors import mark_junit, mark_markdown
from mcscope.io import report as rpt


def _report(*sources: str) -> dict:
    return {"tool": {}, "sources": list(sources), "sessions": [], "findings": [],
            "summary": {"sessions": 0, "events": 0, "errors": 0, "warnings": 0, "infos": 0, "ignored_events": 0}}


def test_no_problems_no_change() -> None:
    md = rpt.to_markdown(_report("a.har"))
    xml = rpt.to_junit(_report("a.har"))
    assert mark_markdown(md, {}) == md and mark_junit(xml, {}, set()) == xml


def test_markdown_verdict_and_list() -> None:
    md = mark_markdown(rpt.to_markdown(_report("a.har", "b|c.har")), {"b|c.har": "b|c.har: empty file"})
    lines = md.splitlines()
    assert lines[0] == "## mcscope check: ⚠️ input error (fail on: error)"
    assert "- b\\|c.har: empty file" in lines


def test_junit_unreadable_and_partial() -> None:
    xml = rpt.to_junit(_report("a.har", "b.har"))
    out = ET.fromstring(mark_junit(xml, {"a.har": "a.har: no such file", "b.har": "b.har: cut"}, {"a.har"}))
    suites = {s.get("name"): s for s in out.iter("testsuite")}
    a, b = suites["a.har"], suites["b.har"]
    assert [c.get("name") for c in a.iter("testcase")] == ["reading the capture"]
    assert (a.get("tests"), a.get("errors"), a.get("skipped")) == ("1", "1", "0")
    # b was read in part: what was read stays (here: its "no session" case), plus the error
    assert [c.get("name") for c in b.iter("testcase")] == ["no session", "reading the capture"]
    assert (b.get("tests"), b.get("errors"), b.get("skipped")) == ("2", "1", "1")
    assert (out.get("tests"), out.get("errors")) == ("3", "2")
