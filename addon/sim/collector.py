"""A mock Adobe Media Collection API collector: pure request -> response logic, no I/O.

``MockCollector.handle(method, path, headers, body)`` answers like the real collector
(``{namespace}.hb-api.omtrdc.net``) as documented in the spec dossier (mcapi.md §1.2, §2, §4, §8):

* ``POST …/api/v1/sessions`` with a valid ``sessionStart`` -> ``201``, empty body,
  ``Location: /api/v1/sessions/<64 hex>`` and the CORS headers browser players depend on;
* ``POST …/api/v1/sessions/{sid}/events`` -> ``204`` (known sid), ``404`` (unknown sid),
  ``410`` (session closed by ``sessionEnd`` or by the idle / playhead timeouts, measured on ``ts``);
* ``POST …/api/v1/downloaded`` with an array starting with ``sessionStart`` -> ``201``;
* ``400`` with ``{"message": "…"}`` for bodies that fail the per-request schema validation;
* ``OPTIONS`` preflight -> ``200`` with CORS headers; ``GET …/api/v1/schemas/{eventType}`` -> a small
  draft-04 JSON schema; anything else -> ``404``.

Media Edge API paths (``/ee[/{hint}]/va/v1/{eventType}``, ``/ee-pre-prd/…``, ``/ee[/{hint}]/v1/interact``, any
case) are answered by :class:`~mcscope.sim.edge_collector.EdgeCollector` (:attr:`MockCollector.edge`), whose
sessions live in a store of their own with the same idle and playhead timeouts (plus Edge's 24 h limit).

The same object is used by the standalone mock server (``sim/mockserver.py``, ``mcscope mock-collector``) and
by the proxy addon's mock mode (``live/mock.py``), so both answer identically. It never raises on garbage input.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from mcscope.core.edge_exchange import is_edge_path
from mcscope.core.model import HttpResponse
from mcscope.sim.edge_collector import EdgeCollector
from mcscope.sim.sessions import (
    IDLE_TIMEOUT_MS,
    MAX_AGE_MS,
    PLAYHEAD_TIMEOUT_MS,
    SessionState,
    SessionStore,
    new_sid,
)

__all__ = ["MockCollector", "MockResponse", "EVENT_TYPES", "CORS_HEADERS"]

EVENT_TYPES: frozenset[str] = frozenset(
    {
        "sessionStart",
        "sessionComplete",
        "sessionEnd",
        "play",
        "ping",
        "pauseStart",
        "bufferStart",
        "bitrateChange",
        "error",
        "adBreakStart",
        "adBreakComplete",
        "adStart",
        "adComplete",
        "adSkip",
        "chapterStart",
        "chapterComplete",
        "chapterSkip",
        "stateStart",
        "stateEnd",
        "statesUpdate",
    }
)

CORS_HEADERS: list[tuple[str, str]] = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "OPTIONS,POST,PUT"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Expose-Headers", "Location"),
]

_TOP_LEVEL_KEYS = frozenset({"playerTime", "eventType", "params", "qoeData", "customMetadata"})
_QOE_INT_KEYS = frozenset(
    {"media.qoe.bitrate", "media.qoe.droppedFrames", "media.qoe.framesPerSecond", "media.qoe.timeToStart"}
)
_QOE_STR_KEYS = frozenset({"media.qoe.errorID", "media.qoe.errorSource"})
_META_KEY = re.compile(r"^[a-zA-Z0-9_.]+$")

# JSON type names used in the parameter tables below.
_STR, _NUM, _INT, _BOOL, _OBJ = "string", "number", "integer", "boolean", "object"

_SESSION_START_REQUIRED: dict[str, str] = {
    "analytics.trackingServer": _STR,
    "analytics.reportSuite": _STR,
    "visitor.marketingCloudOrgId": _STR,
    "media.id": _STR,
    "media.length": _NUM,
    "media.contentType": _STR,
    "media.playerName": _STR,
    "media.channel": _STR,
}
_SESSION_START_OPTIONAL: dict[str, str] = {
    "analytics.enableSSL": _BOOL,
    "analytics.visitorId": _STR,
    "analytics.aid": _STR,
    "analytics.optOutServerSideForwarding": _BOOL,
    "analytics.optOutShare": _BOOL,
    "visitor.marketingCloudUserId": _STR,
    "visitor.aamLocationHint": _INT,
    "visitor.customerIDs": _OBJ,
    "appInstallationId": _STR,
    "media.name": _STR,
    "media.streamType": _STR,
    "media.resume": _BOOL,
    "media.downloaded": _BOOL,
    "media.sdkVersion": _STR,
    "media.libraryVersion": _STR,
    "media.version": _STR,
}
_REQUIRED_PARAMS: dict[str, dict[str, str]] = {
    "adBreakStart": {"media.ad.podIndex": _INT, "media.ad.podSecond": _NUM},
    "adStart": {
        "media.ad.id": _STR,
        "media.ad.length": _NUM,
        "media.ad.podPosition": _INT,
        "media.ad.playerName": _STR,
    },
    "chapterStart": {"media.chapter.index": _INT, "media.chapter.offset": _NUM, "media.chapter.length": _NUM},
    "stateStart": {"media.state.name": _STR},
    "stateEnd": {"media.state.name": _STR},
}
_PARAMS_REQUIRED_FOR = frozenset({"sessionStart", *_REQUIRED_PARAMS, "statesUpdate"})

MockResponse = HttpResponse  # what MockCollector.handle answers


class _Invalid(Exception):
    """A request body the real collector would answer with 400."""


def _json_type_ok(value: object, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUM:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if kind == _OBJ:
        return isinstance(value, dict)
    return True


def _json_response(status: int, message: str) -> MockResponse:
    body = json.dumps({"message": message}).encode()
    return MockResponse(
        status,
        [("Access-Control-Allow-Origin", "*"), ("Content-Type", "application/json")],
        body,
    )


class MockCollector:
    """In-memory state of sessions created through this collector.

    ``idle_timeout_ms`` / ``playhead_timeout_ms`` (``None`` disables) close a session when an event's
    ``ts`` shows a longer gap than the real collector tolerates, so replayed or simulated sessions get
    the same ``410`` they would get from Adobe whatever speed they are played at.
    ``max_sessions`` bounds memory: the oldest sessions are forgotten (later events on them get 404).
    """

    def __init__(
        self,
        *,
        sid_factory: Callable[[], str] = new_sid,
        idle_timeout_ms: int | None = IDLE_TIMEOUT_MS,
        playhead_timeout_ms: int | None = PLAYHEAD_TIMEOUT_MS,
        max_sessions: int = 100_000,
        edge: EdgeCollector | None = None,
    ) -> None:
        self._sessions = SessionStore(sid_factory=sid_factory, idle_timeout_ms=idle_timeout_ms,
                                      playhead_timeout_ms=playhead_timeout_ms, max_sessions=max_sessions)
        # Edge sessions live in a store of their own (a REST id is no Edge session), with the same timeouts.
        self.edge = edge if edge is not None else EdgeCollector(SessionStore(
            sid_factory=sid_factory, idle_timeout_ms=idle_timeout_ms, playhead_timeout_ms=playhead_timeout_ms,
            max_age_ms=MAX_AGE_MS, max_sessions=max_sessions))
        self._lock = threading.Lock()
        self.requests = 0

    # ------------------------------------------------------------------ public API
    def handle(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[str, str]] | None = None,
        body: bytes | None = b"",
    ) -> MockResponse:
        """Answer one HTTP request. Never raises. Media Edge API paths go to :attr:`edge`; a REST answer
        depends on the method, the path and the body only."""
        try:
            with self._lock:
                self.requests += 1
                method, path = str(method or "").upper(), str(path or "")
                if is_edge_path(_bare_path(path)):
                    return self.edge.handle(method, path, headers or [], body)
                return self._route(method, path, body)
        except Exception as exc:  # noqa: BLE001 - boundary: network input (server, proxy); a bug is a 500
            return _json_response(500, f"internal error: {type(exc).__name__}")

    def session_status(self, sid: str) -> str | None:
        """ "open", the close reason, or None for an unknown sid (for tests and diagnostics)."""
        with self._lock:
            state = self._sessions.get(sid) or self.edge.sessions.get(sid)
            if state is None:
                return None
            return state.closed or "open"

    @property
    def session_count(self) -> int:
        """Sessions of both protocols."""
        return len(self._sessions) + len(self.edge.sessions)

    # ------------------------------------------------------------------ routing
    def _route(self, method: str, path: str, body: bytes | None) -> MockResponse:
        path = _bare_path(path)
        idx = path.find("/api/v1/")
        if idx < 0:
            return _json_response(404, "not found")
        parts = [p for p in path[idx + len("/api/v1/") :].split("/") if p]
        route, arg = self._match(parts)
        if route is None:
            return _json_response(404, "not found")
        if method == "OPTIONS":
            return MockResponse(200, [*CORS_HEADERS, ("Content-Length", "0")], b"")
        if route == "schemas":
            if method in ("GET", "HEAD"):
                return self._schema(arg or "")
            return _json_response(404, "not found")
        if method != "POST":
            return _json_response(404, "not found")
        if route == "sessions":
            return self._post_sessions(body)
        if route == "downloaded":
            return self._post_downloaded(body)
        return self._post_event(arg or "", body)

    @staticmethod
    def _match(parts: list[str]) -> tuple[str | None, str | None]:
        if parts == ["sessions"]:
            return "sessions", None
        if len(parts) == 3 and parts[0] == "sessions" and parts[2] == "events":
            return "events", parts[1]
        if parts == ["downloaded"]:
            return "downloaded", None
        if len(parts) == 2 and parts[0] == "schemas":
            return "schemas", parts[1]
        return None, None

    # ------------------------------------------------------------------ endpoints
    def _post_sessions(self, body: bytes | None) -> MockResponse:
        try:
            doc = _parse_json(body)
            if isinstance(doc, list):
                _validate_batch(doc, legacy=True)
                closed: str | None = "downloaded"
            elif isinstance(doc, dict):
                event_type = _validate_event(doc)
                if event_type != "sessionStart":
                    raise _Invalid(f"/sessions only accepts sessionStart, got {event_type!r}")
                if doc["params"].get("media.downloaded") is True:
                    raise _Invalid("media.downloaded true is not allowed on a real-time session")
                closed = None
            else:
                raise _Invalid("request body must be a JSON object")
        except _Invalid as exc:
            return _json_response(400, str(exc))
        sid = self._create(closed, doc if isinstance(doc, dict) else None)
        return MockResponse(
            201,
            [
                ("Content-Type", "application/octet-stream"),
                ("Location", f"/api/v1/sessions/{sid}"),
                *CORS_HEADERS,
                ("Content-Length", "0"),
            ],
            b"",
        )

    def _post_downloaded(self, body: bytes | None) -> MockResponse:
        try:
            doc = _parse_json(body)
            if not isinstance(doc, list):
                raise _Invalid("/downloaded expects a JSON array of events")
            _validate_batch(doc, legacy=False)
        except _Invalid as exc:
            return _json_response(400, str(exc))
        self._create("downloaded", None)
        return MockResponse(201, [*CORS_HEADERS, ("Content-Length", "0")], b"")

    def _post_event(self, sid: str, body: bytes | None) -> MockResponse:
        state = self._sessions.get(sid)
        if state is None:
            return _json_response(404, f"session {sid} not found")
        if state.closed is not None:
            return _json_response(410, f"session {sid} is closed ({state.closed})")
        try:
            doc = _parse_json(body)
            if not isinstance(doc, dict):
                raise _Invalid("request body must be a JSON object")
            event_type = _validate_event(doc)
            if event_type == "sessionStart":
                raise _Invalid("sessionStart must be sent to /api/v1/sessions")
        except _Invalid as exc:
            return _json_response(400, str(exc))
        ts: int = doc["playerTime"]["ts"]
        playhead: float = doc["playerTime"]["playhead"]
        if self._timed_out(state, ts, playhead):
            return _json_response(410, f"session {sid} is closed ({state.closed})")
        state.events += 1
        if event_type == "sessionEnd":
            state.closed = "sessionEnd"
        return MockResponse(204, [("Access-Control-Allow-Origin", "*")], b"")

    def _schema(self, event_type: str) -> MockResponse:
        if event_type not in EVENT_TYPES:
            return _json_response(404, f"no schema for {event_type!r}")
        schema = _schema_for(event_type)
        return MockResponse(
            200,
            [("Access-Control-Allow-Origin", "*"), ("Content-Type", "application/json")],
            json.dumps(schema, sort_keys=True).encode(),
        )

    # ------------------------------------------------------------------ session state
    def _create(self, closed: str | None, start: dict[str, Any] | None) -> str:
        if start is None:
            return self._sessions.create(closed)
        return self._sessions.create(closed, start["playerTime"]["ts"], start["playerTime"]["playhead"])

    def _timed_out(self, state: SessionState, ts: int, playhead: float) -> bool:
        return self._sessions.timed_out(state, ts, playhead)


def _bare_path(path: str) -> str:
    """The path of a request target: no query, no fragment, origin-form (absolute-form's host dropped)."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    if "://" in path:  # absolute-form request target
        after = path.split("://", 1)[1]
        path = after[after.find("/") :] if "/" in after else "/"
    return path


# ---------------------------------------------------------------------- validation (per request)
def _parse_json(body: bytes | None) -> Any:
    if not body:
        raise _Invalid("request body is empty")
    try:
        text = bytes(body).decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError, TypeError) as exc:
        raise _Invalid(f"request body is not valid JSON: {exc}") from None


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _validate_batch(events: list[Any], *, legacy: bool) -> None:
    if not events:
        raise _Invalid("downloaded batch is empty")
    for i, item in enumerate(events):
        if not isinstance(item, dict):
            raise _Invalid(f"element {i} of the batch is not an event object")
        try:
            event_type = _validate_event(item)
        except _Invalid as exc:
            raise _Invalid(f"element {i}: {exc}") from None
        if i == 0 and event_type != "sessionStart":
            raise _Invalid("the first event of a downloaded batch must be sessionStart")
        if i > 0 and event_type == "sessionStart":
            raise _Invalid(f"element {i}: only the first event may be sessionStart")
    if legacy and events[0]["params"].get("media.downloaded") is not True:
        raise _Invalid("an array on /sessions requires params media.downloaded true on sessionStart")


def _validate_event(doc: dict[str, Any]) -> str:
    """Validate one event object like the collector's JSON schemas; return its eventType."""
    extra = sorted(set(doc) - _TOP_LEVEL_KEYS)
    if extra:
        raise _Invalid(f"unknown top-level key {extra[0]!r}")
    event_type = doc.get("eventType")
    if event_type is None:
        raise _Invalid("eventType is required")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise _Invalid(f"eventType {event_type!r} is not a known event type")
    _validate_player_time(doc.get("playerTime"))
    params = doc.get("params")
    if params is None:
        if event_type in _PARAMS_REQUIRED_FOR:
            raise _Invalid(f"params is required on {event_type}")
    elif not isinstance(params, dict):
        raise _Invalid("params must be an object")
    elif event_type == "sessionStart":
        _validate_session_start(params)
    elif event_type in _REQUIRED_PARAMS:
        _check_params(params, _REQUIRED_PARAMS[event_type], required=True, where=event_type)
    elif event_type == "statesUpdate":
        _validate_states_update(params)
    _validate_qoe(doc.get("qoeData"))
    _validate_custom(doc.get("customMetadata"))
    return event_type


def _validate_player_time(pt: Any) -> None:
    if pt is None:
        raise _Invalid("playerTime is required")
    if not isinstance(pt, dict):
        raise _Invalid("playerTime must be an object")
    extra = sorted(set(pt) - {"playhead", "ts"})
    if extra:
        raise _Invalid(f"unknown playerTime key {extra[0]!r}")
    if "playhead" not in pt:
        raise _Invalid("playerTime.playhead is required")
    if "ts" not in pt:
        raise _Invalid("playerTime.ts is required")
    if not _json_type_ok(pt["playhead"], _NUM):
        raise _Invalid(f"playerTime.playhead must be a number, got {pt['playhead']!r}")
    if not _json_type_ok(pt["ts"], _INT):
        raise _Invalid(f"playerTime.ts must be an integer, got {pt['ts']!r}")


def _check_params(params: dict[str, Any], table: dict[str, str], *, required: bool, where: str) -> None:
    for key, kind in table.items():
        if key not in params:
            if required:
                raise _Invalid(f"{where}: required parameter {key} is missing")
            continue
        value = params[key]
        if not _json_type_ok(value, kind):
            raise _Invalid(f"{where}: parameter {key} must be of type {kind}, got {value!r}")
        if required and kind == _STR and not value.strip():
            raise _Invalid(f"{where}: required parameter {key} is empty")


def _validate_session_start(params: dict[str, Any]) -> None:
    _check_params(params, _SESSION_START_REQUIRED, required=True, where="sessionStart")
    _check_params(params, _SESSION_START_OPTIONAL, required=False, where="sessionStart")


def _validate_states_update(params: dict[str, Any]) -> None:
    for key in ("statesStart", "statesEnd"):
        if key not in params:
            continue
        items = params[key]
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get("media.state.name"), str) for item in items
        ):
            raise _Invalid(f'statesUpdate: {key} must be an array of {{"media.state.name": string}}')


def _validate_qoe(qoe: Any) -> None:
    if qoe is None:
        return
    if not isinstance(qoe, dict):
        raise _Invalid("qoeData must be an object")
    for key, value in qoe.items():
        if key in _QOE_INT_KEYS:
            if not _json_type_ok(value, _INT):
                raise _Invalid(f"qoeData {key} must be an integer, got {value!r}")
        elif key in _QOE_STR_KEYS:
            if not isinstance(value, str):
                raise _Invalid(f"qoeData {key} must be a string, got {value!r}")
        else:
            raise _Invalid(f"unknown qoeData key {key!r}")


def _validate_custom(meta: Any) -> None:
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise _Invalid("customMetadata must be an object")
    for key, value in meta.items():
        if not _META_KEY.match(key):
            raise _Invalid(f"customMetadata key {key!r} does not match ^[a-zA-Z0-9_.]+$")
        if not isinstance(value, str):
            raise _Invalid(f"customMetadata {key} must be a string, got {value!r}")


def _schema_for(event_type: str) -> dict[str, Any]:
    """A small draft-04 schema in the shape of the published sessionStart excerpt."""
    props: dict[str, Any] = {}
    required: list[str] = []
    table: dict[str, str] = {}
    if event_type == "sessionStart":
        table = {**_SESSION_START_REQUIRED, **_SESSION_START_OPTIONAL}
        required = list(_SESSION_START_REQUIRED)
    elif event_type in _REQUIRED_PARAMS:
        table = _REQUIRED_PARAMS[event_type]
        required = list(table)
    for key, kind in table.items():
        props[key] = {"type": kind}
    params_schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        params_schema["required"] = required
    top_required = ["eventType", "playerTime"]
    if event_type in _PARAMS_REQUIRED_FOR:
        top_required.append("params")
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "id": f"/api/v1/schemas/{event_type}",
        "type": "object",
        "properties": {
            "eventType": {"type": "string", "enum": [event_type]},
            "playerTime": {
                "type": "object",
                "properties": {"playhead": {"type": "number"}, "ts": {"type": "integer"}},
                "required": ["playhead", "ts"],
                "additionalProperties": False,
            },
            "params": params_schema,
            "qoeData": {
                "type": "object",
                "properties": {k: {"type": "integer"} for k in sorted(_QOE_INT_KEYS)}
                | {k: {"type": "string"} for k in sorted(_QOE_STR_KEYS)},
                "additionalProperties": False,
            },
            "customMetadata": {
                "type": "object",
                "patternProperties": {r"^[a-zA-Z0-9_\.]+$": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        "required": top_required,
        "additionalProperties": False,
    }
