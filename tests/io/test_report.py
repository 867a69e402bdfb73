from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mcscope.core.model import Finding, Severity
from mcscope.io import report as rpt


@dataclass
class FakeEvent:
    ignored: bool = False


@dataclass
class FakeSession:
    sid: str
    findings: list[Finding]
    events: list[FakeEvent] = field(default_factory=list)
    status: str = "completed"

    def to_report(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "key": self.sid,
            "media": {"id": f"media-{self.sid[:4]}", "name": f"Show {self.sid[:4]}", "contentType": "vod",
                      "length": 60},
            "status": self.status,
            "events": len(self.events),
            "first_ts": 1_741_982_400_000,
            "last_ts": 1_741_982_460_000,
            "metrics": {"content_time": 60, "ad_time": 0, "ignored_ad_time": 0},
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class FakeAnalyzer:
    sessions: list[FakeSession]
    transport_findings: list[Finding] = field(default_factory=list)


def _f(rule: str, sev: Severity, sid: str | None = "s1", **kw: Any) -> Finding:
    return Finding(rule, sev, kw.pop("message", f"{rule} happened"), sid=sid, **kw)


def _analyzer() -> FakeAnalyzer:
    s1 = FakeSession(
        "a" * 64,
        [
            _f("ad-outside-break", Severity.ERROR, "a" * 64, event=5, flow="f5", ts=1_741_982_405_000, ignored=True,
               consequence="ad time counted as main content"),
            _f("ping-interval", Severity.WARNING, "a" * 64, event=9),
            _f("ping-interval", Severity.WARNING, "a" * 64, event=12),
        ],
        [FakeEvent(), FakeEvent(ignored=True), FakeEvent()],
    )
    s2 = FakeSession("b" * 64, [_f("long-gap", Severity.INFO, "b" * 64, message="gap of 75 s | <odd> & chars")],
                     [FakeEvent(), FakeEvent()], status="open")
    return FakeAnalyzer([s1, s2], [_f("unknown-host", Severity.INFO, None)])


def test_build_report_shape() -> None:
    rep = rpt.build_report(_analyzer(), ["capture.har"])
    assert rep["tool"]["name"] == "mcscope" and rep["tool"]["version"]
    assert rep["sources"] == ["capture.har"]
    assert rep["summary"] == {"sessions": 2, "events": 5, "errors": 1, "warnings": 2, "infos": 2,
                              "ignored_events": 1}
    assert [s["sid"] for s in rep["sessions"]] == ["a" * 64, "b" * 64]
    assert rep["sessions"][0]["findings"][0]["rule"] == "ad-outside-break"
    assert rep["sessions"][0]["findings"][0]["ignored"] is True
    assert rep["findings"][0]["rule"] == "unknown-host"
    json.dumps(rep)  # JSON-safe


def test_build_report_per_source() -> None:
    rep = rpt.build_report({"one.har": _analyzer(), "two.mitm": FakeAnalyzer([])})
    assert rep["sources"] == ["one.har", "two.mitm"]
    assert {s["source"] for s in rep["sessions"]} == {"one.har"}
    assert rep["findings"][0]["source"] == "one.har"


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("error", 1), ("warning", 1), ("info", 1), ("never", 0), (Severity.ERROR, 1), (None, 0)],
)
def test_exit_code(fail_on: Any, expected: int) -> None:
    an = _analyzer()
    assert rpt.exit_code(an, fail_on) == expected
    assert rpt.exit_code(rpt.build_report(an), fail_on) == expected


def test_exit_code_thresholds() -> None:
    only_info = FakeAnalyzer([FakeSession("c" * 64, [_f("long-gap", Severity.INFO)])])
    assert rpt.exit_code(only_info, "error") == 0
    assert rpt.exit_code(only_info, "warning") == 0
    assert rpt.exit_code(only_info, "info") == 1
    assert rpt.exit_code(FakeAnalyzer([]), "info") == 0
    with pytest.raises(ValueError):
        rpt.fail_threshold("fatal")


def test_junit() -> None:
    rep = rpt.build_report({"one.har": _analyzer(), "two.mitm": FakeAnalyzer([])})
    root = ET.fromstring(rpt.to_junit(rep, "warning"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["one.har", "two.mitm"]
    cases = suites[0].findall("testcase")
    assert len(cases) == 3  # two sessions + transport (one.har has a transport finding)
    assert suites[0].get("tests") == "3" and suites[0].get("failures") == "3"
    failures = cases[0].findall("failure")
    assert [f.get("type") for f in failures] == ["ad-outside-break", "ping-interval", "ping-interval"]
    assert "ignored by Adobe" in failures[0].text
    assert "event 5" in failures[0].text
    assert cases[1].find("failure") is None
    assert "<odd>" in cases[1].find("system-out").text  # escaped in the XML, intact when parsed
    assert cases[2].get("name").startswith("transport")
    assert suites[1].get("tests") == "1" and suites[1].get("failures") == "0"  # "no session", skipped
    assert suites[1].get("skipped") == "1"
    assert root.get("failures") == "3"


def test_junit_never_has_no_failures() -> None:
    root = ET.fromstring(rpt.to_junit(rpt.build_report(_analyzer(), ["x.har"]), "never"))
    assert root.get("failures") == "0"
    assert root.find(".//failure") is None
    assert "ad-outside-break" in root.find(".//system-out").text


def test_junit_single_analyzer_uses_first_source() -> None:
    root = ET.fromstring(rpt.to_junit(rpt.build_report(_analyzer(), ["cap.ndjson"])))
    assert [s.get("name") for s in root.findall("testsuite")] == ["cap.ndjson"]


def test_markdown() -> None:
    md = rpt.to_markdown(rpt.build_report(_analyzer(), ["capture.har"]), "error")
    assert md.startswith("## mcscope check: ❌ failed (fail on: error)")
    assert "| 2 | 5 | 1 | 2 | 2 | 1 |" in md
    assert "### Sessions" in md and "Show aaaa" in md
    lines = md.splitlines()
    top = lines.index("### Top findings")
    assert "`ad-outside-break`" in lines[top + 4]  # errors first
    assert "| `ping-interval` | warning | REST | 2 |" in md
    assert "gap of 75 s \\| <odd>" in md  # table pipes escaped
    ok = rpt.to_markdown(rpt.build_report(FakeAnalyzer([]), ["empty.har"]), "error")
    assert "✅ passed" in ok and "No findings." in ok


def test_text_summary_colour_only_when_asked() -> None:
    rep = rpt.build_report(_analyzer(), ["capture.har"])
    plain = rpt.to_text(rep, "error")
    assert "\x1b[" not in plain
    assert "FAIL 2 sessions, 5 events: 1 error, 2 warnings, 2 infos, 1 ignored event" in plain
    assert "capture.har: error ad-outside-break (event 5)" in plain and "ignored by Adobe" in plain
    assert "capture.har: warning ping-interval (2 times, events 9 to 12)" in plain  # grouped by rule
    coloured = rpt.to_text(rep, "error", colour=True)
    assert "\x1b[31m" in coloured
    assert "long-gap" not in rpt.to_text(rep, "never", show_info=False)
    assert rpt.to_text(rep, "never").splitlines()[-1].startswith("OK")


def test_text_summary_truncates_long_lists() -> None:
    many = FakeSession("d" * 64, [_f(f"rule-{i % 8}", Severity.WARNING, event=i) for i in range(40)])
    text = rpt.to_text(rpt.build_report(FakeAnalyzer([many])), max_per_session=5)
    assert "… and 3 more rules (15 findings); mcscope check --all lists them all" in text
    assert text.count("warning rule-0 (5 times, events 0 to 32)") == 1
    full = rpt.to_text(rpt.build_report(FakeAnalyzer([many])), max_per_session=None)
    assert "more rules" not in full and "rule-7" in full


def test_group_findings_orders_by_severity_then_first_appearance() -> None:
    fs = [_f("b-warn", Severity.WARNING, event=1), _f("a-info", Severity.INFO, event=2),
          _f("c-err", Severity.ERROR, event=7), _f("b-warn", Severity.WARNING, event=4),
          _f("c-err", Severity.ERROR, event=3)]
    groups = rpt.group_findings(fs)
    assert [(g["rule"], g["count"]) for g in groups] == [("c-err", 2), ("b-warn", 2), ("a-info", 1)]
    assert (groups[0]["first_event"], groups[0]["last_event"]) == (3, 7)
    assert groups[0]["first"].event == 7  # the first reported; first_event is the lowest index
    dicts = rpt.group_findings([f.to_dict() for f in fs])
    assert [g["rule"] for g in dicts] == ["c-err", "b-warn", "a-info"]
    assert rpt.group_where(dicts[1]) == "2 times, events 1 to 4"
    assert rpt.group_where(dicts[2]) == "event 2"


def test_text_summary_names_files_without_sessions() -> None:
    rep = rpt.build_report({"one.har": _analyzer(), "empty.mitm": FakeAnalyzer([])})
    text = rpt.to_text(rep)
    assert "empty.mitm: no Media Collection session found" in text
    finding_lines = [ln for ln in text.splitlines() if ln.startswith("    ")]
    assert finding_lines and all(ln.strip().startswith("one.har: ") for ln in finding_lines)


def test_junit_time_is_the_check_time_and_no_empty_transport_case() -> None:
    quiet = FakeAnalyzer([FakeSession("e" * 64, [_f("long-gap", Severity.INFO)])])
    rep = rpt.build_report({"a.har": quiet, "none.har": FakeAnalyzer([])})
    root = ET.fromstring(rpt.to_junit(rep, "error", times={"a.har": 1.5, "none.har": 0.25}))
    suites = root.findall("testsuite")
    assert suites[0].get("time") == "1.500"
    assert [c.get("name") for c in suites[0].findall("testcase")] == ["session " + "e" * 64 + " (Show eeee)"]
    assert suites[0].find("testcase").get("time") == "1.500"  # not the 60 s of media
    assert suites[1].get("skipped") == "1" and suites[1].find("testcase/skipped") is not None
    assert root.get("time") == "1.750"


def test_markdown_source_column_and_full_sids() -> None:
    md = rpt.to_markdown(rpt.build_report({"one.har": _analyzer()}), "error")
    assert "| Session | Protocol | Source | Media |" in md
    assert "| REST | one.har | Show aaaa |" in md
    assert "<details><summary>Full session ids</summary>" in md and f"- `{'a' * 64}`" in md


def _mixed_report() -> dict:
    from mcscope.core.session import Analyzer
    from tests.builder import clean_vod
    from tests.edge_builder import EdgeCapture, edge_vod

    an = Analyzer()
    bad = EdgeCapture(t0=1_700_000_900_000)
    bad.post(bad.url("/va/v1/play"), None, raw=b"{oops")  # an Edge transport finding
    for ex in clean_vod().exchanges + edge_vod(EdgeCapture(t0=1_700_000_500_000)).exchanges + bad.exchanges:
        an.feed(ex)
    an.finish()
    return rpt.build_report(an, ["mixed.har"])


def test_junit_and_markdown_name_each_sessions_and_findings_protocol() -> None:
    rep = _mixed_report()
    root = ET.fromstring(rpt.to_junit(rep, "error"))
    protocols = {case.get("name"): case.find("properties/property[@name='protocol']")
                 for case in root.iter("testcase")}
    sessions = {c: p.get("value") for c, p in protocols.items() if p is not None}
    assert sorted(sessions.values()) == ["edge", "rest"]
    failure = root.find(".//failure[@type='body-not-json']")
    assert failure is not None and "protocol edge" in failure.text
    md = rpt.to_markdown(rep, "error")
    rows = [line for line in md.splitlines() if line.startswith("| `") and "…` |" in line]
    assert sorted(row.split(" | ")[1] for row in rows) == ["Edge", "REST"]
    assert "| `body-not-json` | error | Edge | 1 |" in md


@pytest.mark.parametrize("kind", ["json", "junit", "markdown"])
def test_written_report_is_exactly_the_rendered_one(tmp_path: Path, kind: str) -> None:
    rep = _mixed_report()
    rep["sources"] = ["caf\udce9.har"]  # a lone surrogate (an undecodable byte in a file name)
    rep["padding"] = ["x" * 1000] * 300  # several pieces of the streamed JSON
    target = tmp_path / "sub" / f"r.{kind}"
    rpt.write_report(kind, rep, target, "error")
    assert target.read_bytes() == rpt.render(kind, rep, "error").encode("utf-8")
    assert not (tmp_path / "sub" / f"r.{kind}.tmp").exists()


def test_a_failed_write_leaves_neither_file_nor_temporary(tmp_path: Path) -> None:
    def pieces() -> Iterator[bytes]:
        yield b"{"
        raise OSError("disk full")

    with pytest.raises(OSError):
        rpt.write_file(tmp_path / "r.json", pieces())
    assert list(tmp_path.iterdir()) == []
