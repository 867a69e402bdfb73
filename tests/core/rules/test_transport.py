"""Transport rules (rules.md §1): one HTTP exchange, each rule both ways."""

from __future__ import annotations

import pytest

from mcscope.core.model import Severity
from mcscope.core.rules.catalogue import RULES
from tests.builder import HOST, Capture, clean_vod, rules, start_params
from tests.core.rules.casetable import (
    SID_B,
    Table,
    assert_fires,
    assert_quiet,
    covers,
    findings,
    replace_body,
    rewrite,
    set_header,
    started,
)

T = Table("transport")


# --- http-method ---------------------------------------------------------------------------------------
@T.fires("http-method", event=2)
def get_on_events():
    c = started()
    c.ev("ping", dt=10000, method="GET")
    return c


@T.fires("http-method", event=2)
def put_on_events():
    c = started()
    c.ev("ping", dt=10000, method="PUT")
    return c


@T.quiet("http-method")
def options_preflight_and_schema_get():
    c = Capture()
    c.post("/api/v1/sessions", None, status=200, method="OPTIONS", raw=b"")
    c.start()
    c.post(f"/api/v1/sessions/{c.sid}/events", None, status=204, method="OPTIONS", raw=b"")
    c.post("/api/v1/schemas/sessionStart", None, status=200, method="GET", raw=b"")
    c.ev("play")
    return c


@T.quiet("http-method")
def lower_case_post():
    c = started()
    c.ev("ping", dt=10000, method="post")
    return c


# --- body-not-json -------------------------------------------------------------------------------------
@T.fires("body-not-json", event=2)
def truncated_json():
    c = started()
    c.ev("ping", dt=10000, raw=b'{"eventType": "ping", ')
    return c


@T.fires("body-not-json", event=2)
def latin1_body():
    c = started()
    c.ev("ping", dt=10000, raw='{"eventType": "p\u00efng"}'.encode("latin-1"))
    return c


@T.fires("body-not-json", event=2)
def empty_body():
    c = started()
    c.ev("ping", dt=10000, raw=b"")
    return c


@T.quiet("body-not-json")
def json_with_bom():
    c = started()
    ex = c.ev("ping", dt=10000)
    ex.request_body = b"\xef\xbb\xbf" + (ex.request_body or b"")
    return c


# --- body-not-object -----------------------------------------------------------------------------------
@T.fires("body-not-object", event=2)
def array_on_events():
    c = started()
    ex = c.ev("ping", dt=10000)
    replace_body(ex, lambda b: [b])
    return c


@T.fires("body-not-object", event=2)
def string_on_events():
    c = started()
    c.ev("ping", dt=10000, raw=b'"ping"')
    return c


@T.quiet("body-not-object")
def array_on_downloaded():
    c = Capture()
    body = [c.body("sessionStart", params=start_params()), c.body("sessionEnd", ts=c.ts + 1000)]
    c.post("/api/v1/downloaded", body, status=201)
    return c


# --- body-not-captured ---------------------------------------------------------------------------------
@T.fires("body-not-captured", event=2)
def streamed_body():
    c = started()
    c.ev("ping", dt=10000).request_body = None
    return c


@T.quiet("body-not-captured")
def empty_body_is_captured():
    c = started()
    c.ev("ping", dt=10000, raw=b"")
    return c


# --- content-type --------------------------------------------------------------------------------------
@T.fires("content-type", event=2)
def text_plain():
    c = started()
    c.ev("ping", dt=10000, headers=[("Content-Type", "text/plain")])
    return c


@T.fires("content-type", event=2)
def form_urlencoded_like_curl():
    c = started()
    c.ev("ping", dt=10000, headers=[("Content-Type", "application/x-www-form-urlencoded")])
    return c


@T.fires("content-type", event=2)
def no_content_type():
    c = started()
    c.ev("ping", dt=10000, headers=[])
    return c


@T.quiet("content-type")
def json_with_charset_any_case():
    c = started()
    c.ev("ping", dt=10000, headers=[("content-type", "Application/JSON; charset=utf-8")])
    return c


# --- sessions-wrong-event ------------------------------------------------------------------------------
@T.fires("sessions-wrong-event", event=0)
def play_on_sessions():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(eventType="play", params={}))
    return c


@T.fires("sessions-wrong-event", event=0)
def no_event_type_on_sessions():
    c = Capture()
    rewrite(c.start(), lambda b: b.pop("eventType"))
    return c


@T.quiet("sessions-wrong-event")
def session_start_on_sessions():
    return clean_vod()


# --- session-start-on-events ---------------------------------------------------------------------------
@T.fires("session-start-on-events", event=2)
def session_start_posted_to_events():
    c = started()
    c.ev("sessionStart", dt=1000, params=start_params())
    return c


@T.quiet("session-start-on-events")
def session_start_on_sessions_endpoint():
    return started()


# --- location-missing ----------------------------------------------------------------------------------
@T.fires("location-missing", event=0)
def no_location_header():
    c = Capture()
    ex = c.start()
    ex.response_headers = set_header(ex.response_headers, "Location", None)
    return c


@T.fires("location-missing", event=0)
def location_without_sid():
    c = Capture()
    c.start(location="/api/v1/sessions/")
    return c


@T.fires("location-missing", event=0)
def location_not_under_api():
    c = Capture()
    c.start(location="/sessions/abc")
    return c


@T.fires("location-missing", event=0)
def absolute_location():
    c = Capture()
    c.start(location=f"{HOST}/api/v1/sessions/{c.sid}")
    c.ev("play")
    return c


@T.quiet("location-missing")
def location_of_another_api_version():
    c = Capture()
    c.start(location=f"/api/v2/sessions/{c.sid}")
    c.ev("play")
    return c


@T.quiet("location-missing")
def location_missing_on_a_400():
    c = Capture()
    c.start(status=400, resp_body=b'{"message": "bad"}')
    return c


# --- cors-expose-location ------------------------------------------------------------------------------
@T.fires("cors-expose-location", event=0)
def no_expose_headers():
    c = Capture()
    ex = c.start()
    ex.response_headers = set_header(ex.response_headers, "Access-Control-Expose-Headers", None)
    return c


@T.fires("cors-expose-location", event=0)
def expose_headers_without_location():
    c = Capture()
    ex = c.start()
    ex.response_headers = set_header(ex.response_headers, "Access-Control-Expose-Headers", "Content-Length")
    return c


@T.quiet("cors-expose-location")
def expose_location_in_a_list():
    c = Capture()
    ex = c.start()
    ex.response_headers = set_header(ex.response_headers, "access-control-expose-headers", "Content-Length, location")
    return c


# --- http-rejected -------------------------------------------------------------------------------------
@T.fires("http-rejected", event=2)
def event_answered_400():
    c = started()
    c.ev("ping", dt=10000, status=400, resp_body=b'{"message": "ping: params not allowed"}')
    return c


@T.fires("http-rejected", event=0)
def session_start_answered_400():
    c = Capture()
    c.start(status=400, resp_body=b'{"message": "media.id is required"}')
    return c


@T.quiet("http-rejected")
def event_answered_204():
    return started()


# --- session-gone / event-after-gone -------------------------------------------------------------------
@T.fires("session-gone", event=2)
def event_answered_410():
    c = started()
    c.ev("ping", dt=10000, status=410)
    return c


@T.fires("session-gone", event=2)
def event_answered_404():
    c = started()
    c.ev("ping", dt=10000, status=404)
    return c


@T.quiet("session-gone")
def sessions_answered_404_is_not_gone():
    c = Capture()
    c.start(status=404)
    return c


@T.fires("event-after-gone", event=3)
def event_after_410():
    c = started()
    c.ev("ping", dt=10000, status=410)
    c.ev("ping", dt=10000, status=410)
    return c


@T.quiet("event-after-gone")
def other_sid_after_410():
    c = started()
    c.ev("ping", dt=10000, status=410)
    c.sid = SID_B
    c.start(dt=1000)
    c.ev("play")
    c.ev("ping", dt=10000)
    return c


# --- server-error / no-response ------------------------------------------------------------------------
@T.fires("server-error", event=2)
def event_answered_503():
    c = started()
    c.ev("ping", dt=10000, status=503)
    return c


@T.quiet("server-error")
def event_answered_499():
    c = started()
    c.ev("ping", dt=10000, status=499)
    return c


@T.fires("no-response", event=2)
def connection_reset():
    c = started()
    c.ev("ping", dt=10000, status=None, error="connection reset by peer")
    return c


@T.quiet("no-response")
def answered_in_time():
    return started()


# --- unknown-host --------------------------------------------------------------------------------------
@T.fires("unknown-host", event=2)
def localhost_collector():
    c = started()
    ex = c.ev("ping", dt=10000)
    ex.url = ex.url.replace(HOST, "http://localhost:8080")
    return c


@T.fires("unknown-host", event=2)
def lookalike_host():
    c = started()
    ex = c.ev("ping", dt=10000)
    ex.url = ex.url.replace(HOST, "https://example.hb-api.omtrdc.net.evil.test")
    return c


@T.quiet("unknown-host")
def collector_host_any_case_and_from_host_header():
    c = started()
    ex = c.ev("ping", dt=10000)
    ex.url = ex.url.replace(HOST, "https://Example.HB-API.omtrdc.net")
    ex = c.ev("ping", dt=10000)
    ex.url = ex.url.replace(HOST, "")
    ex.request_headers.append(("Host", "example.hb-api.omtrdc.net:443"))
    return c


test_fires, test_quiet = T.tests()


# --- details the table cannot express ------------------------------------------------------------------
@covers("http-method", fires=True)
def test_get_on_sessions_is_a_transport_finding_without_session():
    c = Capture()
    c.post("/api/v1/sessions", None, status=405, method="GET", raw=b"")
    an = c.analyze()
    f = assert_fires(an, "http-method", event=None)
    assert f.sid is None and f.flow == "f1"
    assert f in an.transport_findings
    assert an.sessions == []


def test_unparseable_session_start_is_a_transport_finding():
    c = Capture()
    c.start(raw=b"{oops", status=400, resp_body=b'{"message": "malformed JSON"}')
    an = c.analyze()
    assert_fires(an, "body-not-json", event=None)
    f = assert_fires(an, "http-rejected", event=None)
    assert "malformed JSON" in f.message
    assert an.sessions == []


def test_http_rejected_shows_the_message_and_the_later_events_still_count():
    c = started()
    c.ev("ping", dt=10000, status=400, resp_body=b'{"message": "ping: params not allowed"}')
    c.ev("ping", dt=10000)
    an = c.analyze()
    f = assert_fires(an, "http-rejected", event=2, count=1)
    assert "ping: params not allowed" in f.message
    assert not an.sessions[0].events[3].ignored


@covers("session-gone", fires=True)
@covers("event-after-gone", fires=True)
def test_every_event_after_gone_is_flagged_and_dropped():
    c = started()
    c.ev("ping", dt=10000, status=404)
    for _ in range(3):
        c.ev("ping", dt=10000, status=410)
    an = c.analyze()
    assert_fires(an, "session-gone", event=2, count=1)
    assert [f.event for f in findings(an, "event-after-gone")] == [3, 4, 5]
    s = an.sessions[0]
    assert [e.ignored for e in s.events] == [False, False, True, True, True, True]
    assert s.status == "gone"
    assert "session-not-closed" not in rules(an)


def test_server_error_and_no_response_do_not_drop_the_event():
    c = started()
    c.ev("ping", dt=10000, status=500)
    c.ev("ping", dt=10000, status=None, error="timeout")
    an = c.analyze()
    s = an.sessions[0]
    assert not s.events[2].ignored and not s.events[3].ignored
    assert RULES["server-error"].severity == Severity.WARNING


def test_absolute_location_still_names_the_sid():
    c = Capture()
    c.start(location=f"{HOST}/api/v1/sessions/{c.sid}")
    c.ev("play")
    an = c.analyze()
    f = assert_fires(an, "location-missing", event=0, count=1)
    assert "absolute" in f.message
    assert len(an.sessions) == 1 and an.sessions[0].sid == c.sid  # the events join the session
    assert_quiet(an, "no-session-start")


@covers("unknown-host", fires=True)
def test_unknown_host_on_session_start():
    c = Capture()
    ex = c.start()
    ex.url = "http://127.0.0.1:9000/collector/api/v1/sessions"
    c.ev("play")
    an = c.analyze()
    f = assert_fires(an, "unknown-host", event=0)
    assert "127.0.0.1" in f.message
    assert an.sessions[0].sid == c.sid  # any path prefix before /api/v1/ is a collection endpoint


def test_clean_session_has_no_transport_findings():
    an = clean_vod().analyze()
    assert an.all_findings() == []
    for rule, info in RULES.items():
        if info.family == "transport":
            assert_quiet(an, rule)


@pytest.mark.parametrize("status", [401, 403, 404, 405, 413, 415, 429])
def test_another_refusal_of_a_session_start_is_not_http_rejected(status: int):
    """rules.md's http-rejected is a 400; no rule names a 404 (or 401, 429 …) to /api/v1/sessions: the session
    start is not recorded (its event dropped, with the answer as the reason), and no finding is invented."""
    c = Capture()
    c.start(status=status)
    an = c.analyze()
    assert_quiet(an, "http-rejected")
    ev = an.sessions[0].events[0]
    assert ev.ignored and f"answered {status}" in (ev.ignored_reason or "")
    assert an.sessions[0].metrics()["content_time"] == 0


@pytest.mark.parametrize("status", [401, 403, 413, 429])
def test_another_refusal_of_an_event_drops_it_without_a_finding(status: int):
    c = started()
    c.ev("ping", dt=10000, status=status)
    an = c.analyze()
    assert_quiet(an, "http-rejected")
    assert_quiet(an, "session-gone")
    assert an.sessions[0].events[2].ignored
