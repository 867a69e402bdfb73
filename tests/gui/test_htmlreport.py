"""gui/htmlreport.py: one self-contained HTML file from the JSON report."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

from mcscope.gui.htmlreport import render_html

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def report() -> dict:
    return {
        "tool": {"name": "mcscope", "version": "9.9"},
        "sources": ["capture.har"],
        "summary": {"sessions": 1, "events": 12, "errors": 1, "warnings": 0, "infos": 1, "ignored_events": 1},
        "sessions": [{
            "sid": "abc123", "key": "abc123", "status": "completed", "events": 12,
            "media": {"id": "m1", "name": "Big <Buck> Bunny", "contentType": "vod", "length": 600},
            "metrics": {"content_time": 590.0, "ad_time": 30.0, "ignored_ad_time": 15.0},
            "findings": [{"rule": "ad-outside-break", "severity": "error", "message": "adStart outside a break",
                          "event": 7, "ignored": True, "consequence": "ad time counted as main content"}],
        }],
        "findings": [{"rule": "unknown-host", "severity": "info", "message": "host example.test"}],
    }


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append(value)


def test_report_is_self_contained_with_the_timeline_inline() -> None:
    html = render_html(report(), {"abc123": PNG})
    parser = _Refs()
    parser.feed(html)
    outside = [r for r in parser.refs if not r.startswith("#")]  # in-page links are fine
    assert outside and all(r.startswith("data:image/png;base64,") for r in outside)
    b64 = outside[0].split(",", 1)[1]
    assert base64.b64decode(b64) == PNG
    assert "<link" not in html and "<script" not in html


def test_summary_findings_metrics_and_escaping() -> None:
    html = render_html(report(), {})
    assert "Big &lt;Buck&gt; Bunny" in html and "<Buck>" not in html
    assert "ad-outside-break" in html and "ignored by Adobe" in html
    assert "ad time counted as main content" in html
    assert "Ignored ad time counted as content" in html
    assert "Findings tied to no session" in html and "unknown-host" in html
    assert re.search(r"<b>12</b>\s*events", html)
    assert "<img" not in html


def test_empty_report() -> None:
    html = render_html({"sessions": [], "summary": {}})
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html


def _multi() -> dict:
    rep = report()
    clean = {"sid": "c" * 64, "key": "c" * 64, "status": "ended", "events": 3, "source": "b.har",
             "media": {"name": "Clean one"}, "findings": [], "first_ts": 1_741_982_400_000,
             "last_ts": 1_741_982_460_000}
    bad = dict(rep["sessions"][0], source="a.har", status="gone")
    bad["findings"] = [dict(bad["findings"][0], event=i, flow=f"f{i}") for i in (7, 9, 12)]
    rep["sessions"] = [clean, bad]
    rep["sources"] = ["a.har", "b.har", "c.har"]
    return rep


def test_summary_table_problems_first_linked_and_grouped_with_body() -> None:
    html = render_html(_multi(), bodies={"f7": b'{"eventType":"adStart","playerTime":{"playhead":3}}'},
                       file_times={"a.har": 1_741_982_000.0})
    table = html[html.index("Sessions (problems first)"):html.index("</table>", html.index("Sessions (problems"))]
    assert table.index("Big &lt;Buck&gt; Bunny") < table.index("Clean one")
    assert 'href="#s2"' in table and 'id="s2"' in html  # linked to its section
    assert "✕ gone" in table and "■ ended" in table  # a glyph as well as a colour
    assert html.count('<details class="g g-error"') == 1  # three findings, one group
    assert "3 times, events 7 to 12" in html
    assert "&quot;eventType&quot;: &quot;adStart&quot;" in html  # the first offending request, pretty-printed
    files = html[html.index("Capture files"):]
    assert "c.har" in files and "no session found" in files and "2025-03-14" in files


def test_sixty_sessions_stay_small() -> None:
    rep = _multi()
    bad = rep["sessions"][1]
    many = []
    for i in range(60):
        s = dict(bad, sid=f"{i:064d}", key=f"{i:064d}")
        s["findings"] = [dict(bad["findings"][0], event=j, flow=f"f{j}") for j in range(90)]
        many.append(s)
    rep["sessions"] = many
    body = b'{"eventType":"adStart","params":{"media.ad.id":"x"}}' * 20
    from mcscope.gui.exporting import IMAGE_BUDGET

    png = b"x" * (IMAGE_BUDGET // 60)  # the window stops adding pictures at its budget
    html = render_html(rep, {f"{i:064d}": png for i in range(60)}, bodies={"f0": body})
    assert len(html.encode()) < 500_000
