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
    assert parser.refs and all(r.startswith("data:image/png;base64,") for r in parser.refs)
    b64 = parser.refs[0].split(",", 1)[1]
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
