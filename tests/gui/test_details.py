"""gui/details.py: the details pane for Media Edge API exchanges (XDM event, problem+json and 207 answers made
readable, the new-session handle), the protocol in the session facts and in copied findings; garbage never
breaks the pane."""

from __future__ import annotations

import dataclasses
import json
import shlex
from typing import Any

import pytest
from PySide6.QtWidgets import QTextBrowser

from mcscope.core.model import Exchange, Severity
from mcscope.core.session import Session
from mcscope.core.state import Event
from mcscope.gui import details
from mcscope.gui.window import curl_command
from tests.edge_builder import CONFIG_ID
from tests.gui.sessions import (
    BITRATE_DETAILS,
    clean_capture,
    edge_clean_capture,
    edge_rejected_capture,
    edge_start_207_capture,
    ignored_ad_capture,
    sid_of,
)


def judged(capture: Any) -> tuple[Session, dict[str, Exchange]]:
    an = capture.analyze()
    assert len(an.sessions) == 1
    return an.sessions[0], {ex.flow_id: ex for ex in capture.exchanges}


def event_of(session: Session, event_type: str) -> Event:
    return next(e for e in session.events if e.event_type == event_type)


def plain(html: str) -> str:
    """The pane's text as a person reads it (rendered by a real QTextBrowser), whitespace collapsed (table cells
    come out one per line)."""
    pane = QTextBrowser()
    pane.setHtml(html)
    return " ".join(pane.toPlainText().split())


# ------------------------------------------------------------------ problem+json, 207, handles
def test_problem_json_answer_lists_each_jsonpath_with_its_reason() -> None:
    s, exchanges = judged(edge_rejected_capture())
    ev = event_of(s, "bitrateChange")
    html = details.event_html(ev, exchanges[ev.flow])
    text = plain(html)
    assert "Response 400 Bad Request" in text
    assert "va-edge-0400-400 Bad Request (status 400)" in text
    assert "Invalid request. Please check your input and try again." in text
    for d in BITRATE_DETAILS:  # one list item per report.details entry: JSONPath, then its reason
        assert f"<li><code>{d['name']}</code>: {d['reason']}</li>" in html
        assert f"{d['name']}: {d['reason']}" in text
    assert "Media Edge API" in text
    # what the Edge refused comes first; the raw answer after the request
    assert text.index("va-edge-0400-400 Bad Request") < text.index("Endpoint") < text.index("Response body")


def test_xdm_event_location_hint_and_config_id_of_the_request() -> None:
    s, exchanges = judged(edge_clean_capture(hint="or2"))
    ev = event_of(s, "bitrateChange")
    text = plain(details.event_html(ev, exchanges[ev.flow]))
    assert "XDM event (events[0].xdm)" in text
    xdm = text[text.index("XDM event"):text.index("Response")]
    assert '"eventType": "media.bitrateChange"' in xdm and '"bitrate": 3000' in xdm
    assert "identityMap" not in xdm  # the envelope is shown apart, after the answer
    assert text.index("Endpoint") < text.index("Response 204") < text.index("Rest of the request body")
    assert "Response body" not in text  # a plain answer: its body right under its status
    assert "Endpoint /va/v1/bitrateChange" in text
    assert "Location hint or2" in text and f"configId {CONFIG_ID}" in text


def test_session_start_answer_shows_new_session_id_and_location_hint_from_a_streamed_body() -> None:
    s, exchanges = judged(edge_clean_capture("edge-1", hint="va6"))
    ev = s.events[0]
    ex = exchanges[ev.flow]
    assert ex.response_body is not None and ex.response_body.startswith(b"\x00")  # streamed records
    html = details.event_html(ev, ex)
    text = plain(html)
    assert f"New session: {sid_of('edge-1')} (event index 0)" in text
    assert "Location hint (EdgeNetwork): va6 for 1800 s" in text
    assert "Location hint none (sent to /ee/)" in text  # the sessionStart itself went to /ee/
    assert "(streamed: 1 record)" in text and '"type": "media-analytics:new-session"' in text
    assert "\x00" not in html and "\\u0000{" not in text


def test_207_multi_status_lists_errors_and_warnings() -> None:
    s, exchanges = judged(edge_start_207_capture())
    ev = s.events[0]
    text = plain(details.event_html(ev, exchanges[ev.flow]))
    assert "Response 207 Multi-Status" in text
    assert "✖ Error va-edge-0400-400 Invalid request (status 400)" in text
    assert "event index 0" in text
    assert "$.xdm.mediaCollection.sessionDetails.name: Missing required field" in text

    warning = {"type": "https://ns.adobe.com/aep/errors/EXEG-0204-200", "status": 200,
               "title": "A timeout occurred", "report": {"details": "upstream slow"}}
    html = details.edge_answer_html(json.dumps({"handle": [], "warnings": [warning]}).encode())
    text = plain(html)
    assert "▲ Warning EXEG-0204-200 A timeout occurred (status 200)" in text and "upstream slow" in text
    assert "✖ Error" not in text


def test_report_details_spellings() -> None:
    """``report.details`` as a list, as a string (path mismatch), the 207 schema's ``report.report``."""
    assert details.report_details({"report": {"details": [{"name": "$.a", "reason": "r"}]}}) == [("$.a", "r")]
    assert details.report_details({"report": {"details": "Returning Not Found"}}) == "Returning Not Found"
    assert details.report_details({"report": {"report": [{"name": "$.b", "reason": "q"}]}}) == [("$.b", "q")]
    assert details.report_details({"report": {"details": [7, None, {"name": {}, "reason": ["x"]}]}}) == [
        ("", "7"), ("", "")]
    assert details.report_details({"report": "x"}) is None and details.report_details({}) is None


# ------------------------------------------------------------------ REST unchanged
def test_rest_event_keeps_the_rest_layout() -> None:
    c = ignored_ad_capture()
    s, exchanges = judged(c)
    ev = event_of(s, "adStart")
    text = plain(details.event_html(ev, exchanges[ev.flow]))
    assert "XDM event" not in text and "Media Edge API" not in text and "Location hint" not in text
    assert '"eventType": "adStart"' in text


# ------------------------------------------------------------------ garbage
GARBAGE_ANSWERS: list[bytes | None] = [
    None, b"", b"\x00", b"\x00\x00{\n", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b"null", b'"text"',
    b"[" * 50_000 + b"]" * 50_000,  # nesting deeper than json can read
    json.dumps({"type": 5, "status": {}, "title": ["x"], "detail": None, "report": []}).encode(),
    json.dumps({"type": "t", "status": 400, "report": {"details": [{"name": None}, "x", 3.5, []]}}).encode(),
    json.dumps({"errors": "oops", "warnings": [1, None, {"report": {"details": 5}}], "handle": {"a": 1}}).encode(),
    json.dumps({"handle": [None, {"type": "media-analytics:new-session", "payload": "x"},
                           {"type": "locationHint:result", "payload": [{"hint": {}}, 5]}, {"type": []}]}).encode(),
    b"\x00" + json.dumps({"errors": [{"type": "https://ns.adobe.com/aep/errors/x"}]}).encode() + b"\n\x00]]\n",
    b"x" * 300_000,
]


@pytest.mark.parametrize("answer", GARBAGE_ANSWERS, ids=range(len(GARBAGE_ANSWERS)))
def test_garbage_answers_never_break_the_pane(answer: bytes | None) -> None:
    s, exchanges = judged(edge_rejected_capture())
    ev = event_of(s, "bitrateChange")
    ex = dataclasses.replace(exchanges[ev.flow], response_body=answer)
    html = details.event_html(ev, ex)
    text = plain(html)
    assert "#3 bitrateChange" in text and "\x00" not in html
    assert len(html) < 4 * details.MAX_BODY_CHARS + 40_000  # huge bodies are clipped


GARBAGE_REQUESTS: list[bytes | None] = [
    None, b"", b"\x00\x01", b"not json", b"[]", b'{"events": 5}', b'{"events": [null, {"xdm": []}]}',
    b"{" * 10_000, b'{"events": [{"xdm": {"eventType": {"x": 1}}}], "meta": []}',
]


@pytest.mark.parametrize("body", GARBAGE_REQUESTS, ids=range(len(GARBAGE_REQUESTS)))
def test_garbage_requests_and_urls_never_break_the_pane(body: bytes | None) -> None:
    s, exchanges = judged(edge_rejected_capture())
    ev = event_of(s, "bitrateChange")
    for url in (exchanges[ev.flow].url, "https://edge.adobedc.net/ee/va/v1/", "::::", ""):
        ex = dataclasses.replace(exchanges[ev.flow], request_body=body, url=url)
        text = plain(details.event_html(ev, ex))
        assert "Request" in text and "Response 400" in text
    assert "XDM event" in plain(details.edge_exchange_html(dataclasses.replace(exchanges[ev.flow], request_body=body),
                                                          ev))  # the event's own XDM, whatever the body


def test_no_exchange_and_no_response() -> None:
    s, exchanges = judged(edge_rejected_capture())
    ev = event_of(s, "bitrateChange")
    assert "not available" in plain(details.event_html(ev, None))
    ex = dataclasses.replace(exchanges[ev.flow], response_status=None, response_body=None, error="reset by peer")
    text = plain(details.event_html(ev, ex))
    assert "No response" in text and "reset by peer" in text


# ------------------------------------------------------------------ session facts, copied findings, cURL
def test_session_facts_name_the_protocol_and_the_location_hint() -> None:
    edge, _ = judged(edge_clean_capture(hint="or2"))
    text = plain(details.session_html(edge))
    assert "Protocol Media Edge API" in text and "Location hint or2" in text
    rest, _ = judged(clean_capture())
    text = plain(details.session_html(rest))
    assert "Protocol REST Media Collection API" in text and "Location hint" not in text


def test_copied_findings_say_media_edge_api_for_edge_findings_only() -> None:
    edge, _ = judged(edge_rejected_capture())
    f = next(f for f in edge.findings if f.rule == "http-rejected")
    assert details.finding_text(f).startswith(f"error http-rejected (Media Edge API, event {f.event}): ")
    assert details.group_text(edge.findings, "qoe-type").startswith("error qoe-type (Media Edge API, 2 times")
    rest, _ = judged(ignored_ad_capture())
    f = next(f for f in rest.findings if f.rule == "ping-interval")
    assert details.finding_text(f).startswith(f"warning ping-interval (event {f.event}): ")
    assert "Media Edge API" not in details.group_text(rest.findings, "ad-outside-break")


def test_copy_as_curl_of_an_edge_call_round_trips() -> None:
    c = edge_rejected_capture()
    s, exchanges = judged(c)
    ex = exchanges[event_of(s, "bitrateChange").flow]
    argv = shlex.split(curl_command(ex))
    assert argv[:4] == ["curl", "-X", "POST", ex.url] and f"configId={CONFIG_ID}" in argv[3]
    assert ex.request_body is not None and argv[argv.index("--data-raw") + 1] == ex.request_body.decode()
    assert "Content-Type: application/json" in argv


# ------------------------------------------------------------------ a rule's default severity per protocol
def test_rule_explanation_shows_the_severity_of_the_sessions_protocol_first() -> None:
    """playhead-negative: a warning on REST, an error on the Media Edge API (media-edge.md §3.2)."""
    edge = plain(details.rule_html("playhead-negative", "edge"))
    assert "✖ error on Edge · REST: ▲ warning" in edge
    rest = plain(details.rule_html("playhead-negative", "rest"))
    assert "▲ warning on REST · Edge: ✖ error" in rest
    both = plain(details.rule_html("playhead-negative"))
    assert "▲ warning on REST · ✖ error on Edge" in both
    assert details.rule_severities("playhead-negative", "edge")[0] == ("edge", Severity.ERROR)


def test_rule_explanation_says_where_a_rule_is_not_judged() -> None:
    assert "not judged on REST · Edge: ✖ error" in plain(details.rule_html("edge-content-type", "rest"))
    assert "✖ error on Edge · not judged on REST" in plain(details.rule_html("edge-content-type", "edge"))
    assert "▲ warning on REST · not judged on Edge" in plain(details.rule_html("content-type"))
    assert "not in the catalogue" in plain(details.rule_html("no-such-rule", "edge"))
    assert details.rule_severities("no-such-rule") == []


def test_session_details_of_a_refused_start_are_headed_by_its_requested_name() -> None:
    s, _ = judged(edge_start_207_capture())
    assert s.status == "rejected" and s.media == {}
    html = details.session_html(s)
    assert html.startswith("<h3>Episode 1</h3>")
    assert f"Session id</td><td><b>{s.key}</b>" in html  # its key still shown as the session's id


# ------------------------------------------------------------------ long lines wrap in the pane
def test_long_json_lines_and_tokens_wrap_instead_of_scrolling_sideways(qtbot: Any) -> None:
    """The details pane at its default width (~300 px): a body with a long line of words and a 3,000-character
    token, and a long cookie header, all fit; the text is unchanged (wrapping is only how it is drawn) and
    bodies stay monospace."""
    token = "QmFzZTY0" * 375
    body = json.dumps({"eventType": "sessionStart", "params": {"media.name": "a long " * 40, "blob": token}})
    ex = Exchange(flow_id="f1", method="POST", url="https://example.hb-api.omtrdc.net/api/v1/sessions?" + "q" * 300,
                  request_headers=[("Cookie", "c=" + "x" * 400)], request_body=body.encode(),
                  response_status=400, response_headers=[], response_body=body.encode(), timestamp_start=1.0)
    s, _ = judged(clean_capture())
    pane = QTextBrowser()
    qtbot.addWidget(pane)
    pane.resize(306, 700)
    pane.show()
    for html in (details.event_html(s.events[0], ex), details.edge_exchange_html(ex), details.exchange_html(ex)):
        pane.setHtml(html)
        qtbot.wait(1)
        assert pane.horizontalScrollBar().maximum() == 0
        assert pane.document().idealWidth() <= pane.viewport().width()
        text = pane.toPlainText()
        assert token in text and '"blob": "' + token in text  # whole, on one logical line
        found = pane.document().find(token[:40])
        assert not found.isNull() and "monospace" in found.charFormat().fontFamilies()
