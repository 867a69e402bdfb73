"""gui/htmlreport.py: one self-contained HTML file from the JSON report."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

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


# ------------------------------------------------------------------ Media Edge API sessions
def _mixed_html() -> str:
    from mcscope.io.report import build_report, offending_flows
    from tests.gui.sessions import mixed_analyzer, mixed_exchanges

    rep = build_report(mixed_analyzer(), ["mixed.ndjson"])
    wanted = offending_flows(rep)
    bodies = {ex.flow_id: ex.request_body for ex in mixed_exchanges() if ex.flow_id in wanted and ex.request_body}
    return render_html(rep, bodies=bodies)


def _section(html: str, title: str) -> str:
    start = html.index(title, html.index("<h2"))
    start = html.rindex("<h2", 0, start)
    end = html.find("<h2", start + 1)
    return html[start:end if end > 0 else len(html)]


def test_summary_table_has_a_protocol_badge_per_session() -> None:
    html = _mixed_html()
    table = html[html.index("Sessions (problems first)"):html.index("</table>", html.index("Sessions (problems"))]
    assert "<th>Protocol</th>" in table
    rows = table.split("<tr")[2:]  # past the header row
    assert len(rows) == 5
    by_title = {re.search(r'href="#s\d+">([^<]+)<', r).group(1): r for r in rows}  # type: ignore[union-attr]
    for title in ("Edge VOD with pre-roll", "Edge VOD, bad bitrate"):
        assert 'class="proto proto-edge"' in by_title[title] and ">Edge</span>" in by_title[title]
    for title in ("Clean VOD with pre-roll", "Ad outside break"):
        assert 'class="proto proto-rest"' in by_title[title] and ">REST</span>" in by_title[title]
    assert sum('proto-edge"' in r for r in rows) == 3  # the rejected sessionStart too


def test_edge_section_names_its_protocol_and_shows_the_xdm_of_the_first_offending_event() -> None:
    html = _mixed_html()
    edge = _section(html, "Edge VOD, bad bitrate")
    assert edge.startswith('<h2 id="s') and 'proto-edge" title="Media Edge API">Edge</span>' in edge[:300]
    assert "Protocol: <b>Media Edge API</b>" in edge
    assert "XDM of the first offending event (event 3), <code>events[0].xdm</code>" in edge
    shown = edge[edge.index("XDM of the first"):]
    shown = shown[:shown.index("</pre>")]
    assert "&quot;eventType&quot;: &quot;media.bitrateChange&quot;" in shown
    assert "&quot;bitrate&quot;: &quot;3000&quot;" in shown
    assert "konductorConfig" not in shown and "identityMap" not in shown  # the XDM, not the envelope
    rest = _section(html, "Ad outside break")
    assert 'proto-rest" title="REST Media Collection API">REST</span>' in rest[:300]
    assert "Protocol: <b>REST Media Collection API</b>" in rest
    assert "Request body of the first offending event (event 3):" in rest and "XDM of" not in rest
    assert "&quot;eventType&quot;: &quot;adStart&quot;" in rest


def test_edge_bodies_that_are_not_an_envelope_are_shown_as_they_came() -> None:
    rep = report()
    s = rep["sessions"][0]
    s["protocol"] = "edge"
    s["findings"] = [dict(s["findings"][0], flow="f1")]
    for body in (b"not json", b'{"events": 3}', b"[" * 50_000, b'{"events": [{"xdm": []}]}'):
        html = render_html(rep, bodies={"f1": body})
        assert "Request body of the first offending event (event 7):" in html and "XDM of" not in html
    two = {"events": [{"xdm": {"eventType": "media.play"}}, {"xdm": {"eventType": "media.ping"}}]}
    html = render_html(rep, bodies={"f1": json.dumps(two).encode()})
    assert "XDM events of the request of the first offending event (event 7)" in html
    assert "media.play" in html and "media.ping" in html


def test_reports_without_or_with_a_strange_protocol_read_as_rest() -> None:
    rep = report()  # written before Media Edge support: no "protocol"
    html = render_html(rep)
    assert 'proto-rest"' in html and 'proto-edge"' not in html
    rep["sessions"][0]["protocol"] = ["edge"]
    html = render_html(rep)
    assert 'proto-rest"' in html and 'proto-edge"' not in html


def test_window_export_of_a_mixed_capture_includes_the_edge_sessions(tmp_path: Path) -> None:
    from mcscope.gui.dataset import Dataset
    from mcscope.gui.exporting import write_html_report
    from tests.gui.sessions import mixed_exchanges

    ds = Dataset()
    for ex in mixed_exchanges():
        ds.feed(ex)
    ds.finish()
    for redact in (False, True):
        path = tmp_path / f"report-{redact}.html"
        write_html_report(ds, path, redact=redact)
        html = path.read_text(encoding="utf-8")
        assert html.count('<td><span class="proto proto-edge"') == 3
        assert html.count('<td><span class="proto proto-rest"') == 2
        assert "XDM of the first offending event (event 3)" in html and "media.bitrateChange" in html
