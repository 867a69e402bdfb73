"""Every rule judged on Media Edge API traffic (rules.md §13 = media-edge.md §3), each both ways, on Edge
captures (tests/edge_builder.py) through the case-table framework."""

from __future__ import annotations

import json

import pytest

from mcscope.core.config import Config
from mcscope.core.model import Severity
from tests.core.rules.edgetable import EdgeTable
from tests.edge_builder import (
    CONFIG_ID,
    SID,
    EdgeCapture,
    ad_details,
    edge_vod,
    new_session_answer,
    problem,
    session_details,
)

E = EdgeTable()


def session(**details: object) -> EdgeCapture:
    c = EdgeCapture()
    c.start(session_details(**details))
    return c


def playing(**details: object) -> EdgeCapture:
    c = session(**details)
    c.ev("play", dt=10)
    return c


def started() -> EdgeCapture:
    c = session()
    c.ev("play", dt=1000)
    return c


def in_break() -> EdgeCapture:
    c = session()
    c.ev("adBreakStart", dt=10, mc={"advertisingPodDetails": {"index": 1, "offset": 0}})
    return c


def in_ad() -> EdgeCapture:
    c = in_break()
    c.ev("adStart", dt=10, mc={"advertisingDetails": ad_details()})
    return c


def closed(c: EdgeCapture) -> EdgeCapture:
    c.ev("sessionComplete", dt=1000)
    return c


# === the clean session: every rule's first near miss ======================================================
CLEAN_QUIET = (
    "http-method", "body-not-json", "body-not-object", "body-not-captured", "edge-content-type",
    "edge-config-id-missing", "edge-unknown-endpoint", "edge-path-event-mismatch", "edge-request-too-large",
    "edge-events-count", "http-rejected", "edge-session-start-failed", "edge-upstream-warning",
    "edge-session-handle-missing", "session-gone", "event-after-gone", "server-error", "edge-rate-limited",
    "no-response", "unknown-host", "edge-location-hint-changed", "edge-consent-ignored", "event-type-unknown",
    "edge-media-collection-missing", "player-time-invalid", "playhead-type", "playhead-negative", "ts-type",
    "edge-session-id-missing", "edge-session-id-key", "edge-session-id-format", "edge-request-id-as-session-id",
    "edge-session-id-on-start", "params-missing", "params-unexpected", "param-type", "edge-enum-value",
    "param-unknown", "custom-metadata-placement", "custom-metadata-format", "qoe-unknown-key", "qoe-type",
    "bitrate-units", "session-start-required", "media-length-nonpositive", "live-length", "content-type-unusual",
    "resume-unflagged", "stream-type", "no-visitor-identity", "customer-ids-format", "no-session-start",
    "event-after-end", "event-after-complete", "session-timeout-idle", "session-timeout-playhead",
    "session-too-old", "session-not-closed", "ts-duplicate", "ts-backwards", "arrival-out-of-order",
    "queued-restamped", "long-gap", "ping-first-late", "ping-interval", "ad-ping-interval", "no-pings",
    "ad-no-pings", "no-content-play", "play-before-preroll", "playhead-moved-while-paused", "stall",
    "no-play-after-ad-break", "redundant-state-event", "playhead-units", "playhead-beyond-length",
    "ad-outside-break", "ad-break-start-params", "ad-start-params", "ad-break-nested", "ad-nested",
    "event-before-first-ad", "playhead-moved-in-break", "pod-second-mismatch", "ad-break-open-at-end",
    "empty-ad-break", "pod-numbering", "gap-between-ads", "chapter-start-params", "chapter-nested",
    "chapter-unopened", "chapter-open-at-end", "chapter-offset-mismatch", "state-params", "state-limit",
    "state-redundant", "state-name-format", "bitrate-missing", "dropped-frames-decrease", "time-to-start-changed",
    "error-not-followed", "edge-media-via-interact", "clock-skew",
)
for _rule in CLEAN_QUIET:
    E.quiet(_rule, "clean Edge VOD")(edge_vod)


# === 3.1 transport ==========================================================================================
@E.fires("http-method", event=None)
def get_on_play():
    c = session()
    c.ev("play", method="GET")
    return c


@E.quiet("http-method", "OPTIONS preflight")
def options_preflight():
    c = session()
    c.post(c.url("/va/v1/play"), None, status=200, method="OPTIONS", raw=b"")
    c.ev("play")
    return c


@E.fires("body-not-json", event=None)
def play_not_json():
    c = session()
    c.ev("play", raw=b"{not json")
    return c


@E.fires("body-not-json", "empty body", event=None)
def play_empty():
    c = session()
    c.ev("play", raw=b"")
    return c


@E.fires("body-not-object", event=None)
def bare_xdm_without_events():
    c = session()
    c.ev("play", raw=json.dumps({"xdm": c.xdm("play")}).encode())
    return c


@E.quiet("body-not-object", "extra meta and request xdm")
def envelope_with_meta():
    c = session()
    c.ev("play")
    return c


@E.fires("body-not-captured", event=None)
def body_not_kept():
    c = session()
    ex = c.ev("play")
    ex.request_body = None
    return c


@E.fires("edge-content-type", event=1)
def form_content_type():
    c = session()
    c.ev("play", headers=[("Content-Type", "application/x-www-form-urlencoded")])
    return c


@E.quiet("edge-content-type", "Web SDK text/plain")
def text_plain():
    c = session()
    c.ev("play", headers=[("Content-Type", "text/plain; charset=UTF-8")])
    return c


@E.fires("edge-config-id-missing", event=1)
def no_config_id():
    c = session()
    ex = c.ev("play")
    ex.url = ex.url.split("?")[0]
    return c


@E.fires("edge-config-id-missing", "invalid datastream answer", event=0)
def invalid_datastream():
    c = EdgeCapture()
    c.start(status=400, resp_body=problem("EXEG-0003-400", title="Invalid datastream ID"))
    return c


@E.quiet("edge-config-id-missing", "configId without requestId")
def config_id_only():
    c = session()
    ex = c.ev("play")
    ex.url = ex.url.split("?")[0] + f"?configId={CONFIG_ID}"
    return c


# --- one problem, one finding: a request fault and the gateway's answer to it (media-edge.md Decisions) --------
def _without_config_id(c: EdgeCapture, **kw: object) -> None:
    ex = c.ev("play", **kw)
    ex.url = ex.url.split("?")[0]


def _form_encoded(c: EdgeCapture, **kw: object) -> None:
    c.ev("play", headers=[("Content-Type", "application/x-www-form-urlencoded")], **kw)


def _too_large(c: EdgeCapture, **kw: object) -> None:
    ex = c.ev("play", **kw)
    body = json.loads(ex.request_body or b"{}")
    body["meta"]["padding"] = "x" * 70000
    ex.request_body = json.dumps(body).encode()


def _not_json(c: EdgeCapture, **kw: object) -> None:
    c.ev("play", raw=b"{not json", **kw)


def _empty(c: EdgeCapture, **kw: object) -> None:
    c.ev("play", raw=b"", **kw)


def _fine(c: EdgeCapture, **kw: object) -> None:
    c.ev("play", **kw)


# (request fault, its rule, the gateway answer to it: code, status)
REQUEST_FAULTS = {
    "config-id": (_without_config_id, "edge-config-id-missing", "EXEG-0002-400", 400),
    "content-type": (_form_encoded, "edge-content-type", "EXEG-0111-415", 415),
    "too-large": (_too_large, "edge-request-too-large", "EXEG-0112-413", 413),
    "not-json": (_not_json, "body-not-json", "EXEG-0101-400", 400),
    "empty-body": (_empty, "body-not-json", "EXEG-0109-408", 408),
}


def _answered(code: str, status: int) -> dict[str, object]:
    return {"status": status, "resp_body": problem(code, status=status, title="Gateway says no")}


def _rule_findings(c: EdgeCapture) -> list[tuple[str, int | None, str]]:
    return [(f.rule, f.event, f.message) for f in c.analyze().all_findings()
            if f.rule in ("http-rejected", "edge-config-id-missing", "edge-content-type", "edge-request-too-large",
                          "body-not-json")]


@pytest.mark.parametrize("fault", sorted(REQUEST_FAULTS))
def test_request_fault_and_its_gateway_answer_are_one_finding(fault: str) -> None:
    build, rule, code, status = REQUEST_FAULTS[fault]
    alone = session()
    build(alone)  # the request alone (answered 204: an offline capture whose answer says nothing)
    found = _rule_findings(alone)
    assert [r for r, _, _ in found] == [rule] and "the Edge answered" not in found[0][2]
    both = session()
    build(both, **_answered(code, status))
    found = _rule_findings(both)
    assert [r for r, _, _ in found] == [rule], found  # not twice, not also http-rejected
    assert f"the Edge answered {status}: {code}" in found[0][2] and "Gateway says no" in found[0][2]
    answer_only = session()
    _fine(answer_only, **_answered(code, status))  # the request looks fine, the Edge knows better
    found = _rule_findings(answer_only)
    assert [r for r, _, _ in found] == [rule] and found[0][2].startswith(f"the Edge answered {status}: {code}")


@pytest.mark.parametrize("fault", ["config-id", "content-type", "too-large"])
def test_the_refused_event_is_dropped_and_changes_no_state(fault: str) -> None:
    build, rule, code, status = REQUEST_FAULTS[fault]
    c = session()
    build(c, **_answered(code, status))
    an = c.analyze()
    play = an.sessions[0].events[1]
    assert play.ignored and code in (play.ignored_reason or "")
    assert an.sessions[0].m["content_start"] == 0  # the refused play started nothing
    assert [f.rule for f in play.findings if f.rule == rule] == [rule]
    accepted = session()
    build(accepted)
    assert accepted.analyze().sessions[0].m["content_start"] == 1


def test_a_refused_session_start_is_one_finding_too() -> None:
    c = EdgeCapture()
    ex = c.start(status=400, resp_body=problem("EXEG-0002-400", title="Missing datastream"))
    ex.url = ex.url.split("?")[0]
    assert [r for r, _, _ in _rule_findings(c)] == ["edge-config-id-missing"]


def test_another_answer_to_a_faulty_request_is_still_its_own_finding() -> None:
    """Two problems: no configId, and a va-edge-0400-400 about the playhead."""
    c = session()
    _without_config_id(c, status=400, resp_body=problem(details=[{
        "name": "$.events[0].xdm.mediaCollection.playhead", "reason": "Missing required field"}]))
    assert sorted(r for r, _, _ in _rule_findings(c)) == ["edge-config-id-missing", "http-rejected"]


@E.fires("edge-unknown-endpoint", event=None)
def unknown_endpoint():
    c = session()
    c.ev("play", path="stateStart")
    return c


@E.quiet("edge-unknown-endpoint", "lower-case path as Adobe's Android tests send")
def lower_case_path():
    c = EdgeCapture()
    c.start(path="sessionstart")
    c.ev("play", path="play")
    return c


@E.fires("edge-path-event-mismatch", event=1)
def play_posted_to_pause():
    c = session()
    c.ev("play", path="pauseStart")
    return c


@E.fires("edge-path-event-mismatch", "the OpenAPI's media.adBreakSkip on /adSkip", event=3)
def ad_break_skip_typo():
    c = in_ad()
    c.ev("adSkip", xdm={**c.xdm("adSkip"), "eventType": "media.adBreakSkip"})
    return c


@E.quiet("edge-path-event-mismatch", "case-insensitive path")
def mismatch_case():
    c = session()
    c.ev("play", path="PLAY")
    return c


@E.fires("edge-request-too-large", event=1)
def huge_body():
    c = session()
    c.ev("play", mc={"qoeDataDetails": {}}, headers=[("Content-Type", "application/json")])
    ex = c.exchanges[-1]
    body = json.loads(ex.request_body or b"{}")
    body["meta"]["padding"] = "x" * 70000
    ex.request_body = json.dumps(body).encode()
    return c


@E.fires("edge-events-count", event=1)
def two_events_in_one_request():
    c = session()
    ex = c.ev("play")
    body = json.loads(ex.request_body or b"{}")
    body["events"].append(body["events"][0])
    ex.request_body = json.dumps(body).encode()
    return c


@E.fires("http-rejected", event=1)
def play_400():
    c = session()
    c.ev("play", status=400, resp_body=problem(details=[{"name": "$.events[0].xdm.mediaCollection.playhead",
                                                           "reason": "Missing required field"}]))
    return c


@E.quiet("http-rejected", "200 for an event")
def play_200():
    c = session()
    c.ev("play", status=200)
    return c


@E.fires("edge-session-start-failed", event=0)
def start_207():
    c = EdgeCapture()
    body = {"requestId": "r", "handle": [], "errors": [{
        "type": "https://ns.adobe.com/aep/errors/va-edge-0400-400", "status": 400, "title": "Invalid request",
        "report": {"eventIndex": 0, "details": [{"name": "$.xdm.mediaCollection.sessionDetails.name",
                                                  "reason": "Missing required field"}]}}]}
    c.start(session_details(name=None), status=207, resp_body=json.dumps(body).encode())
    return c


@E.fires("edge-upstream-warning", event=0)
def start_upstream_warning():
    c = EdgeCapture()
    answer = json.loads(new_session_answer())
    answer["warnings"] = [{"type": "https://ns.adobe.com/aep/errors/EXEG-0204-200", "status": 200,
                           "title": "A timeout occurred"}]
    c.start(status=207, resp_body=json.dumps(answer).encode())
    c.ev("play")
    return c


@E.fires("edge-session-handle-missing", event=0)
def no_handle():
    c = EdgeCapture()
    c.start(resp_body=json.dumps({"requestId": "r", "handle": []}).encode())
    return c


@E.fires("edge-session-handle-missing", "empty sessionId", event=0)
def empty_handle():
    c = EdgeCapture()
    c.start(resp_body=json.dumps({"handle": [{"type": "media-analytics:new-session",
                                              "payload": [{"sessionId": ""}]}]}).encode())
    return c


@E.quiet("edge-session-handle-missing", "streamed answer")
def streamed_handle():
    c = EdgeCapture()
    c.start(streamed=True)
    c.ev("play")
    return c


@E.fires("session-gone", event=1)
def play_404():
    c = session()
    c.ev("play", status=404, resp_body=problem("va-edge-0404-404", 404, "Error processing request. If the "
                                               "session is longer than 24h, please start a new one.", "Not Found"))
    return c


@E.fires("event-after-gone", event=2)
def after_404():
    c = play_404()
    c.ev("ping", dt=10000)
    return c


@E.fires("server-error", event=1)
def play_503():
    c = session()
    c.ev("play", status=503)
    return c


@E.fires("edge-rate-limited", event=1)
def play_429():
    c = session()
    c.ev("play", status=429, resp_headers=[("Retry-After", "5")])
    return c


@E.fires("no-response", event=1)
def play_no_response():
    c = session()
    c.ev("play", status=None, error="connection reset")
    return c


@E.fires("unknown-host", event=0)
def cname_host():
    c = EdgeCapture(host="https://metrics.example.com")
    c.start()
    return c


@E.quiet("unknown-host", "integration host")
def int_host():
    c = EdgeCapture(host="https://edge-int.adobedc.net")
    c.start()
    c.ev("play")
    return c


@E.fires("edge-location-hint-changed", event=1)
def hint_dropped():
    c = EdgeCapture()
    c.start(answer_hint="or2")
    c.ev("play")  # sent without /or2/
    return c


@E.fires("edge-location-hint-changed", "another hint", event=1)
def hint_changed():
    c = EdgeCapture(hint="or2")
    c.start()
    c.ev("play", hint="va6")
    return c


@E.quiet("edge-location-hint-changed", "the returned hint used afterwards")
def hint_followed():
    c = EdgeCapture()
    c.start(answer_hint="or2")
    c.hint = "or2"
    c.ev("play")
    c.ev("ping", dt=10000)
    return c


@E.fires("edge-consent-ignored", event=1)
def consent_missing():
    c = session()
    c.ev("play", status=200, resp_body=json.dumps({"warnings": [{
        "type": "https://ns.adobe.com/aep/errors/EXEG-0301-200", "status": 200,
        "title": "The request was ignored due to lack of user consent"}]}).encode())
    return c


# === 3.2 envelope and types =================================================================================
@E.fires("event-type-unknown", event=1)
def state_start_on_edge():
    c = session()
    c.ev("statesUpdate", xdm={**c.xdm("statesUpdate", mc={"statesStart": [{"name": "mute"}]}),
                              "eventType": "media.stateUpdate"}, path="statesUpdate")
    return c


@E.fires("edge-media-collection-missing", event=0)
def no_media_collection():
    c = session()
    x = c.xdm("play")
    del x["mediaCollection"]
    c.ev("play", xdm=x)
    return c


@E.fires("player-time-invalid", event=1)
def no_playhead():
    c = session()
    x = c.xdm("play")
    del x["mediaCollection"]["playhead"]
    c.ev("play", xdm=x)
    return c


@E.fires("player-time-invalid", "timestamp missing: warning", event=1, severity=Severity.WARNING)
def no_timestamp():
    c = session()
    c.ev("play", timestamp=None)
    return c


@E.fires("playhead-type", event=1)
def float_playhead():
    c = session()
    c.ev("play", xdm=c.xdm("play", playhead=10.5))
    return c


@E.quiet("playhead-type", "10.0 is an integer")
def integral_float_playhead():
    c = session()
    c.ev("play", xdm=c.xdm("play", playhead=0.0))
    return c


@E.fires("playhead-negative", event=1)
def negative_playhead():
    c = session()
    c.ev("play", xdm=c.xdm("play", playhead=-1))
    return c


@E.fires("ts-type", event=1)
def epoch_timestamp():
    c = session()
    c.ev("play", timestamp=1700000001000)
    return c


@E.fires("ts-type", "no offset", event=1)
def timestamp_without_offset():
    c = session()
    c.ev("play", timestamp="2023-11-14T22:13:21.000")
    return c


@E.quiet("ts-type", "+02:00 offset and a .6 fraction")
def timestamp_with_offset():
    c = session()
    c.ev("play", timestamp="2023-11-15T00:13:21.6+02:00")
    return c


@E.fires("clock-skew", event=0)
def skewed_live():
    c = EdgeCapture(live=True)
    c.start(received=c.ts / 1000 + 3600)
    return c


@E.fires("edge-session-id-missing", event=0)
def event_without_sid():
    c = session()
    c.ev("play", sid=None)
    return c


@E.fires("edge-session-id-key", event=1)
def session_id_lower_d():
    c = session()
    c.ev("play", sid=None, mc={"sessionId": SID})
    return c


@E.fires("edge-session-id-format", event=1)
def short_sid():
    c = EdgeCapture(sid="a" * 63)
    c.start()
    c.ev("play")
    return c


@E.fires("edge-request-id-as-session-id", event=0)
def request_id_as_sid():
    c = EdgeCapture()
    c.start(resp_body=new_session_answer(request_id="f" * 64))
    c.ev("play", sid="f" * 64)
    return c


@E.fires("edge-session-id-on-start", event=0)
def sid_on_start():
    c = EdgeCapture()
    c.start(mc={"sessionID": SID})
    return c


@E.fires("params-missing", event=2)
def chapter_without_details():
    c = started()
    c.ev("chapterStart")
    return c


@E.fires("params-missing", "error without source", event=2)
def error_without_source():
    c = started()
    c.ev("error", mc={"errorDetails": {"name": "E1"}})
    return c


@E.fires("params-unexpected", event=3)
def ad_details_on_complete():
    c = in_ad()
    c.ev("adComplete", mc={"advertisingDetails": ad_details()})
    return c


@E.fires("param-type", event=0)
def has_resume_string():
    c = EdgeCapture()
    c.start(session_details(hasResume="true"))
    return c


@E.fires("edge-enum-value", event=0)
def stream_type_tv():
    c = EdgeCapture()
    c.start(session_details(streamType="tv"))
    return c


@E.fires("edge-enum-value", "error source", event=2)
def error_source_server():
    c = started()
    c.ev("error", mc={"errorDetails": {"name": "E1", "source": "server"}})
    return c


@E.fires("param-unknown", event=1)
def chapter_position():
    c = session()
    c.ev("chapterStart", mc={"chapterDetails": {"index": 1, "offset": 0, "length": 30, "position": 1}})
    return c


@E.fires("param-unknown", "reporting field", event=1)
def media_reporting_sent():
    c = session()
    c.ev("play", mc={"mediaReporting": {}})
    return c


@E.fires("custom-metadata-placement", event=1)
def custom_metadata_on_play():
    c = session()
    c.ev("play", mc={"customMetadata": [{"name": "_t.a", "value": "b"}]})
    return c


@E.fires("custom-metadata-placement", "at the xdm root", event=1)
def custom_metadata_at_root():
    c = session()
    c.ev("play", xdm={**c.xdm("play"), "customMetadata": [{"name": "_t.a", "value": "b"}]})
    return c


@E.fires("custom-metadata-format", event=0)
def custom_metadata_number():
    c = EdgeCapture()
    c.start(mc={"customMetadata": [{"name": "_t.a", "value": 1}]})
    return c


@E.quiet("custom-metadata-format", "tenant string values")
def custom_metadata_ok():
    c = EdgeCapture()
    c.start(mc={"customMetadata": [{"name": "_t.a", "value": "1"}]})
    c.ev("play")
    return c


@E.fires("edge-custom-metadata-path", event=0)
def custom_metadata_raw_key():
    c = EdgeCapture()
    c.start(mc={"customMetadata": [{"name": "testKey", "value": "v"}]})
    return c


E.quiet("edge-custom-metadata-path", "tenant path")(custom_metadata_ok)


@E.fires("qoe-unknown-key", event=1)
def qoe_startup_time():
    c = session()
    c.ev("play", mc={"qoeDataDetails": {"startupTime": 2}})
    return c


@E.fires("qoe-type", event=1)
def qoe_bitrate_string():
    c = session()
    c.ev("bitrateChange", mc={"qoeDataDetails": {"bitrate": "3000"}})
    return c


@E.fires("bitrate-units", event=2)
def bitrate_in_bps():
    c = started()
    c.ev("bitrateChange", mc={"qoeDataDetails": {"bitrate": 3_000_000}})
    return c


@E.fires("edge-time-to-start-units", event=1)
def time_to_start():
    c = session()
    c.ev("play", mc={"qoeDataDetails": {"timeToStart": 2}})
    return c


E.quiet("edge-time-to-start-units", "no timeToStart")(edge_vod)


# === 3.3 sessionStart content ===============================================================================
@E.fires("session-start-required", event=0)
def no_channel():
    c = EdgeCapture()
    c.start(session_details(channel=None))
    return c


@E.fires("media-length-nonpositive", event=0)
def zero_length():
    return session(length=0)


@E.fires("live-length", event=0)
def live_length_odd():
    return session(contentType="Live", length=100)


@E.quiet("live-length", "86400")
def live_86400():
    return session(contentType="Live", length=86400)


@E.fires("content-type-unusual", event=0)
def content_type_movie():
    return session(contentType="movie")


@E.quiet("content-type-unusual", "XDM's capitalised VOD")
def content_type_vod():
    return session(contentType="VOD")


@E.fires("resume-unflagged", event=0)
def resume_without_flag():
    c = EdgeCapture()
    c.start(playhead=100)
    return c


@E.quiet("resume-unflagged", "hasResume true")
def resume_flagged():
    c = EdgeCapture()
    c.start(session_details(hasResume=True), playhead=100)
    return c


@E.fires("stream-type", event=0)
def no_stream_type():
    return session(streamType=None)


@E.fires("no-visitor-identity", event=0)
def no_identity():
    c = EdgeCapture()
    c.start(identity=False)
    return c


@E.quiet("no-visitor-identity", "identity state entry")
def identity_state():
    c = EdgeCapture()
    ex = c.start(identity=False)
    body = json.loads(ex.request_body or b"{}")
    body["meta"]["state"] = {"entries": [{"key": "kndctr_ORG_AdobeOrg_identity", "value": "x"}]}
    ex.request_body = json.dumps(body).encode()
    return c


@E.fires("customer-ids-format", event=0)
def identity_without_id():
    c = EdgeCapture()
    c.start(xdm={**c.xdm("sessionStart", 0, {"sessionDetails": session_details()}),
                 "identityMap": {"FPID": [{"authenticatedState": "ambiguous"}]}})
    return c


# === 3.4 lifecycle, ordering, pings, playback, ads, chapters, states, qoe =================================
@E.fires("no-session-start", event=0, severity=Severity.INFO)
def capture_began_mid_session():
    c = EdgeCapture()
    c.ev("ping", dt=0)
    c.ev("ping", dt=10000)
    return c


@E.fires("event-after-end", event=3)
def after_end():
    c = started()
    c.ev("sessionEnd")
    c.ev("ping", dt=10000)
    return c


@E.fires("event-after-complete", event=3)
def after_complete():
    c = started()
    c.ev("sessionComplete")
    c.ev("play")
    return c


@E.fires("session-timeout-idle", event=3)
def idle_timeout():
    c = started()
    c.ev("pauseStart")
    c.ev("play", dt=601_000)
    return c


@E.fires("session-timeout-playhead", event=183)
def playhead_frozen():
    c = started()
    c.ev("pauseStart")
    c.ping_for(1830)
    return c


@E.fires("session-too-old", event=7, config=Config.from_options(tunables={"max_session_age": "60s"}))
def older_than_max_age():
    c = playing()
    c.ping_for(70)
    return c


# --- session-restarted: same sessionDetails.name from the same Edge identity while the first is open ---------
SID_B = "b" * 64


def _edge_restart(first_close: str | None = None, gap: int = 1000, name: str = "episode-1",
                  identity: dict[str, object] | None = None, first_status: int = 200) -> EdgeCapture:
    c = EdgeCapture()
    c.start(status=first_status, resp_body=None if first_status == 200 else problem(details=[]))
    if first_status == 200:
        c.ev("play", dt=1000)
        if first_close:
            c.ev(first_close)
    c.sid = SID_B
    ex = c.start(session_details(name=name), dt=gap)
    if identity is not None:
        body = json.loads(ex.request_body or b"{}")
        del body["xdm"]["identityMap"]
        body.setdefault("meta", {}).update(identity.get("meta", {}))  # type: ignore[arg-type]
        ex.request_body = json.dumps(body).encode()
        ex.request_headers = ex.request_headers + list(identity.get("headers", []))  # type: ignore[arg-type]
    c.ev("play", dt=10)
    c.ev("sessionEnd", dt=1000)
    return c


@E.fires("session-restarted", event=0)
def edge_restart_while_first_open():
    return _edge_restart()


@E.quiet("session-restarted", "first session ended")
def edge_restart_after_session_end():
    return _edge_restart("sessionEnd")


@E.quiet("session-restarted", "first session completed")
def edge_restart_after_session_complete():
    return _edge_restart("sessionComplete")


@E.quiet("session-restarted", "other media")
def edge_other_media_while_first_open():
    return _edge_restart(name="episode-2")


@E.quiet("session-restarted", "first timed out (Mobile SDK restarts after 30 min idle)")
def edge_restart_after_first_timed_out():
    return _edge_restart(gap=10 * 60_000 + 1)


@E.quiet("session-restarted", "first sessionStart refused")
def edge_restart_after_refused_start():
    return _edge_restart(first_status=400)


@E.quiet("session-restarted", "another visitor (kndctr identity cookie)")
def edge_restart_by_another_identity():
    return _edge_restart(identity={"headers": [("Cookie", "kndctr_ORG_AdobeOrg_identity=CiY0OTk5; other=1")]})


def test_edge_restart_is_found_through_the_kndctr_identity_too():
    state = {"meta": {"state": {"entries": [{"key": "kndctr_ORG_AdobeOrg_identity", "value": "CiY0OTk5"}]}}}
    c = _edge_restart(identity=state)
    first = json.loads(c.exchanges[0].request_body or b"{}")
    del first["xdm"]["identityMap"]
    first["meta"].update(state["meta"])
    c.exchanges[0].request_body = json.dumps(first).encode()
    an = c.analyze()
    found = [f for f in an.all_findings() if f.rule == "session-restarted"]
    assert len(found) == 1 and "sessionDetails.name 'episode-1'" in found[0].message
    assert an.sessions[1].client == "ecid:CiY0OTk5"
    # the same two starts with no identity at all: no client to compare, no finding
    for ex in [e for e in c.exchanges if "/sessionStart" in e.url]:
        body = json.loads(ex.request_body or b"{}")
        del body["meta"]["state"]
        ex.request_body = json.dumps(body).encode()
    assert "session-restarted" not in {f.rule for f in c.analyze().all_findings()}


@E.fires("session-not-closed", event=1)
def never_closed():
    return started()


@E.fires("ts-duplicate", event=2)
def same_timestamp():
    c = started()
    c.ev("ping", dt=0)
    return c


@E.fires("ts-backwards", event=2)
def timestamp_back():
    c = started()
    c.ev("ping", dt=-5)
    return c


def _stamped(*stamps: str) -> list[str]:
    """The ts-backwards messages of a started session whose next events carry these timestamps."""
    c = started()
    for stamp in stamps:
        c.ev("bufferStart" if stamp is stamps[0] else "play", timestamp=stamp)
    an = c.analyze()
    return [f.message for f in an.sessions[0].findings if f.rule == "ts-backwards"]


PADDING = "milliseconds without zero padding"


def test_ts_backwards_says_a_short_previous_fraction_may_be_unpadded_milliseconds():
    # Roku style: 6 ms written ".6" (600 ms per ISO 8601), then 100 ms written in full
    messages = _stamped("2023-11-14T22:13:22.6Z", "2023-11-14T22:13:22.100Z")
    assert len(messages) == 1 and PADDING in messages[0] and "the previous timestamp's fraction has 1 digit" in \
        messages[0]


def test_ts_backwards_says_a_short_fraction_of_its_own_may_be_unpadded_milliseconds():
    messages = _stamped("2023-11-14T22:13:22.900Z", "2023-11-14T22:13:22.15Z")
    assert len(messages) == 1 and "this timestamp's fraction has 2 digits" in messages[0]


def test_ts_backwards_without_short_fractions_has_no_padding_hint():
    for stamps in (("2023-11-14T22:13:22.600Z", "2023-11-14T22:13:22.100Z"),
                   ("2023-11-14T22:13:23Z", "2023-11-14T22:13:22.100Z")):  # no fraction is not a short one
        messages = _stamped(*stamps)
        assert len(messages) == 1 and PADDING not in messages[0], stamps


def test_short_fractions_in_order_are_no_finding():
    assert _stamped("2023-11-14T22:13:22.6Z", "2023-11-14T22:13:22.75Z") == []


@E.fires("arrival-out-of-order", event=4)
def late_arrival():
    c = started()
    c.ev("ping", dt=10000)
    c.ev("ping", dt=10000)
    c.ev("ping", dt=-20000)
    return c


@E.fires("queued-restamped", event=3)
def queued_burst():
    c = session()
    for _ in range(5):
        c.ev("ping", dt=1)
    return c


@E.fires("long-gap", event=3)
def one_minute_pause():
    c = started()
    c.ev("pauseStart")
    c.ev("play", dt=61_000)
    return c


@E.fires("ping-first-late", event=2)
def first_ping_late():
    c = playing()
    c.ev("ping", dt=13000)
    return c


@E.fires("ping-interval", event=3)
def ping_gap():
    c = playing()
    c.ev("ping", dt=10000)
    c.ev("ping", dt=13000)
    return c


# --- the session's main ping interval, inferred from its first three main-content ping gaps ----------------
def every(seconds: int, pings: int = 4, first_event: int | None = None) -> EdgeCapture:
    """playing (events 0-1), optionally a bitrateChange ``first_event`` s after the play, then pings every
    ``seconds`` s."""
    c = playing()
    if first_event is not None:
        c.ev("bitrateChange", dt=first_event * 1000, mc={"qoeDataDetails": {"bitrate": 3000}})
    c.ping_for(seconds * pings, every=seconds * 1000)
    return c


@E.quiet("ping-first-late", "pings regular at 15 s")
@E.quiet("ping-interval", "pings regular at 15 s")
def regular_15s():
    return closed(every(15))


@E.quiet("ping-interval", "pings regular at 50 s, the longest a client allows")
def regular_50s():
    return closed(every(50))


@E.fires("ping-interval", "a gap late for the session's 15 s interval", event=6)
def late_for_15s():
    c = every(15)  # pings: events 2-5
    c.ev("ping", dt=17100)
    return c


@E.fires("ping-first-late", "first event late for the session's 15 s interval", event=2)
def first_event_late_for_15s():
    return every(15, first_event=18)


@E.quiet("ping-first-late", "first event on time for the session's 15 s interval")
def first_event_on_time_for_15s():
    return every(15, first_event=16)


@E.fires("ping-first-late", "gaps that disagree: judged at 10 s", event=2)
def gaps_disagree():
    c = playing()
    for gap in (15, 11, 15):
        c.ev("ping", dt=gap * 1000)
    return closed(c)


@E.fires("ping-first-late", "pings every 60 s: beyond 50 s, judged at 10 s", event=2)
def regular_60s():
    return closed(every(60, pings=3))


@E.quiet("ping-first-late", "two agreeing 15 s gaps, then the session closes (CustomPingDuration)")
def two_gaps_then_close():
    return closed(every(15, pings=2))


@E.fires("ping-first-late", "one 15 s gap only: judged at 10 s at the close", event=2)
def one_gap_only():
    return closed(every(15, pings=1))


def _ping_findings(c: EdgeCapture) -> list[tuple[str, int | None, str]]:
    an = c.analyze()
    return [(f.rule, f.event, f.severity.label) for f in an.all_findings() if f.rule.startswith("ping-")]


def test_inferred_interval_is_named_in_the_message():
    an = late_for_15s().analyze()
    found = [f for f in an.all_findings() if f.rule == "ping-interval"]
    assert len(found) == 1 and "due 15 s after" in found[0].message and "this session's first pings" in \
        found[0].message


def test_pings_faster_than_the_inferred_interval_are_reported_once_as_info():
    c = every(15)
    c.ping_for(20, every=10_000)
    assert _ping_findings(c) == [("ping-interval", 6, "info")]


def test_a_session_without_pings_is_judged_at_the_tunable_gap_by_gap():
    c = playing()
    for _ in range(20):  # more late gaps than the learning keeps (MAX_PENDING)
        c.ev("bitrateChange", dt=13_000, mc={"qoeDataDetails": {"bitrate": 3000}})
    found = _ping_findings(closed(c))
    assert found[0] == ("ping-first-late", 2, "warning")
    assert found[1:] == [("ping-interval", n, "warning") for n in range(3, 22)]


def test_the_tunable_stays_the_default_when_no_interval_is_inferred():
    c = closed(every(15, pings=1))
    assert _ping_findings(c) == [("ping-first-late", 2, "warning")]
    quiet = Config.from_options(tunables={"main_ping_interval": 15})
    assert [f.rule for f in c.analyze(quiet).all_findings() if f.rule.startswith("ping-")] == []


def test_an_open_session_is_judged_at_the_end_of_the_capture():
    c = playing()
    c.ev("ping", dt=15_000)
    c.ev("ping", dt=11_000)  # disagrees: 10 s from here on, and the waiting 15 s gap is late
    c.ev("ping", dt=15_000)
    assert [(f.rule, f.event) for f in c.analyze().all_findings() if f.rule.startswith("ping-")] == [
        ("ping-first-late", 2), ("ping-interval", 4)]
    late = every(15, pings=1).analyze()  # never closed: the gap waits until finish()
    assert [(f.rule, f.event) for f in late.all_findings() if f.rule.startswith("ping-")] == [
        ("ping-first-late", 2)]


@E.fires("ad-ping-interval", event=4)
def ad_pings_15s():
    c = in_ad()
    c.ev("ping", dt=10000)
    c.ev("ping", dt=15000)
    return c


@E.quiet("ad-ping-interval", "10 s ad pings, the Edge clients' default (media-edge.md §3.4)")
def ad_pings_10s():
    c = in_ad()
    for _ in range(3):
        c.ev("ping", dt=10000)
    c.ev("adComplete", dt=10000)
    return c


@E.quiet("ad-ping-interval", "5 s ad pings: within the Edge default")
def ad_pings_5s():
    c = in_ad()
    c.ev("ping", dt=1000)
    c.ev("ping", dt=5000)
    return c


E.fires("ad-ping-interval", "5 s ad pings with --set ad_ping_interval=1", event=4,
        config=Config.from_options(tunables={"ad_ping_interval": 1}))(ad_pings_5s)


def test_edge_ad_ping_interval_message_names_the_edge_default() -> None:
    f = next(f for f in ad_pings_15s().analyze().all_findings() if f.rule == "ad-ping-interval")
    assert "15.0 s without a ping" in f.message and "expected every 10 s" in f.message
    c = ad_pings_5s()
    f = next(f for f in c.analyze(Config.from_options(tunables=["ad_ping_interval=2s"])).all_findings()
             if f.rule == "ad-ping-interval")
    assert "recommended every 2 s; up to 10 s is accepted" in f.message
    quiet = Config.from_options(tunables=["ad_ping_interval=20s"])  # --set wins over the Edge default too
    assert "ad-ping-interval" not in {f.rule for f in ad_pings_15s().analyze(quiet).all_findings()}


@E.fires("no-pings", event=2)
def no_pings():
    c = playing()
    c.ev("sessionComplete", dt=30000, playhead=30)
    return c


@E.quiet("no-pings", "20 s of events at most 5 s apart: no ping ever due (media-edge.md §3.4)")
def events_every_5s():
    c = playing()
    for et in ("bufferStart", "play", "bitrateChange", "pauseStart"):
        c.ev(et, dt=5000, playhead=c.playhead + 5, mc={"qoeDataDetails": {"bitrate": 3000}}
             if et == "bitrateChange" else None)
    c.ev("play", dt=10)
    c.ev("sessionComplete", dt=5000, playhead=c.playhead + 5)
    return c


@E.fires("no-pings", "one 15 s gap in a session of short gaps", event=4)
def one_late_gap_without_pings():
    c = playing()
    c.ev("bufferStart", dt=5000, playhead=5)
    c.ev("play", dt=10)
    c.ev("sessionComplete", dt=15000, playhead=20)
    return c


@E.fires("ad-no-pings", event=3)
def ad_without_pings():
    c = in_ad()
    c.ev("adComplete", dt=15000)
    return c


@E.fires("no-content-play", event=1)
def closed_without_play():
    c = session()
    c.ev("sessionEnd")
    return c


@E.fires("play-before-preroll", event=1)
def play_then_preroll():
    c = session()
    c.ev("play", dt=10)
    c.ev("adBreakStart", dt=10, mc={"advertisingPodDetails": {"index": 1, "offset": 0}})
    return c


@E.fires("playhead-moved-while-paused", event=4)
def paused_but_moving():
    c = started()
    c.ev("pauseStart", dt=1000)
    c.ev("ping", dt=10000)
    c.ev("ping", dt=10000, playhead=c.playhead + 10)
    return c


@E.fires("stall", event=4)
def stalled():
    c = started()
    c.ev("ping", dt=10000, playhead=1)
    c.ev("ping", dt=10000, playhead=1)
    c.ev("ping", dt=10000, playhead=1)
    return c


@E.fires("no-play-after-ad-break", event=9)
def no_play_after_break():
    c = started()
    c.ping_for(10)
    c.ad_break(ads=1, ad_seconds=3)
    c.playing = True
    c.ev("ping", dt=10000)
    return c


@E.fires("redundant-state-event", event=3)
def pause_twice():
    c = started()
    c.ev("pauseStart")
    c.ev("pauseStart")
    return c


@E.fires("playhead-units", event=2)
def playhead_in_ms():
    c = started()
    c.ev("ping", dt=10000, playhead=11000)
    c.ev("ping", dt=10000, playhead=21000)
    return c


@E.fires("playhead-beyond-length", event=2)
def beyond_length():
    c = started()
    c.ev("ping", dt=10000, playhead=700)
    return c


@E.fires("ad-outside-break", event=2)
def ad_without_break():
    c = started()
    c.ev("adStart", mc={"advertisingDetails": ad_details()})
    return c


@E.fires("ad-break-start-params", event=1)
def pod_offset_float():
    c = session()
    c.ev("adBreakStart", dt=10, mc={"advertisingPodDetails": {"index": 1, "offset": 0.5}})
    return c


@E.fires("ad-start-params", event=2)
def ad_without_length():
    c = in_break()
    c.ev("adStart", dt=10, mc={"advertisingDetails": ad_details(length=None)})
    return c


@E.fires("ad-start-params", "playerName only: warning", event=2, severity=Severity.WARNING)
def ad_without_player_name():
    c = in_break()
    c.ev("adStart", dt=10, mc={"advertisingDetails": ad_details(playerName=None)})
    return c


@E.fires("ad-break-nested", event=2)
def break_in_break():
    c = in_break()
    c.ev("adBreakStart", dt=10, mc={"advertisingPodDetails": {"index": 2, "offset": 0}})
    return c


@E.fires("ad-nested", event=3)
def ad_in_ad():
    c = in_ad()
    c.ev("adStart", dt=1000, mc={"advertisingDetails": ad_details(2)})
    return c


@E.fires("event-before-first-ad", event=2)
def play_in_break_before_ad():
    c = in_break()
    c.ev("play", dt=10)
    return c


@E.fires("playhead-moved-in-break", event=3)
def playhead_moves_in_break():
    c = in_ad()
    c.ev("ping", dt=1000, playhead=5)
    return c


@E.fires("pod-second-mismatch", event=2)
def pod_offset_wrong():
    c = started()
    c.ev("adBreakStart", dt=10, playhead=1, mc={"advertisingPodDetails": {"index": 1, "offset": 30}})
    return c


@E.fires("ad-break-open-at-end", event=3)
def break_open_at_end():
    c = in_ad()
    c.ev("sessionEnd", dt=1000)
    return c


@E.fires("empty-ad-break", event=2)
def break_without_ad():
    c = in_break()
    c.ev("adBreakComplete", dt=1000)
    return c


@E.fires("pod-numbering", event=1)
def pod_index_zero():
    c = session()
    c.ev("adBreakStart", dt=10, mc={"advertisingPodDetails": {"index": 0, "offset": 0}})
    return c


@E.fires("gap-between-ads", event=5)
def play_between_ads():
    c = in_ad()
    c.ev("ping", dt=1000)
    c.ev("adComplete", dt=1000)
    c.ev("play", dt=10)
    c.ev("adStart", dt=10, mc={"advertisingDetails": ad_details(2)})
    return c


@E.fires("chapter-start-params", event=2)
def chapter_without_index():
    c = started()
    c.ev("chapterStart", mc={"chapterDetails": {"offset": 1, "length": 30}})
    return c


@E.fires("chapter-nested", event=3)
def chapter_in_chapter():
    c = started()
    c.ev("chapterStart", dt=10, mc={"chapterDetails": {"index": 1, "offset": 1, "length": 30}})
    c.ev("chapterStart", dt=10, mc={"chapterDetails": {"index": 2, "offset": 1, "length": 30}})
    return c


@E.fires("chapter-unopened", event=2)
def chapter_complete_unopened():
    c = started()
    c.ev("chapterComplete", dt=10)
    return c


@E.fires("chapter-open-at-end", event=3)
def chapter_open():
    c = started()
    c.ev("chapterStart", dt=10, mc={"chapterDetails": {"index": 1, "offset": 1, "length": 30}})
    c.ev("sessionEnd", dt=1000)
    return c


@E.fires("chapter-offset-mismatch", event=2)
def chapter_offset_wall_clock():
    c = started()
    c.ev("chapterStart", dt=10, mc={"chapterDetails": {"index": 1, "offset": 43, "length": 30}})
    return c


@E.fires("state-params", event=2)
def empty_states_update():
    c = started()
    c.ev("statesUpdate", dt=10, mc={"statesStart": []})
    return c


@E.fires("state-params", "entry without name", event=2)
def states_update_bad_entry():
    c = started()
    c.ev("statesUpdate", dt=10, mc={"statesStart": [{"state": "mute"}]})
    return c


@E.fires("state-limit", event=2)
def eleven_states():
    c = started()
    c.ev("statesUpdate", dt=10, mc={"statesStart": [{"name": f"state{n}"} for n in range(11)]})
    return c


@E.fires("state-redundant", event=3)
def mute_twice():
    c = started()
    c.ev("statesUpdate", dt=10, mc={"statesStart": [{"name": "mute"}]})
    c.ev("statesUpdate", dt=10, mc={"statesStart": [{"name": "mute"}]})
    return c


@E.fires("state-name-format", event=2)
def state_name_space():
    c = started()
    c.ev("statesUpdate", dt=10, mc={"statesStart": [{"name": "full screen"}]})
    return c


@E.fires("bitrate-missing", event=2)
def bitrate_change_without_bitrate():
    c = started()
    c.ev("bitrateChange", dt=10, mc={"qoeDataDetails": {"droppedFrames": 1}})
    return c


@E.fires("dropped-frames-decrease", event=3)
def dropped_frames_down():
    c = started()
    c.ev("ping", dt=10000, mc={"qoeDataDetails": {"droppedFrames": 5}})
    c.ev("ping", dt=10000, mc={"qoeDataDetails": {"droppedFrames": 2}})
    return c


@E.fires("time-to-start-changed", event=3)
def tts_changes():
    c = session()
    c.ev("play", dt=10, mc={"qoeDataDetails": {"timeToStart": 2}})
    c.ev("ping", dt=10000, mc={"qoeDataDetails": {"timeToStart": 2}})
    c.ev("ping", dt=10000, mc={"qoeDataDetails": {"timeToStart": 3}})
    return c


@E.fires("error-not-followed", event=2)
def error_then_nothing():
    c = started()
    c.ev("error", dt=10, mc={"errorDetails": {"name": "E1", "source": "player"}})
    c.ev("sessionComplete", dt=1000)
    return c


@E.quiet("error-not-followed", "error then play")
def error_then_play():
    c = started()
    c.ev("error", dt=10, mc={"errorDetails": {"name": "E1", "source": "player"}})
    c.ev("play", dt=1000)
    return closed(c)


# --- downloaded ------------------------------------------------------------------------------------------
def downloaded_batch(items: list[dict] | None = None, wrapper_type: str = "media.downloaded") -> EdgeCapture:
    c = EdgeCapture()
    if items is None:
        items = []
        for n, et in enumerate(("sessionStart", "play", "ping", "sessionComplete")):
            mc: dict = {"playhead": n * 10}
            if et == "sessionStart":
                mc["sessionDetails"] = session_details()
            items.append({"mediaEventType": f"media.{et}", "mediaEventTimestamp": f"2023-11-14T22:13:{n * 10:02d}Z",
                          "mediaCollection": mc})
    xdm = {"eventType": wrapper_type, "timestamp": "2023-11-14T22:14:00Z", "mediaDownloadedEvents": items}
    c.post(c.url("/va/v1/downloaded"), c.envelope(xdm), status=200)
    return c


@E.fires("downloaded-format", event=0)
def downloaded_first_not_start():
    c = downloaded_batch()
    body = json.loads(c.exchanges[0].request_body or b"{}")
    items = body["events"][0]["xdm"]["mediaDownloadedEvents"]
    items.insert(0, items.pop(1))
    c.exchanges[0].request_body = json.dumps(body).encode()
    return c


@E.quiet("downloaded-format", "a well-formed batch")
def downloaded_ok():
    return downloaded_batch()


@E.fires("downloaded-not-closed", event=2)
def downloaded_unclosed():
    c = downloaded_batch()
    body = json.loads(c.exchanges[0].request_body or b"{}")
    body["events"][0]["xdm"]["mediaDownloadedEvents"].pop()
    c.exchanges[0].request_body = json.dumps(body).encode()
    return c


E.quiet("downloaded-not-closed", "a closed batch")(downloaded_ok)


@E.fires("downloaded-flag-realtime", event=0)
def downloaded_flag_realtime():
    return session(isDownloaded=True)


E.quiet("downloaded-flag-realtime", "flag inside /downloaded")(downloaded_ok)


@E.fires("edge-media-via-interact", event=1)
def ping_via_interact():
    c = EdgeCapture()
    c.interact_start()
    c.post(c.url("/v1/interact"), c.envelope(c.xdm("play")), status=200)
    return c


@E.quiet("edge-media-via-interact", "Web SDK: sessionStart via interact, events via /va/v1")
def web_sdk_session():
    c = EdgeCapture()
    c.interact_start()
    c.ev("play", headers=[("Content-Type", "text/plain; charset=UTF-8")])
    c.ping_for(20)
    return closed(c)


test_edge_fires, test_edge_quiet = E.tests()
