"""sim/edge_wire.py: the model -> XDM encoding and the Edge client's state (session id, hint, failures)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mcscope.core.edge_event import to_model
from mcscope.core.model import HttpResponse
from mcscope.sim.edge_wire import MEDIA_SDK, WEB_SDK, EdgeClient, EdgeWire, iso, to_xdm
from mcscope.sim.script import Player, Step, Tweak, base_params, event_body

T0 = 1_767_225_600_000
SID = "ab" * 32


def answer(sid: str | None = SID, hint: str | None = "or2", status: int = 200, errors: Any = None,
           request_id: str = "req-1") -> HttpResponse:
    handles: list[dict[str, Any]] = []
    if sid is not None:
        handles.append({"payload": [{"sessionId": sid}], "type": "media-analytics:new-session", "eventIndex": 0})
    if hint:
        handles.append({"payload": [{"scope": "EdgeNetwork", "hint": hint, "ttlSeconds": 1800}],
                        "type": "locationHint:result"})
    doc: dict[str, Any] = {"requestId": request_id, "handle": handles}
    if errors:
        doc["errors"] = errors
    return HttpResponse(status, [("Content-Type", "application/json")],
                        ("\u0000" + json.dumps(doc) + "\n").encode())


def start_step(tweak: Tweak | None = None) -> Step:
    return Step(0.0, "sessions", event_body("sessionStart", 0, T0, base_params()), tweak=tweak)


def event_step(event_type: str = "play", tweak: Tweak | None = None, sid: str | None = None) -> Step:
    return Step(1.0, "events", event_body(event_type, 1.5, T0 + 1000), sid, tweak)


def xdm_of(body: bytes) -> dict[str, Any]:
    xdm: dict[str, Any] = json.loads(body)["events"][0]["xdm"]
    return xdm


def started(client: EdgeClient = MEDIA_SDK, **kw: Any) -> EdgeWire:
    wire = EdgeWire(client)
    assert wire.request(start_step()) is not None
    assert wire.answer(start_step(), answer(**kw)) is None
    return wire


# --- encoding -------------------------------------------------------------------------------------------------
def test_iso_has_milliseconds_and_utc() -> None:
    assert iso(T0) == "2026-01-01T00:00:00.000Z"
    assert iso(T0 + 61_007) == "2026-01-01T00:01:01.007Z"


def test_session_start_maps_params_to_session_details() -> None:
    doc = event_body("sessionStart", 12.7, T0, base_params(**{"media.length": 600.0, "media.resume": True}),
                     {"media.qoe.bitrate": 2_500_000, "media.qoe.timeToStart": 850}, {"show": "S"})
    xdm = to_xdm(doc)
    mc = xdm["mediaCollection"]
    assert xdm["eventType"] == "media.sessionStart" and xdm["timestamp"] == iso(T0)
    assert mc["playhead"] == 12  # integer seconds, truncated as the SDKs do
    details = mc["sessionDetails"]
    assert details["name"] == "demo-video" and details["friendlyName"] == "Demo video"
    assert details["length"] == 600 and isinstance(details["length"], int)
    assert details["hasResume"] is True and details["playerName"] == "mcscope-simulator"
    assert not any(k.startswith(("analytics", "visitor")) for k in details)  # datastream config, not payload
    assert mc["qoeDataDetails"] == {"bitrate": 2500, "timeToStart": 1}  # kbps and seconds on Edge
    assert mc["customMetadata"] == [{"name": "_mcscope.show", "value": "S"}]
    assert to_xdm(doc, tenant=None)["mediaCollection"]["customMetadata"] == [{"name": "show", "value": "S"}]


@pytest.mark.parametrize(
    ("event_type", "params", "qoe", "key", "expected"),
    [
        ("adBreakStart", {"media.ad.podIndex": 1, "media.ad.podSecond": 300.0, "media.ad.podFriendlyName": "mid"},
         None, "advertisingPodDetails", {"index": 1, "offset": 300, "friendlyName": "mid"}),
        ("adStart", {"media.ad.id": "a1", "media.ad.length": 15.0, "media.ad.podPosition": 2,
                     "media.ad.playerName": "ads", "media.ad.name": "Ad a1"}, None, "advertisingDetails",
         {"name": "a1", "length": 15, "podPosition": 2, "playerName": "ads", "friendlyName": "Ad a1"}),
        ("chapterStart", {"media.chapter.index": 1, "media.chapter.offset": 0.0, "media.chapter.length": 120},
         None, "chapterDetails", {"index": 1, "offset": 0, "length": 120}),
        ("error", None, {"media.qoe.errorID": "NET-1", "media.qoe.errorSource": "player"}, "errorDetails",
         {"name": "NET-1", "source": "player"}),
        ("stateStart", {"media.state.name": "mute"}, None, "statesStart", [{"name": "mute"}]),
        ("stateEnd", {"media.state.name": "mute"}, None, "statesEnd", [{"name": "mute"}]),
        ("bitrateChange", None, {"media.qoe.bitrate": 4_000_000}, "qoeDataDetails", {"bitrate": 4000}),
    ],
)
def test_detail_objects(event_type: str, params: Any, qoe: Any, key: str, expected: Any) -> None:
    mc = to_xdm(event_body(event_type, 10, T0, params, qoe))["mediaCollection"]
    assert mc[key] == expected
    if event_type == "error":
        assert "qoeDataDetails" not in mc  # the error id is no QoE value on Edge


def test_states_become_states_update() -> None:
    assert to_xdm(event_body("stateStart", 1, T0, {"media.state.name": "mute"}))["eventType"] == "media.statesUpdate"


def test_encoding_round_trips_through_the_core_reading() -> None:
    """The core's Edge -> model mapping (edge_event.to_model) reads back what the encoder wrote."""
    doc = event_body("adStart", 30, T0, {"media.ad.id": "a1", "media.ad.length": 15, "media.ad.podPosition": 1,
                                         "media.ad.playerName": "ads"}, None, {"campaign": "c"})
    body, raw, problem = to_model(to_xdm(doc, tenant=None))
    assert raw == "media.adStart" and problem is None
    assert body is not None
    assert body["params"] == doc["params"] and body["playerTime"] == doc["playerTime"]
    assert body["customMetadata"] == {"campaign": "c"}


def test_faulty_values_pass_through_unchanged() -> None:
    """Strings where numbers belong, bad ts and unknown QoE keys are sent as the script wrote them."""
    doc = event_body("sessionStart", "12", 1.5, base_params(**{"media.length": "600"}), {"bitrate": 2000})
    xdm = to_xdm(doc)
    assert xdm["mediaCollection"]["playhead"] == "12" and xdm["timestamp"] == 1.5
    assert xdm["mediaCollection"]["sessionDetails"]["length"] == "600"
    assert xdm["mediaCollection"]["qoeDataDetails"] == {"bitrate": 2}


# --- the client's state ---------------------------------------------------------------------------------------
def test_events_wait_for_the_session_id_and_carry_it() -> None:
    wire = EdgeWire(MEDIA_SDK)
    start = wire.request(start_step())
    assert start is not None and start.path.startswith("/ee/va/v1/sessionStart?configId=")
    assert "sessionID" not in xdm_of(start.body)["mediaCollection"]
    assert wire.request(event_step()) is None  # no id yet: not sent
    wire.answer(start_step(), answer())
    play = wire.request(event_step())
    assert play is not None and wire.sid == SID
    assert play.path.startswith("/ee/or2/va/v1/play?configId=")  # the answer's hint
    assert xdm_of(play.body)["mediaCollection"]["sessionID"] == SID
    body = json.loads(play.body)
    assert body["xdm"]["identityMap"]["ECID"][0]["id"] == base_params()["visitor.marketingCloudUserId"]


def test_a_hint_the_start_was_sent_under_stays() -> None:
    wire = started(EdgeClient("hinted", hint="va6"), hint="or2")
    request = wire.request(event_step())
    assert request is not None and request.path.startswith("/ee/va6/va/v1/play")


def test_no_hint_in_the_answer_no_hint_after() -> None:
    request = started(hint=None).request(event_step())
    assert request is not None and request.path.startswith("/ee/va/v1/play")


@pytest.mark.parametrize(("status", "errors"), [
    (207, [{"type": "https://ns.adobe.com/aep/errors/va-edge-0400-400", "status": 400}]),
    (400, None), (415, None), (500, None),
])
def test_failed_start_drops_every_later_event(status: int, errors: Any) -> None:
    wire = EdgeWire(MEDIA_SDK)
    wire.request(start_step())
    assert wire.answer(start_step(), answer(sid=None, status=status, errors=errors)) is None
    assert wire.request(event_step()) is None and wire.sid is None


def test_a_207_with_only_upstream_errors_still_opens_the_session() -> None:
    wire = started(status=207, errors=[{"type": "https://ns.adobe.com/aep/errors/EXEG-0201-503", "status": 503}])
    assert wire.sid == SID and wire.request(event_step()) is not None


def test_200_without_a_session_handle_is_a_failure() -> None:
    wire = EdgeWire(MEDIA_SDK)
    wire.request(start_step())
    failure = wire.answer(start_step(), answer(sid=None))
    assert failure and "media-analytics:new-session" in failure
    assert wire.request(event_step()) is None


def test_web_sdk_starts_through_interact() -> None:
    wire = EdgeWire(WEB_SDK)
    start = wire.request(start_step())
    assert start is not None and start.path.startswith("/ee/v1/interact?configId=")
    assert start.headers == [("Content-Type", "text/plain; charset=UTF-8")]
    body = json.loads(start.body)
    assert body["events"][0]["xdm"]["eventType"] == "media.sessionStart"
    assert body["meta"]["state"]["entries"][0]["key"] == "kndctr_0123456789ABCDEF01234567_AdobeOrg_identity"
    wire.answer(start_step(), answer())
    play = wire.request(event_step())
    assert play is not None and play.path.startswith("/ee/or2/va/v1/play")


def test_tweaks() -> None:
    wire = started()
    edit_seen: list[dict[str, Any]] = []

    def edit(body: dict[str, Any]) -> None:
        edit_seen.append(body)
        body["events"][0]["xdm"]["eventType"] = "media.oops"

    tweak = Tweak(content_type="text/html", path="pauseStart", query="", hint="", edit=edit)
    request = wire.request(event_step(tweak=tweak))
    assert request is not None
    assert request.path == "/ee/va/v1/pauseStart" and request.headers == [("Content-Type", "text/html")]
    assert xdm_of(request.body)["eventType"] == "media.oops" and edit_seen
    omitted = wire.request(event_step(tweak=Tweak(session_id="omit")))
    assert omitted is not None and "sessionID" not in xdm_of(omitted.body)["mediaCollection"]
    by_request_id = wire.request(event_step(tweak=Tweak(session_id="request-id")))
    assert by_request_id is not None and xdm_of(by_request_id.body)["mediaCollection"]["sessionID"] == "req-1"
    fixed = wire.request(event_step(sid="f" * 64))
    assert fixed is not None and xdm_of(fixed.body)["mediaCollection"]["sessionID"] == "f" * 64


def test_omit_sends_even_without_a_session_but_request_id_needs_an_answer() -> None:
    wire = EdgeWire(MEDIA_SDK)
    assert wire.request(event_step(tweak=Tweak(session_id="omit"))) is not None
    assert wire.request(event_step(tweak=Tweak(session_id="request-id"))) is None


def test_bytes_bodies_go_out_verbatim() -> None:
    request = started().request(Step(1.0, "events", b"not json", tweak=Tweak(path="ping")))
    assert request is not None and request.body == b"not json" and "/va/v1/ping" in request.path


def test_garbage_answers_never_raise() -> None:
    for body in (b"", b"\x00\x00", b"{", b"[1,2]", b'{"handle": 5}', b'{"handle": [{"type": 1}]}'):
        wire = EdgeWire(MEDIA_SDK)
        wire.request(start_step())
        assert wire.answer(start_step(), HttpResponse(200, [], body))  # unusable: a failure, no traceback
        assert wire.request(event_step()) is None


def test_player_restart_pings_times_pings_from_the_previous_event() -> None:
    p = Player(T0, restart_pings=True)
    p.start()
    p.play()
    p.content(4)
    p.bitrate(1_000_000)
    p.content(12)
    pings = [s.at for s in p.steps if s.body["eventType"] == "ping"]
    assert pings == [14.001]  # 10 s after the bitrateChange at 4.001, not 10 s after play at 0.001
    q = Player(T0)
    q.start()
    q.play()
    q.content(4)
    q.bitrate(1_000_000)
    q.content(12)
    assert [s.at for s in q.steps if s.body["eventType"] == "ping"] == [10.001]
