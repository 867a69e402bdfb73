"""Every session and finding of the JSON report says its protocol (architecture.md: ``protocol: rest|edge``)."""

from __future__ import annotations

from mcscope.core.session import Analyzer
from mcscope.io.report import build_report
from tests.builder import clean_vod
from tests.edge_builder import EdgeCapture, edge_vod


def test_rest_and_edge_sessions_and_findings_carry_their_protocol():
    an = Analyzer()
    for ex in clean_vod().exchanges + edge_vod(EdgeCapture(t0=1_700_000_500_000)).exchanges:
        an.feed(ex)
    bad = EdgeCapture()
    bad.post(bad.url("/va/v1/play"), None, raw=b"{oops")  # a transport finding of an Edge exchange
    for ex in bad.exchanges:
        an.feed(ex)
    an.finish()
    report = build_report(an)
    assert sorted(s["protocol"] for s in report["sessions"]) == ["edge", "rest"]
    for s in report["sessions"]:
        assert all(f["protocol"] == s["protocol"] for f in s["findings"])
    assert [(f["rule"], f["protocol"]) for f in report["findings"]] == [("body-not-json", "edge")]
