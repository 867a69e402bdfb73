"""MockCollector: every branch of the request -> response logic."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mcscope.sim.collector import EVENT_TYPES, MockCollector, MockResponse
from tests.builder import override
from tests.edge_builder import EdgeCapture, session_details

TS = 1_700_000_000_000


def start_params(**over: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "analytics.trackingServer": "example.sc.omtrdc.net",
        "analytics.reportSuite": "rsid",
        "analytics.enableSSL": True,
        "visitor.marketingCloudOrgId": "ABC@AdobeOrg",
        "visitor.marketingCloudUserId": "123",
        "media.id": "vid-1",
        "media.name": "Video",
        "media.length": 600,
        "media.contentType": "vod",
        "media.streamType": "video",
        "media.playerName": "test",
        "media.channel": "web",
    }
    return override(params, over)


def event(event_type: str, ts: int = TS, playhead: float = 0, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"eventType": event_type, "playerTime": {"playhead": playhead, "ts": ts}}
    doc.update(extra)
    return doc


def post(c: MockCollector, path: str, doc: Any) -> MockResponse:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return c.handle("POST", path, [("Content-Type", "application/json")], body)


def start(c: MockCollector, prefix: str = "") -> str:
    resp = post(c, f"{prefix}/api/v1/sessions", event("sessionStart", params=start_params()))
    assert resp.status == 201, resp.body
    location = resp.header("Location")
    assert location is not None
    m = re.fullmatch(r"/api/v1/sessions/([0-9a-f]{64})", location)
    assert m
    return m.group(1)


def message(resp: MockResponse) -> str:
    return json.loads(resp.body)["message"]


def test_session_start_201_headers() -> None:
    c = MockCollector()
    resp = post(c, "/api/v1/sessions", event("sessionStart", params=start_params()))
    assert resp.status == 201
    assert resp.body == b""
    assert resp.header("content-type") == "application/octet-stream"
    assert resp.header("Access-Control-Allow-Origin") == "*"
    assert resp.header("Access-Control-Allow-Methods") == "OPTIONS,POST,PUT"
    assert resp.header("Access-Control-Allow-Headers") == "Content-Type"
    assert resp.header("Access-Control-Expose-Headers") == "Location"
    assert re.fullmatch(r"/api/v1/sessions/[0-9a-f]{64}", resp.header("Location") or "")


def test_new_sid_each_time() -> None:
    c = MockCollector()
    assert start(c) != start(c)
    assert c.session_count == 2


def test_any_prefix_host_and_query() -> None:
    c = MockCollector()
    sid = start(c, prefix="/collector/x")
    assert post(c, f"/other/api/v1/sessions/{sid}/events?x=1", event("play", TS + 1)).status == 204
    assert post(c, f"http://h.example:8080/api/v1/sessions/{sid}/events", event("ping", TS + 2)).status == 204


def test_event_204_unknown_404_after_end_410() -> None:
    c = MockCollector()
    sid = start(c)
    path = f"/api/v1/sessions/{sid}/events"
    resp = post(c, path, event("play", TS + 1))
    assert (resp.status, resp.body) == (204, b"")
    assert post(c, path, event("sessionEnd", TS + 2)).status == 204
    assert c.session_status(sid) == "sessionEnd"
    assert post(c, path, event("ping", TS + 3)).status == 410
    assert post(c, "/api/v1/sessions/deadbeef/events", event("ping", TS)).status == 404
    assert c.session_status("deadbeef") is None


def test_idle_timeout_on_ts_gives_410() -> None:
    c = MockCollector()
    sid = start(c)
    path = f"/api/v1/sessions/{sid}/events"
    assert post(c, path, event("play", TS + 1)).status == 204
    assert post(c, path, event("ping", TS + 1 + 600_001, playhead=600)).status == 410
    assert c.session_status(sid) == "idle timeout"
    assert post(c, path, event("ping", TS + 610_000, playhead=610)).status == 410


def test_playhead_timeout_gives_410() -> None:
    c = MockCollector()
    sid = start(c)
    path = f"/api/v1/sessions/{sid}/events"
    for i in range(1, 182):  # the playhead moved at the first ping; the last is exactly 30 min later
        assert post(c, path, event("ping", TS + i * 10_000, playhead=5)).status == 204
    assert post(c, path, event("ping", TS + 181 * 10_000 + 1, playhead=5)).status == 410  # 30:00.001
    assert c.session_status(sid) == "playhead timeout"


def test_timeouts_can_be_disabled() -> None:
    c = MockCollector(idle_timeout_ms=None, playhead_timeout_ms=None)
    sid = start(c)
    assert post(c, f"/api/v1/sessions/{sid}/events", event("ping", TS + 10**9)).status == 204


def test_downloaded_201_and_rejections() -> None:
    c = MockCollector()
    batch = [
        event("sessionStart", params=start_params()),
        event("play", TS + 1),
        event("sessionComplete", TS + 2),
    ]
    assert post(c, "/api/v1/downloaded", batch).status == 201
    assert post(c, "/api/v1/downloaded", batch[1:]).status == 400
    assert post(c, "/api/v1/downloaded", []).status == 400
    assert post(c, "/api/v1/downloaded", batch[0]).status == 400
    assert post(c, "/api/v1/downloaded", [batch[0], "x"]).status == 400
    assert post(c, "/api/v1/downloaded", [batch[0], event("play", "1")]).status == 400
    assert post(c, "/api/v1/downloaded", [batch[0], batch[0]]).status == 400


def test_legacy_array_on_sessions() -> None:
    c = MockCollector()
    batch = [event("sessionStart", params=start_params()), event("play", TS + 1)]
    resp = post(c, "/api/v1/sessions", batch)
    assert resp.status == 400
    assert "media.downloaded" in message(resp)
    batch[0]["params"]["media.downloaded"] = True
    resp = post(c, "/api/v1/sessions", batch)
    assert resp.status == 201
    sid = (resp.header("Location") or "").rsplit("/", 1)[1]
    assert post(c, f"/api/v1/sessions/{sid}/events", event("ping", TS + 5)).status == 410


def test_downloaded_flag_on_realtime_session_400() -> None:
    c = MockCollector()
    resp = post(c, "/api/v1/sessions", event("sessionStart", params=start_params(media__downloaded=True)))
    assert resp.status == 400


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2",
        b"NaN",
        b'"a string"',
        b"42",
        b"null",
    ],
)
def test_garbage_bodies_400_with_message(body: bytes) -> None:
    c = MockCollector()
    resp = post(c, "/api/v1/sessions", body)
    assert resp.status == 400
    assert resp.header("Content-Type") == "application/json"
    assert message(resp)
    sid = start(c)
    assert post(c, f"/api/v1/sessions/{sid}/events", body).status == 400


BAD_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("missing eventType", {"playerTime": {"playhead": 0, "ts": TS}}),
    ("eventType not a string", {"eventType": 3, "playerTime": {"playhead": 0, "ts": TS}}),
    ("unknown eventType", event("pause")),
    ("missing playerTime", {"eventType": "play"}),
    ("playerTime not an object", {"eventType": "play", "playerTime": [0, TS]}),
    ("missing playhead", {"eventType": "play", "playerTime": {"ts": TS}}),
    ("missing ts", {"eventType": "play", "playerTime": {"playhead": 0}}),
    ("extra playerTime key", {"eventType": "play", "playerTime": {"playhead": 0, "ts": TS, "x": 1}}),
    ("playhead string", event("play", playhead="12")),  # type: ignore[arg-type]
    ("playhead bool", event("play", playhead=True)),
    ("ts float", event("play", ts=TS + 0.5)),  # type: ignore[arg-type]
    ("ts string", event("play", ts=str(TS))),  # type: ignore[arg-type]
    ("ts bool", event("play", ts=True)),  # type: ignore[arg-type]
    ("unknown top-level key", event("play", extra=1)),
    ("params not object", event("play", params=[1])),
    ("qoeData not object", event("play", qoeData="x")),
    ("bare bitrate qoe key", event("bitrateChange", qoeData={"bitrate": 2000})),
    ("qoe bitrate float", event("bitrateChange", qoeData={"media.qoe.bitrate": 2000.5})),
    ("qoe errorID not string", event("error", qoeData={"media.qoe.errorID": 5})),
    ("customMetadata not object", event("adStart", customMetadata="x")),
    ("customMetadata bad key", event("play", customMetadata={"a b": "x"})),
    ("customMetadata non-string", event("play", customMetadata={"k": 1})),
    ("adBreakStart without params", event("adBreakStart")),
    ("adBreakStart missing podSecond", event("adBreakStart", params={"media.ad.podIndex": 1})),
    (
        "adStart podPosition float",
        event(
            "adStart",
            params={
                "media.ad.id": "a",
                "media.ad.length": 15,
                "media.ad.podPosition": 1.5,
                "media.ad.playerName": "p",
            },
        ),
    ),
    (
        "chapterStart missing length",
        event("chapterStart", params={"media.chapter.index": 1, "media.chapter.offset": 0}),
    ),
    ("stateStart name not string", event("stateStart", params={"media.state.name": 1})),
    ("statesUpdate malformed", event("statesUpdate", params={"statesStart": [{"name": "mute"}]})),
    ("statesUpdate without params", event("statesUpdate")),
    ("sessionStart on events", event("sessionStart", params=start_params())),
]


@pytest.mark.parametrize("doc", [d for _, d in BAD_EVENTS], ids=[n for n, _ in BAD_EVENTS])
def test_invalid_events_400(doc: dict[str, Any]) -> None:
    c = MockCollector()
    sid = start(c)
    resp = post(c, f"/api/v1/sessions/{sid}/events", doc)
    assert resp.status == 400
    assert isinstance(message(resp), str) and message(resp)
    # a rejected event does not close or alter the session
    assert post(c, f"/api/v1/sessions/{sid}/events", event("ping", TS + 10)).status == 204


GOOD_EVENTS: list[dict[str, Any]] = [
    event("play", playhead=1.5, qoeData={"media.qoe.bitrate": 2_000_000, "media.qoe.timeToStart": 800}),
    event("ping", params={}),
    event("adBreakStart", params={"media.ad.podIndex": 1, "media.ad.podSecond": 0.0}),
    event(
        "adStart",
        params={
            "media.ad.id": "a",
            "media.ad.length": 15,
            "media.ad.podPosition": 1,
            "media.ad.playerName": "p",
        },
        customMetadata={"campaign.x": "y"},
    ),
    event(
        "chapterStart",
        params={"media.chapter.index": 1, "media.chapter.offset": 0, "media.chapter.length": 9.5},
    ),
    event("stateStart", params={"media.state.name": "mute"}),
    event("statesUpdate", params={"statesStart": [{"media.state.name": "fullscreen"}], "statesEnd": []}),
    event("error", qoeData={"media.qoe.errorID": "E1", "media.qoe.errorSource": "player"}),
]


@pytest.mark.parametrize("doc", GOOD_EVENTS, ids=[d["eventType"] for d in GOOD_EVENTS])
def test_valid_events_204(doc: dict[str, Any]) -> None:
    c = MockCollector()
    sid = start(c)
    assert post(c, f"/api/v1/sessions/{sid}/events", doc).status == 204


@pytest.mark.parametrize(
    "params",
    [
        start_params(media__channel=None),
        start_params(analytics__reportSuite=None),
        start_params(visitor__marketingCloudOrgId=""),
        start_params(media__length="600"),
        start_params(analytics__enableSSL="true"),
        start_params(visitor__aamLocationHint="9"),
        start_params(media__resume="false"),
    ],
)
def test_session_start_param_rejections(params: dict[str, Any]) -> None:
    c = MockCollector()
    resp = post(c, "/api/v1/sessions", event("sessionStart", params=params))
    assert resp.status == 400
    assert message(resp)
    assert c.session_count == 0


def test_sessions_wrong_event_and_missing_params() -> None:
    c = MockCollector()
    assert post(c, "/api/v1/sessions", event("play")).status == 400
    assert post(c, "/api/v1/sessions", event("sessionStart")).status == 400


def test_unknown_session_start_params_are_tolerated() -> None:
    c = MockCollector()
    resp = post(c, "/api/v1/sessions", event("sessionStart", params=start_params(media__show="x")))
    assert resp.status == 201


def test_options_preflight() -> None:
    c = MockCollector()
    for path in ("/api/v1/sessions", "/api/v1/sessions/abc/events", "/api/v1/downloaded"):
        resp = c.handle("OPTIONS", path, {}, b"")
        assert resp.status == 200
        assert resp.header("Access-Control-Allow-Methods") == "OPTIONS,POST,PUT"
        assert resp.header("Access-Control-Expose-Headers") == "Location"


def test_schemas() -> None:
    c = MockCollector()
    for event_type in EVENT_TYPES:
        resp = c.handle("GET", f"/api/v1/schemas/{event_type}", None, b"")
        assert resp.status == 200
        assert resp.header("Content-Type") == "application/json"
        schema = json.loads(resp.body)
        assert schema["$schema"].startswith("http://json-schema.org/draft-04")
        assert schema["properties"]["eventType"]["enum"] == [event_type]
    assert c.handle("GET", "/api/v1/schemas/nope", None, b"").status == 404


def test_schema_is_valid_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    c = MockCollector()
    schema = json.loads(c.handle("GET", "/api/v1/schemas/sessionStart", None, b"").body)
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.validate(event("sessionStart", params=start_params()), schema)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/sessions"),
        ("PUT", "/api/v1/sessions"),
        ("DELETE", "/api/v1/sessions/abc/events"),
        ("POST", "/api/v2/sessions"),
        ("POST", "/"),
        ("POST", ""),
        ("POST", "/api/v1/sessions/abc"),
        ("POST", "/api/v1/schemas/ping"),
        ("GET", "/favicon.ico"),
    ],
)
def test_everything_else_404(method: str, path: str) -> None:
    c = MockCollector()
    assert c.handle(method, path, None, b"{}").status == 404


@pytest.mark.parametrize("headers", [None, {}, [("a", "b")], "garbage", 5])
def test_garbage_arguments_never_raise(headers: Any) -> None:
    c = MockCollector()
    for method, path, body in [(None, None, None), ("POST", "/api/v1/sessions", None), (b"X", 3, b"{")]:
        resp = c.handle(method, path, headers, body)  # type: ignore[arg-type]
        assert isinstance(resp, MockResponse)
        assert 200 <= resp.status < 600


def test_deeply_nested_json_is_rejected_not_raised() -> None:
    c = MockCollector()
    body = b"[" * 100_000 + b"]" * 100_000
    assert post(c, "/api/v1/sessions", body).status == 400


def test_max_sessions_forgets_oldest() -> None:
    c = MockCollector(max_sessions=2)
    first = start(c)
    start(c)
    start(c)
    assert c.session_count == 2
    assert post(c, f"/api/v1/sessions/{first}/events", event("ping", TS + 1)).status == 404


def test_sid_factory_collision_is_resolved() -> None:
    c = MockCollector(sid_factory=lambda: "a" * 64)
    assert start_sid_raw(c) != start_sid_raw(c)


def start_sid_raw(c: MockCollector) -> str:
    resp = post(c, "/api/v1/sessions", event("sessionStart", params=start_params()))
    return (resp.header("Location") or "").rsplit("/", 1)[1]


# ---------------------------------------------------------------------------------------------- Media Edge API
def edge_start(c: MockCollector) -> str:
    cap = EdgeCapture()
    doc = cap.envelope(cap.xdm("sessionStart", 0, {"sessionDetails": session_details()}))
    del doc["meta"]  # a plain JSON answer
    resp = c.handle("POST", "/ee/va/v1/sessionStart?configId=cfg", [("Content-Type", "application/json")],
                    json.dumps(doc).encode())
    assert resp.status == 200, resp.body
    (handle,) = [h for h in json.loads(resp.body)["handle"] if h["type"] == "media-analytics:new-session"]
    return str(handle["payload"][0]["sessionId"])


def test_edge_paths_go_to_the_edge_mock_with_sessions_of_their_own() -> None:
    c = MockCollector(sid_factory=iter(f"{n:064x}" for n in range(1, 10)).__next__)
    rest = start(c)
    edge = edge_start(c)
    assert (rest, edge) == (f"{1:064x}", f"{2:064x}")  # one id factory, two stores
    assert c.session_count == 2 and c.session_status(edge) == "open" and c.edge.session_status(edge) == "open"
    assert c.edge.session_status(rest) is None
    # a REST id is no Edge session and an Edge id no REST session
    xdm = {"eventType": "media.play", "timestamp": "2023-11-14T22:13:21.000Z",
           "mediaCollection": {"sessionID": rest, "playhead": 0}}
    resp = c.handle("POST", "/ee/va/v1/play?configId=cfg", [], json.dumps({"events": [{"xdm": xdm}]}).encode())
    assert resp.status == 404 and b"va-edge-0404-404" in resp.body
    assert post(c, f"/api/v1/sessions/{edge}/events", event("play")).status == 404
    assert post(c, f"/api/v1/sessions/{rest}/events", event("play")).status == 204
    assert c.requests == 5


def test_edge_and_rest_look_alike_paths_stay_apart() -> None:
    c = MockCollector()
    # /api/v1 under an /ee prefix is REST; /va/v1 without /ee is neither
    assert post(c, "/ee/api/v1/sessions", event("sessionStart", params=start_params())).status == 201
    assert post(c, "/va/v1/play", {"events": []}).status == 404
    assert c.handle("POST", "/EE/VA/V1/PLAY", [], b"{}").status == 400  # an Edge path: no configId
