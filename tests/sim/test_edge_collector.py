"""The mock Media Edge API (sim/edge_collector.py): every answer kind both ways, and the core reading back
what the mock writes (plain and streamed answers, a whole clean SDK-like session judged clean)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mcscope.core import edge_exchange as ee
from mcscope.core.model import Exchange, HttpResponse, Severity
from mcscope.sim.collector import MockCollector
from mcscope.sim.edge_collector import EdgeCollector, is_media_interact
from mcscope.sim.sessions import SessionStore
from tests.edge_builder import EdgeCapture, ad_details, edge_vod, iso, session_details

QUERY = "configId=d1d4e5f6-0000-4000-8000-00000000c0de&requestId=req-42"
JSON_CT = [("Content-Type", "application/json")]
VA_400 = "https://ns.adobe.com/aep/errors/va-edge-0400-400"
VA_404 = "https://ns.adobe.com/aep/errors/va-edge-0404-404"


class MockEdgeCapture(EdgeCapture):
    """An Edge Media SDK-like player whose every call is answered by the mock: the session id and the location
    hint come from the mock's sessionStart answer, as an SDK takes them."""

    def __init__(self, collector: MockCollector | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.collector = collector or MockCollector()
        self.answers: list[HttpResponse] = []

    def post(self, url: str, body: Any, status: int | None = 204, headers: list[tuple[str, str]] | None = None,
             resp_body: bytes = b"", resp_headers: list[tuple[str, str]] | None = None, raw: bytes | None = None,
             method: str = "POST", error: str | None = None, received: float | None = None) -> Exchange:
        ex = super().post(url, body, headers=headers, raw=raw, method=method, received=received)
        answer = self.collector.handle(ex.method, url, ex.request_headers, ex.request_body)
        self.answers.append(answer)
        ex.response_status, ex.response_headers, ex.response_body = answer.status, answer.headers, answer.body
        parsed = ee.parse_response(ex)
        if parsed.session_id:
            self.sid = parsed.session_id
            self.hint = self.hint or parsed.location_hint
        return ex


def post(c: MockCollector | EdgeCollector, segment: str, doc: Any, *, hint: str | None = None,
         query: str = QUERY, headers: list[tuple[str, str]] | None = None, raw: bytes | None = None,
         method: str = "POST") -> HttpResponse:
    base = f"/ee/{hint}" if hint else "/ee"
    data = raw if raw is not None else json.dumps(doc).encode()
    return c.handle(method, f"{base}{segment}" + (f"?{query}" if query else ""),
                    JSON_CT if headers is None else headers, data)


def read(answer: HttpResponse) -> ee.EdgeResponse:
    """The answer as the core reads it from a capture."""
    return ee.parse_response(Exchange("f", "POST", "https://edge.adobedc.net/ee/va/v1/x", response_status=answer.status,
                                      response_headers=answer.headers, response_body=answer.body))


def start_doc(streamed: bool = False, **over: Any) -> dict[str, Any]:
    cap = EdgeCapture()
    doc = cap.envelope(cap.xdm("sessionStart", 0, {"sessionDetails": session_details(**over)}))
    if not streamed:
        del doc["meta"]
    return doc


def event_doc(event_type: str, sid: Any, mc: dict[str, Any] | None = None, ts: int = 1_700_000_001_000,
              **xdm_over: Any) -> dict[str, Any]:
    cap = EdgeCapture(sid=sid, t0=ts)
    xdm = cap.xdm(event_type, None, mc)
    xdm.update(xdm_over)
    return cap.envelope(xdm)


def start(c: MockCollector | EdgeCollector, hint: str | None = None) -> str:
    answer = post(c, "/va/v1/sessionStart", start_doc(), hint=hint)
    assert answer.status == 200, answer.body
    sid = read(answer).session_id
    assert sid is not None
    return sid


def doc_of(answer: HttpResponse) -> Any:
    """The answer's JSON document, plain or streamed."""
    (doc,) = ee.response_records(answer.body)
    return doc


def details(answer: HttpResponse) -> Any:
    doc = doc_of(answer)
    return doc["report"]["details"]


def names(answer: HttpResponse) -> list[str]:
    return [d["name"] for d in details(answer)]


# === sessionStart ==========================================================================================
def test_session_start_answers_200_with_the_new_session_location_hint_and_state_handles() -> None:
    c = MockCollector()
    answer = post(c, "/va/v1/sessionStart", start_doc())
    assert answer.status == 200 and answer.header("Content-Type") == "application/json"
    doc = doc_of(answer)
    assert doc["requestId"] == "req-42"  # the request's own requestId, as the Edge echoes it
    kinds = [h["type"] for h in doc["handle"]]
    assert kinds == ["media-analytics:new-session", "locationHint:result", "state:store"]
    new = doc["handle"][0]
    assert new["eventIndex"] == 0 and len(new["payload"]) == 1
    sid = new["payload"][0]["sessionId"]
    assert len(sid) == 64 and sid == sid.lower() and int(sid, 16) >= 0
    assert doc["handle"][1]["payload"] == [{"scope": "EdgeNetwork", "hint": "or2", "ttlSeconds": 1800}]
    cookies = [e["key"] for e in doc["handle"][2]["payload"]]
    assert cookies == ["kndctr_0000000000000000000MOCK0_AdobeOrg_cluster"]  # the request had an identityMap
    assert c.session_status(sid) == "open" and c.session_count == 1
    parsed = read(answer)
    assert (parsed.session_id, parsed.session_event_index, parsed.location_hint, parsed.request_id) == \
        (sid, 0, "or2", "req-42")


def test_session_start_hint_and_identity() -> None:
    c = EdgeCollector()
    answer = post(c, "/va/v1/sessionStart", start_doc(), hint="va6")
    assert read(answer).location_hint == "va6"  # the cluster the request named
    doc = start_doc()
    del doc["xdm"]["identityMap"]
    answer = post(c, "/va/v1/sessionStart", doc, query="configId=x")
    store = doc_of(answer)["handle"][2]["payload"]
    assert [e["key"].rsplit("_", 1)[1] for e in store] == ["cluster", "identity"]  # a minted ECID cookie
    assert doc_of(answer)["requestId"] != ""  # generated when the request sent none


@pytest.mark.parametrize("path", ["/ee/va/v1/sessionstart", "/EE/or2/VA/V1/SESSIONSTART",
                                  "/ee-pre-prd/va/v1/sessionStart", "https://edge.adobedc.net/ee/va/v1/sessionStart"])
def test_session_start_paths_are_case_insensitive_with_pre_prd_and_absolute_form(path: str) -> None:
    c = MockCollector()
    answer = c.handle("POST", f"{path}?{QUERY}", JSON_CT, json.dumps(start_doc()).encode())
    assert answer.status == 200 and read(answer).session_id


def test_streamed_answer_round_trips_through_the_core_parser() -> None:
    c = MockCollector()
    answer = post(c, "/va/v1/sessionStart", start_doc(streamed=True))
    assert answer.status == 200 and answer.body.startswith(b"\x00{") and answer.body.endswith(b"}\n")
    assert ee.response_records(answer.body) == [json.loads(answer.body[1:])]
    parsed = read(answer)
    assert parsed.session_id is not None and parsed.location_hint == "or2" and parsed.request_id == "req-42"
    bad = post(c, "/va/v1/sessionStart", start_doc(streamed=True, name=None))
    assert bad.status == 207 and bad.body.startswith(b"\x00{")
    assert [ee.error_code(e) for e in read(bad).errors] == ["va-edge-0400-400"] and read(bad).session_id is None
    custom = start_doc(streamed=True)
    custom["meta"]["konductorConfig"]["streaming"].update(recordSeparator="\u001e", lineFeed="\r\n")
    assert post(c, "/va/v1/sessionStart", custom).body[:1] == b"\x1e"  # the request's separators are honoured
    off = start_doc(streamed=True)
    off["meta"]["konductorConfig"]["streaming"]["enabled"] = False
    assert post(c, "/va/v1/sessionStart", off).body.startswith(b"{")


def test_bad_session_start_is_207_naming_every_bad_field() -> None:
    c = MockCollector()
    answer = post(c, "/va/v1/sessionStart", start_doc(name=None, channel="", length=60.5, hasResume="no",
                                                      streamType="film"))
    assert answer.status == 207 and answer.header("Content-Type") == "application/json"
    doc = doc_of(answer)
    assert [h["type"] for h in doc["handle"]] == ["locationHint:result", "state:store"]  # no new session
    (error,) = doc["errors"]
    assert (error["type"], error["status"], error["title"], error["report"]["eventIndex"]) == \
        (VA_400, 400, "Invalid request", 0)
    found = {d["name"]: d["reason"] for d in error["report"]["details"]}
    base = "$.xdm.mediaCollection.sessionDetails"
    assert found[f"{base}.name"] == "Missing required field" and found[f"{base}.channel"] == "Missing required field"
    assert set(found) == {f"{base}.name", f"{base}.channel", f"{base}.length", f"{base}.hasResume",
                          f"{base}.streamType"}
    assert c.session_count == 0


@pytest.mark.parametrize(("mc", "name"), [
    ({"sessionDetails": None}, "$.xdm.mediaCollection.sessionDetails"),
    ({"sessionDetails": "x"}, "$.xdm.mediaCollection.sessionDetails"),
    ({"playhead": None}, "$.xdm.mediaCollection.playhead"),
    ({"playhead": 1.5}, "$.xdm.mediaCollection.playhead"),
    ({"playhead": -1}, "$.xdm.mediaCollection.playhead"),
    ({"qoeDataDetails": {"startupTime": 3}}, "$.xdm.mediaCollection.qoeDataDetails.startupTime"),
    ({"qoeDataDetails": {"bitrate": 2**31}}, "$.xdm.mediaCollection.qoeDataDetails.bitrate"),
    ({"customMetadata": {"a": "b"}}, "$.xdm.mediaCollection.customMetadata"),
    ({"customMetadata": [{"name": "a", "value": 1}]}, "$.xdm.mediaCollection.customMetadata[0].value"),
])
def test_session_start_content_faults(mc: dict[str, Any], name: str) -> None:
    doc = start_doc()
    collection = doc["events"][0]["xdm"]["mediaCollection"]
    for key, value in mc.items():
        if value is None:
            collection.pop(key)
        else:
            collection[key] = value
    answer = post(MockCollector(), "/va/v1/sessionStart", doc)
    assert answer.status == 207
    assert [d["name"] for d in doc_of(answer)["errors"][0]["report"]["details"]] == [name]


def test_session_start_timestamp_and_identity_faults_and_what_is_accepted() -> None:
    c = MockCollector()
    doc = start_doc()
    doc["events"][0]["xdm"]["timestamp"] = "2024-01-01 10:00:00"
    answer = post(c, "/va/v1/sessionStart", doc)
    assert answer.status == 207
    reason = doc_of(answer)["errors"][0]["report"]["details"][0]["reason"]
    assert reason.startswith("Field should respect ISO 8601 standard")
    doc = start_doc()
    doc["events"][0]["xdm"]["identityMap"] = {"FPID": [{"id": "x", "authenticatedState": "unknown"}]}
    assert post(c, "/va/v1/sessionStart", doc).status == 207
    # what the core rates as a warning or info is accepted: no timestamp, unknown fields, integral floats,
    # a session id on sessionStart, custom metadata with untenanted names
    lenient = start_doc(length=600.0, streamType=None)
    xdm = lenient["events"][0]["xdm"]
    del xdm["timestamp"]
    xdm["mediaCollection"].update(sessionID="x", foo=1, customMetadata=[{"name": "key1", "value": "v"}])
    xdm["mediaCollection"]["sessionDetails"]["bogus"] = True
    assert post(c, "/va/v1/sessionStart", lenient).status == 200


def test_several_session_starts_in_one_request_get_one_handle_each() -> None:
    cap = EdgeCapture()
    good = cap.xdm("sessionStart", 0, {"sessionDetails": session_details()})
    bad = cap.xdm("sessionStart", 0, {"sessionDetails": session_details(name=None)})
    answer = post(MockCollector(), "/va/v1/sessionStart", cap.envelope([good, bad, good]))
    doc = doc_of(answer)
    assert answer.status == 207
    assert [h["eventIndex"] for h in doc["handle"] if h["type"] == "media-analytics:new-session"] == [0, 2]
    assert [e["report"]["eventIndex"] for e in doc["errors"]] == [1]


# === the Web SDK's interact call ===========================================================================
def test_interact_session_start_opens_a_session_other_interact_calls_never_do() -> None:
    c = MockCollector()
    cap = EdgeCapture()
    doc = cap.envelope([{"eventType": "web.webpagedetails.pageViews"},
                        cap.xdm("sessionStart", 0, {"sessionDetails": session_details()})])
    del doc["meta"]
    answer = post(c, "/v1/interact", doc, headers=[("Content-Type", "text/plain; charset=UTF-8")])
    assert answer.status == 200 and answer.body.startswith(b"{")
    new = [h for h in doc_of(answer)["handle"] if h["type"] == "media-analytics:new-session"]
    assert new[0]["eventIndex"] == 1  # the index in the request's events[], not among media events
    sid = new[0]["payload"][0]["sessionId"]
    assert c.session_status(sid) == "open"
    plain = post(c, "/v1/interact", {"events": [{"xdm": {"eventType": "web.webpagedetails.pageViews"}}]}, hint="or2")
    assert plain.status == 200 and doc_of(plain)["handle"] == [] and c.session_count == 1
    media = post(c, "/v1/interact", event_doc("sessionEnd", sid))  # Web SDK sendEvent style: applied
    assert media.status == 200 and doc_of(media)["handle"] == [] and c.session_status(sid) == "sessionEnd"
    unknown = post(c, "/v1/interact", event_doc("ping", "f" * 64))
    assert unknown.status == 200 and c.session_count == 1  # never refused, never a session
    bad = cap.envelope(cap.xdm("sessionStart", 0, {"sessionDetails": session_details(playerName=None)}))
    answer = post(c, "/v1/interact", bad)
    assert answer.status == 207 and c.session_count == 1


def test_is_media_interact() -> None:
    assert is_media_interact(json.dumps(start_doc()).encode())
    assert not is_media_interact(b'{"events": [{"xdm": {"eventType": "web.x", "note": "media.sessionStart"}}]}')
    assert not is_media_interact(b"\xff{oops")
    assert not is_media_interact(None)


# === events =================================================================================================
def test_events_on_a_live_session_are_204_unknown_ids_404() -> None:
    c = MockCollector()
    sid = start(c)
    for et in ("play", "ping", "pauseStart", "play"):
        answer = post(c, f"/va/v1/{et}", event_doc(et, sid), hint="or2")
        assert answer.status == 204 and answer.body == b"", answer.body
    answer = post(c, "/va/v1/play", event_doc("play", "f" * 64))
    assert answer.status == 404 and answer.header("Content-Type") == "application/problem+json"
    doc = doc_of(answer)
    assert (doc["type"], doc["status"], doc["title"]) == (VA_404, 404, "Not Found")
    assert doc["report"]["details"].startswith("Error processing request. If the session is longer than 24h")
    assert read(answer).problem == doc


def test_session_end_closes_session_complete_does_not() -> None:
    c = MockCollector()
    sid = start(c)
    assert post(c, "/va/v1/sessionComplete", event_doc("sessionComplete", sid)).status == 204
    assert c.session_status(sid) == "open"  # "It does not immediately end a session" (DCA-SESS)
    assert post(c, "/va/v1/sessionEnd", event_doc("sessionEnd", sid, ts=1_700_000_002_000)).status == 204
    assert c.session_status(sid) == "sessionEnd"
    assert post(c, "/va/v1/ping", event_doc("ping", sid, ts=1_700_000_003_000)).status == 404


def test_idle_playhead_and_age_timeouts_close_sessions_on_the_players_clock() -> None:
    c = MockCollector()
    sid = start(c)  # timestamp 1_700_000_000_000, playhead 0
    assert post(c, "/va/v1/ping", event_doc("ping", sid, ts=1_700_000_000_000 + 600_000)).status == 204
    assert post(c, "/va/v1/ping", event_doc("ping", sid, ts=1_700_000_000_000 + 1_200_001)).status == 404
    assert c.session_status(sid) == "idle timeout"
    stuck = start(c)
    for minute in range(1, 31):  # a ping a minute, playhead never moving: 30 min is still accepted
        assert post(c, "/va/v1/ping", event_doc("ping", stuck, ts=1_700_000_000_000 + minute * 60_000)).status == 204
    assert post(c, "/va/v1/ping", event_doc("ping", stuck, ts=1_700_000_000_000 + 1_800_001)).status == 404
    assert c.session_status(stuck) == "playhead timeout"
    old = EdgeCollector(SessionStore(idle_timeout_ms=None, playhead_timeout_ms=None, max_age_ms=86_400_000))
    sid = start(old)
    assert post(old, "/va/v1/ping", event_doc("ping", sid, ts=1_700_000_000_000 + 86_400_000)).status == 204
    assert post(old, "/va/v1/ping", event_doc("ping", sid, ts=1_700_000_000_000 + 86_400_001)).status == 404
    assert old.session_status(sid) == "older than 24 h"


def test_an_event_without_timestamp_is_accepted_and_advances_no_clock() -> None:
    c = MockCollector()
    sid = start(c)
    doc = event_doc("ping", sid, ts=1_700_000_000_000 + 3_600_000)
    del doc["events"][0]["xdm"]["timestamp"]
    assert post(c, "/va/v1/ping", doc).status == 204 and c.session_status(sid) == "open"


@pytest.mark.parametrize(("event_type", "mc", "expected"), [
    ("play", {"playhead": None}, ["$.events[0].xdm.mediaCollection.playhead"]),
    ("play", {"playhead": "3"}, ["$.events[0].xdm.mediaCollection.playhead"]),
    ("play", {"sessionID": None}, ["$.events[0].xdm.mediaCollection.sessionID"]),
    ("play", {"sessionID": "a" * 63}, ["$.events[0].xdm.mediaCollection.sessionID"]),
    ("chapterStart", {}, ["$.events[0].xdm.mediaCollection.chapterDetails"]),
    ("chapterStart", {"chapterDetails": {"index": 1}}, ["$.events[0].xdm.mediaCollection.chapterDetails.length",
                                                        "$.events[0].xdm.mediaCollection.chapterDetails.offset"]),
    ("adBreakStart", {"advertisingPodDetails": {"index": 1, "offset": 1.5}},
     ["$.events[0].xdm.mediaCollection.advertisingPodDetails.offset"]),
    ("adStart", {"advertisingDetails": {"playerName": "p"}},
     [f"$.events[0].xdm.mediaCollection.advertisingDetails.{k}" for k in ("name", "length", "podPosition")]),
    ("error", {"errorDetails": {"name": "e", "source": "network"}},
     ["$.events[0].xdm.mediaCollection.errorDetails.source"]),
    ("bitrateChange", {}, ["$.events[0].xdm.mediaCollection.qoeDataDetails"]),
    ("statesUpdate", {"statesStart": [{"id": "mute"}]}, ["$.events[0].xdm.mediaCollection.statesStart[0].name"]),
    ("ping", {"qoeDataDetails": {"fps": 30}}, ["$.events[0].xdm.mediaCollection.qoeDataDetails.fps"]),
])
def test_bad_event_is_400_problem_json_naming_each_field(event_type: str, mc: dict[str, Any],
                                                        expected: list[str]) -> None:
    c = MockCollector()
    sid = start(c)
    doc = event_doc(event_type, sid)
    collection = doc["events"][0]["xdm"]["mediaCollection"]
    for key, value in mc.items():
        if value is None:
            collection.pop(key)
        else:
            collection[key] = value
    answer = post(c, f"/va/v1/{event_type}", doc)
    assert answer.status == 400 and answer.header("Content-Type") == "application/problem+json"
    body = doc_of(answer)
    assert (body["type"], body["title"], body["detail"]) == \
        (VA_400, "Bad Request", "Invalid request. Please check your input and try again.")
    assert names(answer) == expected
    assert body["report"]["requestId"] == "req-42"
    assert read(answer).problem is not None


def test_the_same_events_done_right_are_204() -> None:
    c = MockCollector()
    sid = start(c)
    for event_type, mc in [
        ("chapterStart", {"chapterDetails": {"index": 1, "length": 30, "offset": 0}}),
        ("adBreakStart", {"advertisingPodDetails": {"index": 1, "offset": 0}}),
        ("adStart", {"advertisingDetails": ad_details(playerName=None)}),  # playerName: XDM relaxed it
        ("error", {"errorDetails": {"name": "e", "source": "player"}}),
        ("bitrateChange", {"qoeDataDetails": {}}),
        ("statesUpdate", {"statesEnd": [{"name": "mute"}]}),
        ("ping", {"qoeDataDetails": {"bitrate": 3000, "droppedFrames": 0}}),
        ("adComplete", {"advertisingDetails": ad_details()}),  # params-unexpected is a warning: accepted
    ]:
        assert post(c, f"/va/v1/{event_type}", event_doc(event_type, sid, mc)).status == 204, event_type


def test_empty_states_update_quotes_adobes_hint() -> None:
    c = MockCollector()
    sid = start(c)
    answer = post(c, "/va/v1/statesUpdate", event_doc("statesUpdate", sid, {"statesStart": []}))
    assert answer.status == 400
    assert details(answer)[0]["reason"].startswith("Unexpected error. Hint: Empty statesUpdate event.")


def test_short_session_id_quotes_invalid_api_sid_length() -> None:
    answer = post(MockCollector(), "/va/v1/play", event_doc("play", "a" * 63))
    assert details(answer) == [{"name": "$.events[0].xdm.mediaCollection.sessionID",
                                "reason": "Unexpected error. Hint: InvalidApiSidLength=63"}]


def test_path_payload_mismatch_is_400_with_a_string_detail_and_changes_nothing() -> None:
    c = MockCollector()
    sid = start(c)
    answer = post(c, "/va/v1/chapterStart", event_doc("adBreakStart", sid,
                                                      {"advertisingPodDetails": {"index": 1, "offset": 0}}))
    assert answer.status == 400
    assert details(answer) == "The payload eventType adBreakStart was different from the path eventType chapterStart"
    start_on_play = post(c, "/va/v1/play", start_doc())
    assert start_on_play.status == 400 and c.session_count == 1
    no_type = event_doc("play", sid)
    del no_type["events"][0]["xdm"]["eventType"]
    assert names(post(c, "/va/v1/play", no_type)) == ["$.events[0].xdm.eventType"]
    assert c.session_status(sid) == "open"
    # the payload type is compared case-insensitively, like the path (the core reads it so too)
    assert post(c, "/va/v1/sessionEnd", event_doc("sessionend", sid)).status == 204
    assert c.session_status(sid) == "sessionEnd"


def test_unknown_endpoint_is_404_and_methods_other_than_post_405() -> None:
    c = MockCollector()
    answer = post(c, "/va/v1/stateStart", event_doc("stateStart", "a" * 64))
    assert answer.status == 404 and answer.header("Content-Type") == "application/problem+json"
    assert post(c, "/va/v1/play", None, raw=b"", method="GET").status == 405
    assert post(c, "/va/v1/play", None, raw=b"", method="GET").header("Allow") == "POST, OPTIONS"


# === gateway answers =======================================================================================
def test_missing_config_id_is_exeg_0002() -> None:
    answer = post(MockCollector(), "/va/v1/sessionStart", start_doc(), query="requestId=r1")
    doc = doc_of(answer)
    assert answer.status == 400 and doc["type"] == "https://ns.adobe.com/aep/errors/EXEG-0002-400"
    assert doc["title"] == "Missing datastream parameter" and doc["report"]["requestId"] == "r1"
    assert post(MockCollector(), "/va/v1/sessionStart", start_doc(), query="configId=").status == 400
    assert post(MockCollector(), "/v1/interact", start_doc(), query="").status == 400


@pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8", "text/plain;charset=UTF-8",
                                   "text/javascript", None])
def test_content_types_the_edge_takes(ctype: str | None) -> None:
    headers = [] if ctype is None else [("Content-Type", ctype)]
    assert post(MockCollector(), "/va/v1/sessionStart", start_doc(), headers=headers).status == 200


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "application/xml", "multipart/form-data"])
def test_other_content_types_are_415(ctype: str) -> None:
    answer = post(MockCollector(), "/va/v1/sessionStart", start_doc(), headers=[("Content-Type", ctype)])
    assert answer.status == 415 and doc_of(answer)["type"].endswith("EXEG-0111-415")


def test_body_over_64_kb_is_413_and_64_kb_is_not() -> None:
    doc = start_doc()
    doc["xdm"]["pad"] = ""
    size = len(json.dumps(doc).encode())
    doc["xdm"]["pad"] = "x" * (64 * 1024 - size)
    assert len(json.dumps(doc).encode()) == 64 * 1024
    assert post(MockCollector(), "/va/v1/sessionStart", doc).status == 200
    doc["xdm"]["pad"] += "x"
    answer = post(MockCollector(), "/va/v1/sessionStart", doc)
    assert answer.status == 413 and doc_of(answer)["type"].endswith("EXEG-0112-413")


@pytest.mark.parametrize(("raw", "status", "code"), [
    (b"", 408, "EXEG-0109-408"),
    (b"{oops", 400, "EXEG-0101-400"),
    (b"\xff\xfe", 400, "EXEG-0101-400"),
    (b"[1, 2]", 400, "va-edge-0400-400"),
    (b'{"events": []}', 400, "va-edge-0400-400"),
    (b'{"events": [{"data": {}}]}', 400, "va-edge-0400-400"),
    (b"null", 400, "va-edge-0400-400"),
])
def test_bodies_that_are_no_edge_request(raw: bytes, status: int, code: str) -> None:
    for segment in ("/va/v1/sessionStart", "/va/v1/play", "/va/v1/downloaded"):
        answer = post(MockCollector(), segment, None, raw=raw)
        assert answer.status == status, (segment, raw)
        assert doc_of(answer)["type"].endswith(code)


def test_interact_bodies_that_are_no_json_are_400_json_without_media_events_200() -> None:
    c = MockCollector()
    assert post(c, "/v1/interact", None, raw=b"{oops").status == 400
    assert post(c, "/v1/interact", None, raw=b'{"events": 3}').status == 200


def test_garbage_never_raises() -> None:
    c = MockCollector()
    sid = start(c)
    garbage: list[Any] = [None, 1, "x", [], {}, {"events": None}, {"events": [None]}, {"events": [{"xdm": []}]},
                          {"events": [{"xdm": {"eventType": "media.play", "mediaCollection": []}}]},
                          {"events": [{"xdm": {"eventType": 5}}]},
                          {"events": [{"xdm": {"eventType": "media.play", "mediaCollection": {"sessionID": [sid]}}}]},
                          {"events": [{"xdm": {"eventType": "media.downloaded", "mediaDownloadedEvents": [1, {}]}}]},
                          {"meta": {"konductorConfig": {"streaming": {"enabled": True, "recordSeparator": 1}}},
                           "events": [{"xdm": {"eventType": "media.sessionStart"}}]}]
    for doc in garbage:
        for segment in ("/va/v1/sessionStart", "/va/v1/play", "/va/v1/downloaded", "/v1/interact", "/va/v1/x"):
            answer = post(c, segment, doc)
            assert answer.status < 500, (segment, doc, answer.body)
    for method in ("", "DELETE", "POST"):
        assert c.handle(method, "", None, None).status in (404, 405)
        assert c.handle(method, "/ee/va/v1/play?configId=x", [("Content-Type", "\x00")], None).status < 500


# === /downloaded ===========================================================================================
def downloaded_doc(items: list[dict[str, Any]] | None = None, identity: bool = True) -> dict[str, Any]:
    cap = EdgeCapture()
    t = 1_700_000_000_000
    if items is None:
        items = [
            {"mediaEventType": "media.sessionStart", "mediaEventTimestamp": iso(t),
             "mediaCollection": {"playhead": 0, "sessionDetails": session_details()}},
            {"mediaEventType": "media.play", "mediaEventTimestamp": iso(t + 1000), "mediaCollection": {"playhead": 0}},
            {"mediaEventType": "media.sessionComplete", "mediaEventTimestamp": iso(t + 60_000),
             "mediaCollection": {"playhead": 59}},
        ]
    return cap.envelope({"eventType": "media.downloaded", "timestamp": iso(t + 70_000),
                         "mediaDownloadedEvents": items}, identity)


def test_downloaded_batch_is_200_with_the_openapi_handles_and_a_closed_session() -> None:
    c = MockCollector()
    answer = post(c, "/va/v1/downloaded", downloaded_doc())
    assert answer.status == 200
    sid = read(answer).session_id
    assert sid is not None and c.session_status(sid) == "downloaded"
    assert post(c, "/va/v1/play", event_doc("play", sid)).status == 404  # complete on arrival


@pytest.mark.parametrize(("change", "name"), [
    (lambda items: items.pop(0), "$.xdm.mediaDownloadedEvents[0].mediaEventType"),
    (lambda items: items[1].pop("mediaEventTimestamp"), "$.xdm.mediaDownloadedEvents[1].mediaEventTimestamp"),
    (lambda items: items[1].update(mediaEventTimestamp=iso(1_699_999_999_000)),
     "$.xdm.mediaDownloadedEvents[1].mediaEventTimestamp"),
    (lambda items: items[1].update(mediaEventType="media.stateStart"), "$.xdm.mediaDownloadedEvents[1].mediaEventType"),
    (lambda items: items[0]["mediaCollection"]["sessionDetails"].pop("length"),
     "$.xdm.mediaDownloadedEvents[0].mediaCollection.sessionDetails.length"),
    (lambda items: items[2]["mediaCollection"].update(playhead=1.5),
     "$.xdm.mediaDownloadedEvents[2].mediaCollection.playhead"),
    (lambda items: items.clear(), "$.xdm.mediaDownloadedEvents"),
])
def test_bad_downloaded_batch_is_207(change: Any, name: str) -> None:
    doc = downloaded_doc()
    change(doc["events"][0]["xdm"]["mediaDownloadedEvents"])
    c = MockCollector()
    answer = post(c, "/va/v1/downloaded", doc)
    assert answer.status == 207, answer.body
    (error,) = doc_of(answer)["errors"]
    assert name in [d["name"] for d in error["report"]["details"]]
    assert c.session_count == 0 and read(answer).session_id is None


def test_downloaded_needs_an_identity_and_the_downloaded_event_type() -> None:
    answer = post(MockCollector(), "/va/v1/downloaded", downloaded_doc(identity=False))
    assert answer.status == 207
    assert doc_of(answer)["errors"][0]["report"]["details"] == [
        {"name": "$.xdm.identityMap", "reason": "Missing required field"}]
    doc = downloaded_doc()
    doc["events"][0]["xdm"]["eventType"] = "media.sessionStart"
    answer = post(MockCollector(), "/va/v1/downloaded", doc)
    assert answer.status == 207


# === CORS ==================================================================================================
def test_preflight_and_answers_echo_the_origin_for_credentialed_requests() -> None:
    c = MockCollector()
    pre = c.handle("OPTIONS", "/ee/or2/va/v1/play?configId=x",
                   [("Origin", "https://www.example.com"), ("Access-Control-Request-Method", "POST"),
                    ("Access-Control-Request-Headers", "content-type")], b"")
    assert pre.status == 200 and pre.body == b""
    assert pre.header("Access-Control-Allow-Origin") == "https://www.example.com"
    assert pre.header("Access-Control-Allow-Credentials") == "true"
    assert "POST" in (pre.header("Access-Control-Allow-Methods") or "")
    assert pre.header("Access-Control-Allow-Headers") == "content-type"
    answer = post(c, "/va/v1/sessionStart", start_doc(), headers=[("Origin", "https://www.example.com"),
                                                                 ("Content-Type", "text/plain; charset=UTF-8")])
    assert answer.status == 200 and answer.header("Access-Control-Allow-Origin") == "https://www.example.com"
    sid = read(answer).session_id
    ev = post(c, "/va/v1/play", event_doc("play", sid), headers=[("Origin", "https://a.test")])
    assert ev.status == 204 and ev.header("Access-Control-Allow-Origin") == "https://a.test"
    plain = post(c, "/va/v1/play", event_doc("play", sid))  # no Origin: no browser, any origin will do
    assert plain.header("Access-Control-Allow-Origin") == "*"
    assert plain.header("Access-Control-Allow-Credentials") is None


# === the core judges what the mock answered ================================================================
def test_a_clean_sdk_like_session_through_the_mock_is_judged_clean() -> None:
    cap = edge_vod(MockEdgeCapture())
    assert {a.status for a in cap.answers} == {200, 204}, [a.body for a in cap.answers if a.status >= 300]
    assert cap.hint == "or2" and all("/ee/or2/" in ex.url for ex in cap.exchanges[1:])
    an = cap.analyze()
    (session,) = an.sessions
    loud = [(f.rule, f.message) for f in an.all_findings() if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert loud == []
    assert session.sid == cap.sid


def test_a_refused_event_through_the_mock_is_judged_as_refused() -> None:
    cap = MockEdgeCapture()
    cap.start()
    cap.ev("play", dt=10)
    cap.ev("chapterStart", dt=1000, mc={"chapterDetails": {"index": 1}})  # the Edge answers 400
    cap.ev("ping", dt=10_000, sid="f" * 64)  # unknown: 404
    assert [a.status for a in cap.answers] == [200, 204, 400, 404]
    rules = {f.rule for f in cap.analyze().all_findings()}
    assert {"chapter-start-params", "http-rejected", "session-gone"} <= rules
