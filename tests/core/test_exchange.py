"""addon/exchange.py: which endpoint an exchange hits, its sid, its decoded bodies and its own findings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mcscope.core import exchange as xch
from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer

SID = "bfcca2ca" * 8


def _ex(method: str = "POST", url: str = "https://ns.hb-api.omtrdc.net/api/v1/sessions", body: Any = None,
        raw: bytes | None = b"", headers: list[tuple[str, str]] | None = None, status: int | None = 204,
        resp_headers: list[tuple[str, str]] | None = None, resp_body: bytes | None = b"") -> Exchange:
    data = json.dumps(body).encode() if body is not None else raw
    return Exchange("f1", method, url, headers if headers is not None else [("Content-Type", "application/json")],
                    data, status, resp_headers or [], resp_body, timestamp_start=1_700_000_000.0)


def _rules(parsed: xch.ParsedExchange) -> list[str]:
    return [f.rule for f in parsed.findings]


START = {"playerTime": {"playhead": 0, "ts": 1_700_000_000_000}, "eventType": "sessionStart", "params": {}}
PING = {"playerTime": {"playhead": 0, "ts": 1_700_000_000_000}, "eventType": "ping"}


# --- endpoint classification -----------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "kind", "sid"), [
    ("/api/v1/sessions", xch.SESSIONS, None),
    ("/api/v1/sessions/", xch.SESSIONS, None),
    (f"/api/v1/sessions/{SID}/events", xch.EVENTS, SID),
    (f"/api/v1/sessions/{SID}/events/", xch.EVENTS, SID),
    ("/api/v1/downloaded", xch.DOWNLOADED, None),
    ("/collector/api/v1/sessions", xch.SESSIONS, None),
    ("/a/b/c/api/v1/sessions/x1/events", xch.EVENTS, "x1"),
    ("/mc/api/v1/downloaded/", xch.DOWNLOADED, None),
    ("/api/v1/schemas/sessionStart", None, None),
    (f"/api/v1/sessions/{SID}", None, None),
    ("/api/v2/sessions", None, None),
    ("/api/v1/sessionsX", None, None),
    ("/b/ss/rsid/0", None, None),
    ("/", None, None),
    ("", None, None),
])
def test_classify_path(path, kind, sid):
    assert xch.classify_path(path) == (kind, sid)


@pytest.mark.parametrize("url", [
    "https://ns.hb-api.omtrdc.net/api/v1/sessions",
    "http://localhost:8080/api/v1/sessions",
    "http://10.0.0.5:3000/proxy/api/v1/sessions",
    "https://media.example.com/tracking/api/v1/sessions?debug=1",
])
def test_any_host_and_prefix_is_a_collection_endpoint(url):
    parsed = xch.parse_exchange(_ex(url=url, body=START, status=201,
                                    resp_headers=[("Location", f"/api/v1/sessions/{SID}"),
                                                  ("Access-Control-Expose-Headers", "Location")]))
    assert parsed.endpoint == xch.SESSIONS
    assert parsed.sid == SID
    assert ("unknown-host" in _rules(parsed)) == ("hb-api.omtrdc.net" not in url)


def test_host_from_the_host_header_when_the_url_has_none():
    parsed = xch.parse_exchange(_ex(url="/api/v1/sessions", body=START,
                                    headers=[("Content-Type", "application/json"), ("Host", "ns.hb-api.omtrdc.net:443")]))
    assert parsed.host == "ns.hb-api.omtrdc.net"
    assert "unknown-host" not in _rules(parsed)


@pytest.mark.parametrize("url", [
    "https://ns.hb-api.omtrdc.net/api/v1/schemas/sessionStart",
    "https://ns.hb-api.omtrdc.net/api/v1/sessions",
])
def test_options_preflight_and_schema_get_are_ignored(url):
    method = "GET" if "schemas" in url else "OPTIONS"
    parsed = xch.parse_exchange(_ex(method=method, url=url, status=200))
    assert parsed.endpoint is None and parsed.findings == []
    an = Analyzer()
    assert an.feed(_ex(method=method, url=url, status=200)) == []
    assert an.sessions == [] and an.all_findings() == []


@pytest.mark.parametrize("url", [
    "https://www.example.com/index.html",
    "https://ns.sc.omtrdc.net/b/ss/rsid/1/JS-2.0/s123",
    "https://ns.hb.omtrdc.net/?s:event:type=start",
    "http://[::1",
])
def test_non_collection_traffic_is_ignored(url):
    assert xch.parse_exchange(_ex(url=url, body=PING)).endpoint is None
    an = Analyzer()
    an.feed(_ex(url=url, body=PING))
    an.finish()
    assert an.sessions == [] and an.all_findings() == []
    assert not xch.is_collection_url(url)


def test_is_collection_url():
    assert xch.is_collection_url("https://x/api/v1/schemas/ping")
    assert xch.is_collection_url(f"https://x/p/api/v1/sessions/{SID}/events")
    assert not xch.is_collection_url("https://x/api/v1/other")


# --- the 201 Location ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("location", "sid", "finding"), [
    (f"/api/v1/sessions/{SID}", SID, False),
    (f"/api/v2/sessions/{SID}", SID, False),
    ("/api/v1/sessions/short-sid_1", "short-sid_1", False),
    # absolute: mcscope still follows the session, but players parsing ^/api/... find no sid
    (f"https://ns.hb-api.omtrdc.net/api/v1/sessions/{SID}", SID, True),
    (f"http://localhost:8080/api/v1/sessions/{SID}", SID, True),
    (f"/prefix/api/v1/sessions/{SID}", None, True),
    (f"/api/v1/sessions/{SID}/events", None, True),
    ("/api/v1/sessions/", None, True),
    ("", None, True),
])
def test_sid_from_the_201_location(location, sid, finding):
    parsed = xch.parse_exchange(_ex(body=START, status=201, resp_headers=[
        ("Location", location), ("Access-Control-Expose-Headers", "Location")]))
    assert parsed.sid == sid
    assert ("location-missing" in _rules(parsed)) is finding


def test_no_sid_and_no_location_finding_unless_201():
    for status in (400, 500, None):
        parsed = xch.parse_exchange(_ex(body=START, status=status))
        assert parsed.sid is None
        assert "location-missing" not in _rules(parsed)
        assert "cors-expose-location" not in _rules(parsed)


def test_cors_expose_headers():
    def parsed(expose: str | None) -> list[str]:
        headers = [("Location", f"/api/v1/sessions/{SID}")]
        if expose is not None:
            headers.append(("Access-Control-Expose-Headers", expose))
        return _rules(xch.parse_exchange(_ex(body=START, status=201, resp_headers=headers)))

    assert "cors-expose-location" in parsed(None)
    assert "cors-expose-location" in parsed("Content-Length")
    assert "cors-expose-location" not in parsed("Content-Length, LOCATION")
    assert "cors-expose-location" not in parsed("location")


# --- bodies ------------------------------------------------------------------------------------------------
def test_object_body():
    parsed = xch.parse_exchange(_ex(url=f"https://ns.hb-api.omtrdc.net/api/v1/sessions/{SID}/events", body=PING))
    assert parsed.endpoint == xch.EVENTS and parsed.sid == SID
    assert parsed.bodies == [PING] and parsed.findings == [] and not parsed.skip_events


def test_bom_is_tolerated():
    raw = b"\xef\xbb\xbf" + json.dumps(PING).encode()
    parsed = xch.parse_exchange(_ex(url=f"https://ns.hb-api.omtrdc.net/api/v1/sessions/{SID}/events", raw=raw))
    assert parsed.bodies == [PING] and parsed.findings == []


@pytest.mark.parametrize("raw", [b"\xff\xfe{\x00}\x00", '{"eventType": "p\u00efng"}'.encode("latin-1"),
                                 b"{", b"", b"eventType=ping", b"[1,", b"NaN-ish"])
def test_undecodable_bodies_are_body_not_json(raw):
    parsed = xch.parse_exchange(_ex(url=f"https://ns.hb-api.omtrdc.net/api/v1/sessions/{SID}/events", raw=raw))
    assert _rules(parsed) == ["body-not-json"]
    assert parsed.skip_events and parsed.bodies == []


def test_deeply_nested_json_does_not_raise():
    raw = b"[" * 100_000 + b"]" * 100_000
    parsed = xch.parse_exchange(_ex(url=f"https://ns.hb-api.omtrdc.net/api/v1/sessions/{SID}/events", raw=raw))
    assert parsed.skip_events
    assert _rules(parsed) in (["body-not-json"], ["body-not-object"])


def test_body_not_captured():
    parsed = xch.parse_exchange(_ex(url=f"https://ns.hb-api.omtrdc.net/api/v1/sessions/{SID}/events", raw=None))
    assert _rules(parsed) == ["body-not-captured"] and parsed.skip_events


@pytest.mark.parametrize(("path", "ok"), [
    ("/api/v1/downloaded", True),
    ("/api/v1/sessions", True),  # the deprecated downloaded mode; judged by downloaded-legacy
    (f"/api/v1/sessions/{SID}/events", False),
])
def test_arrays(path, ok):
    parsed = xch.parse_exchange(_ex(url="https://ns.hb-api.omtrdc.net" + path, body=[START, PING]))
    assert parsed.is_array
    if ok:
        assert parsed.bodies == [START, PING] and "body-not-object" not in _rules(parsed)
    else:
        assert _rules(parsed) == ["body-not-object"] and parsed.bodies == [] and parsed.skip_events


@pytest.mark.parametrize("body", ["ping", 42, None, True])
def test_scalars_are_body_not_object(body):
    raw = json.dumps(body).encode()
    parsed = xch.parse_exchange(_ex(url=f"https://ns.hb-api.omtrdc.net/api/v1/sessions/{SID}/events", raw=raw))
    assert _rules(parsed) == ["body-not-object"]


# --- method, content type -------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", ""])
def test_wrong_method(method):
    parsed = xch.parse_exchange(_ex(method=method, body=START))
    assert _rules(parsed) == ["http-method"] and parsed.skip_events


@pytest.mark.parametrize(("headers", "finding"), [
    ([("Content-Type", "application/json")], False),
    ([("content-type", "application/json;charset=UTF-8")], False),
    ([("Content-Type", "text/plain;charset=UTF-8")], True),
    ([("Content-Type", "application/x-www-form-urlencoded")], True),
    ([], True),
])
def test_content_type(headers, finding):
    parsed = xch.parse_exchange(_ex(body=START, headers=headers))
    assert ("content-type" in _rules(parsed)) is finding


# --- response message -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "message"), [
    (b'{"message": "media.id is required"}', "media.id is required"),
    (b"Bad Request", "Bad Request"),
    (b'{"error": "x"}', None),
    (b"", None),
    (None, None),
])
def test_response_message(body, message):
    assert xch.response_message(_ex(status=400, resp_body=body)) == message
