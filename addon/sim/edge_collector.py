"""A mock of the Media Edge API (Adobe Experience Platform Edge Network): pure request -> response, no I/O.

``EdgeCollector.handle(method, target, headers, body)`` answers as media-edge.md §1.1-§1.7 documents:

* ``POST /ee[/{hint}]/va/v1/sessionStart?configId=…`` (also ``/ee-pre-prd``, any path case) with a valid
  sessionStart -> ``200`` ``{requestId, handle: [media-analytics:new-session {sessionId: 64 hex, eventIndex},
  locationHint:result (EdgeNetwork scope: the request's hint, else ``location_hint``), state:store (cluster
  cookie, and an identity cookie when the request carried no identity)]}``; streamed as ``\\u0000{json}\\n``
  records when ``meta.konductorConfig.streaming.enabled`` asks for it (the SDKs do);
* a Web SDK ``POST /ee[/{hint}]/v1/interact`` carrying ``media.sessionStart`` -> the same handles; other
  interact calls -> ``200`` with an empty handle list, never a session (other media events through interact
  are applied to their live session and never refused: how the Edge treats them is UNCONFIRMED);
* a bad sessionStart -> ``207`` with ``errors[]`` of type ``va-edge-0400-400``, each bad field named by JSONPath
  in ``report.details`` (``$.xdm.mediaCollection.sessionDetails.name``, ``report.eventIndex`` as Adobe sends);
* ``POST /ee[/{hint}]/va/v1/{eventType}`` -> ``204`` for a live session; ``404`` problem+json
  ``va-edge-0404-404`` for an unknown id or a session closed by ``sessionEnd``, by 10 min without events, 30 min
  without playhead movement or an age over 24 h (measured on the events' ``timestamp``); ``400``
  problem+json ``va-edge-0400-400`` with ``report.details[] {name: $.events[0].xdm…, reason}`` for a bad event,
  and with a string ``details`` for a path/payload ``eventType`` mismatch;
* ``POST /ee/va/v1/downloaded`` with a valid ``mediaDownloadedEvents[]`` batch -> ``200`` with the handles of
  the OpenAPI example (the session is complete on arrival); a bad batch -> ``207`` ``errors[]``;
* gateway answers: no ``configId`` -> ``400 EXEG-0002-400``; a Content-Type other than the four the Edge takes
  -> ``415 EXEG-0111-415``; a body over 64 KB -> ``413 EXEG-0112-413``; an empty body -> ``408 EXEG-0109-408``;
  not JSON -> ``400 EXEG-0101-400``; ``/va/v1/{unknown}`` -> ``404``; a method other than POST -> ``405``;
* ``OPTIONS`` preflight -> ``200`` with the CORS headers of a credentialed request (the Web SDK fetches with
  ``credentials: "include"``, so the Origin is echoed, never ``*``); every answer carries them.

What counts as a bad event is ``edge_validate``'s business (the core's field tables). Never raises; answers are
deterministic apart from the random session, request and identity ids. Thread-safe.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from mcscope.core import edge_exchange as ee
from mcscope.core import edge_spec as es
from mcscope.core.edge_event import parse_timestamp
from mcscope.core.fastjson import loads
from mcscope.core.model import Exchange, HttpResponse
from mcscope.sim.edge_validate import MISSING, Problem, downloaded_problems, event_problems
from mcscope.sim.sessions import MAX_AGE_MS, SessionState, SessionStore

__all__ = ["EdgeCollector", "LOCATION_HINT", "MOCK_ORG", "is_media_interact"]

LOCATION_HINT = "or2"  # what the Edge returns when the request named no cluster (one of Adobe's examples)
MOCK_ORG = "0000000000000000000MOCK0"  # the IMS org of the state:store cookie names
HINT_TTL = 1800
IDENTITY_MAX_AGE = 34_128_000
JSON = "application/json"
PROBLEM = "application/problem+json"

_BAD_REQUEST = "Invalid request. Please check your input and try again."
_NOT_FOUND_DETAIL = "The requested resource could not be found but may be available again in the future."
_NOT_FOUND_REPORT = ("Error processing request. If the session is longer than 24h, please start a new one. "
                     "Returning Not Found")
# EXEG gateway errors (data-collection-apis troubleshooting.md): status, title, detail.
_GATEWAY: dict[str, tuple[int, str, str]] = {
    "EXEG-0001-500": (500, "Unexpected error", "An unexpected error has occurred while processing the request. "
                      "Please try again. If this error persists, contact your Adobe representative."),
    "EXEG-0002-400": (400, "Missing datastream parameter", "The required datastream parameter configId is missing "
                      "from your request. Provide a valid configId value and try again."),
    "EXEG-0101-400": (400, "Invalid JSON request", "The JSON request is invalid. Fix the request and try again."),
    "EXEG-0109-408": (408, "Empty request", "The request body is empty. Update your request and try again."),
    "EXEG-0111-415": (415, "Invalid request", "The request content type is not supported. Supported types are "
                      "'application/json', 'application/x-jackson-smile', 'text/plain' and 'text/javascript'. "
                      "Update your request and try again."),
    "EXEG-0112-413": (413, "Invalid request", "The request payload is too large. The maximum accepted size for "
                      f"request payloads is {es.MAX_REQUEST_BYTES // 1024} KB. Update your request and try again."),
}


def is_media_interact(body: bytes | None) -> bool:
    """An interact body with at least one ``media.*`` event (what the mock answers; other interact traffic is
    the real Edge's)."""
    return bool(_media_events(_decode(body)[1]))


def _decode(body: bytes | None) -> tuple[bool, Any]:
    """(is JSON, the document), decoded as the core decodes request bodies."""
    if not body:
        return False, None
    try:
        text = bytes(body).decode("utf-8")
        return True, loads(text[1:] if text.startswith("\ufeff") else text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False, None


def _media_events(payload: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index in ``events[]``, xdm) of the media events of a request."""
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        return []
    out = []
    for i, item in enumerate(events):
        xdm = item.get("xdm") if isinstance(item, dict) else None
        et = xdm.get("eventType") if isinstance(xdm, dict) else None
        if isinstance(et, str) and et.startswith(es.MEDIA_PREFIX):
            out.append((i, xdm))
    return out


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers:
        if str(key).lower() == lname:
            return str(value)
    return None


class EdgeCollector:
    """Edge sessions (their own :class:`SessionStore`) and the answers of the Media Edge API."""

    def __init__(self, sessions: SessionStore | None = None, *, location_hint: str = LOCATION_HINT,
                 org_id: str = MOCK_ORG, request_id_factory: Callable[[], str] | None = None) -> None:
        self.sessions = sessions if sessions is not None else SessionStore(max_age_ms=MAX_AGE_MS)
        self.location_hint = location_hint
        self.org_id = org_id
        self.request_id_factory = request_id_factory or (lambda: str(uuid.uuid4()))
        self._lock = threading.Lock()

    def handle(self, method: str, target: str, headers: Sequence[tuple[str, str]] | None = None,
               body: bytes | None = b"") -> HttpResponse:
        """Answer one request to an Edge path (``target`` as sent: origin- or absolute-form, with its query)."""
        hdrs = list(headers or [])
        cors = _cors(_header(hdrs, "origin"))
        try:
            with self._lock:
                return _Call(self, str(method or "").upper(), str(target or ""), hdrs, body, cors).answer()
        except Exception as exc:  # noqa: BLE001 - boundary: network input (server, proxy); a bug is a 500
            return _problem("EXEG-0001-500", cors, report={"cause": type(exc).__name__})

    def session_status(self, sid: str) -> str | None:
        """"open", the close reason, or None for an unknown id (tests, diagnostics)."""
        with self._lock:
            state = self.sessions.get(sid)
            return None if state is None else state.closed or "open"


class _Call:
    """One request being answered (under the collector's lock)."""

    def __init__(self, owner: EdgeCollector, method: str, target: str, headers: list[tuple[str, str]],
                 body: bytes | None, cors: list[tuple[str, str]]) -> None:
        self.owner = owner
        self.method = method
        self.headers = headers
        self.body = body
        self.cors = cors
        self.call = ee.parse(Exchange("mock", method, target, headers, body))
        self.interact = es.INTERACT_PATH_RE.search(target.split("?", 1)[0].split("#", 1)[0]) is not None
        self.request_id = self.call.request_id or owner.request_id_factory()

    # --- routing --------------------------------------------------------------------------------------------
    def answer(self) -> HttpResponse:
        call = self.call
        if self.method == "OPTIONS":
            return self._preflight()
        if self.method != "POST":
            return self._simple_problem(405, "Method Not Allowed", f"{self.method or 'no method'} is not allowed: "
                                        "Media Edge API endpoints take POST", [("Allow", "POST, OPTIONS")])
        if not self.interact and call.kind == ee.VA and call.path_type is None:
            return self._simple_problem(404, "Not Found", f"/va/v1/{call.path_segment} is not a Media Edge API "
                                        "endpoint")
        refused = self._gateway()
        if refused is not None:
            return refused
        if self.interact:
            return self._interact()
        if not call.events or call.skip_events:
            return self._bad_request(_envelope_problems(call.payload))
        if call.kind == ee.DOWNLOADED:
            return self._downloaded()
        mismatch = self._mismatch()
        if mismatch is not None:
            return mismatch
        if call.path_type == "sessionStart":
            return self._session_start()
        return self._events()

    def _gateway(self) -> HttpResponse | None:
        """The Edge Network's own checks, before any media processing (EXEG-* answers)."""
        if not self.call.config_id:
            return _problem("EXEG-0002-400", self.cors, self.request_id)
        ctype = _header(self.headers, "content-type")
        if ctype is not None and ctype.split(";")[0].strip().lower() not in es.CONTENT_TYPES:
            return _problem("EXEG-0111-415", self.cors, self.request_id)
        if self.body is not None and len(self.body) > es.MAX_REQUEST_BYTES:
            return _problem("EXEG-0112-413", self.cors, self.request_id)
        if not self.body:
            return _problem("EXEG-0109-408", self.cors, self.request_id)
        if self.call.payload is None and not _decode(self.body)[0]:  # the core's parse decoded it already
            return _problem("EXEG-0101-400", self.cors, self.request_id)
        return None

    def _mismatch(self) -> HttpResponse | None:
        """Every event's ``xdm.eventType`` must be ``media.`` + the path's event type (400 otherwise)."""
        path_type = self.call.path_type or ""
        missing: list[Problem] = []
        for i, xdm in enumerate(self.call.events):
            raw = xdm.get("eventType")
            if raw is None:
                missing.append((f"$.events[{i}].xdm.eventType", MISSING))
            elif not isinstance(raw, str) or raw.lower() != (es.MEDIA_PREFIX + path_type).lower():
                shown = raw[len(es.MEDIA_PREFIX):] if isinstance(raw, str) and raw.startswith(es.MEDIA_PREFIX) \
                    else raw
                return self._bad_request(f"The payload eventType {shown} was different from the path eventType "
                                         f"{self.call.path_segment}")
        return self._bad_request(missing) if missing else None

    # --- sessionStart ---------------------------------------------------------------------------------------
    def _session_start(self) -> HttpResponse:
        return self._start_answer(list(enumerate(self.call.events)))

    def _interact(self) -> HttpResponse:
        """The Web SDK's interact call: sessionStart events open sessions; other media events are applied."""
        events = _media_events(self.call.payload)
        starts = [(i, xdm) for i, xdm in events if xdm.get("eventType") == "media.sessionStart"]
        for _, xdm in events:
            et = xdm.get("eventType")
            if et != "media.sessionStart" and isinstance(et, str):
                self._apply_lenient(xdm, et[len(es.MEDIA_PREFIX):])
        if not starts:
            return self._json(200, {"requestId": self.request_id, "handle": []})
        return self._start_answer(starts)

    def _start_answer(self, starts: list[tuple[int, dict[str, Any]]]) -> HttpResponse:
        handles: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, xdm in starts:
            problems = event_problems(xdm, "sessionStart", "$.xdm")
            if problems:
                errors.append(_va_error(index, problems))
                continue
            mc = xdm["mediaCollection"]
            ts = parse_timestamp(xdm.get("timestamp"))[0] if "timestamp" in xdm else None
            sid = self.owner.sessions.create(None, ts, mc.get("playhead"))
            handles.append({"payload": [{"sessionId": sid}], "type": es.NEW_SESSION_HANDLE, "eventIndex": index})
        return self._handles_answer(handles, errors)

    def _handles_answer(self, handles: list[dict[str, Any]], errors: list[dict[str, Any]]) -> HttpResponse:
        hint = self.call.hint or self.owner.location_hint
        handles = [*handles, {"payload": [{"scope": "EdgeNetwork", "hint": hint, "ttlSeconds": HINT_TTL}],
                              "type": es.LOCATION_HINT_HANDLE}, {"payload": self._state(hint), "type": "state:store"}]
        doc: dict[str, Any] = {"requestId": self.request_id, "handle": handles}
        if errors:
            doc["errors"] = errors
        return self._json(207 if errors else 200, doc)

    def _state(self, hint: str) -> list[dict[str, Any]]:
        org = self.owner.org_id
        entries: list[dict[str, Any]] = [{"key": f"kndctr_{org}_AdobeOrg_cluster", "value": hint, "maxAge": HINT_TTL}]
        if not self.call.identity:  # the Edge mints an ECID and hands it back as a cookie (media-edge.md §1.3)
            ecid = base64.b64encode(secrets.token_bytes(48)).decode()
            entries.append({"key": f"kndctr_{org}_AdobeOrg_identity", "value": ecid, "maxAge": IDENTITY_MAX_AGE})
        return entries

    # --- events ---------------------------------------------------------------------------------------------
    def _events(self) -> HttpResponse:
        path_type = self.call.path_type or ""
        problems: list[Problem] = []
        for i, xdm in enumerate(self.call.events):
            problems += event_problems(xdm, path_type, f"$.events[{i}].xdm")
        if problems:
            return self._bad_request(problems)
        found: list[tuple[SessionState, dict[str, Any]]] = []
        for xdm in self.call.events:
            state = self.owner.sessions.get(xdm["mediaCollection"]["sessionID"])
            if state is None or state.closed is not None or self._expired(state, xdm):
                return self._not_found()
            found.append((state, xdm))
        for state, _ in found:
            state.events += 1
            if path_type == "sessionEnd":
                state.closed = "sessionEnd"
        return HttpResponse(204, list(self.cors), b"")

    def _expired(self, state: SessionState, xdm: dict[str, Any]) -> bool:
        ts = parse_timestamp(xdm.get("timestamp"))[0] if "timestamp" in xdm else None
        playhead = xdm["mediaCollection"].get("playhead")
        return self.owner.sessions.timed_out(state, ts, playhead)

    def _apply_lenient(self, xdm: dict[str, Any], event_type: str) -> None:
        """A media event through interact: advances its live session, refused never."""
        mc = xdm.get("mediaCollection")
        sid = mc.get("sessionID") if isinstance(mc, dict) else None
        state = self.owner.sessions.get(sid) if isinstance(sid, str) else None
        if state is None or state.closed is not None or not isinstance(mc, dict):
            return
        playhead = mc.get("playhead") if es.is_integer(mc.get("playhead")) else None
        if self.owner.sessions.timed_out(state, parse_timestamp(xdm.get("timestamp"))[0], playhead):
            return
        state.events += 1
        if event_type == "sessionEnd":
            state.closed = "sessionEnd"

    # --- downloaded -----------------------------------------------------------------------------------------
    def _downloaded(self) -> HttpResponse:
        xdm = self.call.events[0]
        problems = downloaded_problems(xdm, "$.xdm")
        if not self.call.identity:  # the OpenAPI requires identityMap here; the core rates it an error
            problems.append(("$.xdm.identityMap", MISSING))
        if problems:
            return self._handles_answer([], [_va_error(0, problems)])
        sid = self.owner.sessions.create("downloaded")
        return self._handles_answer([{"payload": [{"sessionId": sid}], "type": es.NEW_SESSION_HANDLE,
                                      "eventIndex": 0}], [])

    # --- answers --------------------------------------------------------------------------------------------
    def _json(self, status: int, doc: dict[str, Any]) -> HttpResponse:
        text = json.dumps(doc, separators=(",", ":"))
        separator, line_feed = _streaming(self.call.payload)
        data = (separator + text + line_feed) if separator is not None else text
        return HttpResponse(status, [("Content-Type", JSON), *self.cors], data.encode())

    def _bad_request(self, details: list[Problem] | str) -> HttpResponse:
        listed: Any = details if isinstance(details, str) else [{"name": n, "reason": r} for n, r in details]
        doc = {"type": es.ERROR_TYPE_PREFIX + es.VA_BAD_REQUEST, "status": 400, "title": "Bad Request",
               "detail": _BAD_REQUEST, "report": {"details": listed, "requestId": self.request_id}}
        return HttpResponse(400, [("Content-Type", PROBLEM), *self.cors], json.dumps(doc).encode())

    def _not_found(self) -> HttpResponse:
        doc = {"type": es.ERROR_TYPE_PREFIX + es.VA_NOT_FOUND, "status": 404, "title": "Not Found",
               "detail": _NOT_FOUND_DETAIL, "report": {"details": _NOT_FOUND_REPORT, "requestId": self.request_id}}
        return HttpResponse(404, [("Content-Type", PROBLEM), *self.cors], json.dumps(doc).encode())

    def _simple_problem(self, status: int, title: str, detail: str,
                        extra: list[tuple[str, str]] | None = None) -> HttpResponse:
        doc = {"type": "about:blank", "status": status, "title": title, "detail": detail,
               "report": {"requestId": self.request_id}}
        return HttpResponse(status, [("Content-Type", PROBLEM), *(extra or []), *self.cors], json.dumps(doc).encode())

    def _preflight(self) -> HttpResponse:
        asked = _header(self.headers, "access-control-request-headers")
        return HttpResponse(200, [*self.cors, ("Access-Control-Allow-Methods", "POST, OPTIONS"),
                                  ("Access-Control-Allow-Headers", asked or "Content-Type"),
                                  ("Access-Control-Max-Age", "600"), ("Content-Length", "0")], b"")


def _va_error(index: int, problems: list[Problem]) -> dict[str, Any]:
    """One ``errors[]`` entry of a 207 answer (the OpenAPI's sessionStart example)."""
    return {"type": es.ERROR_TYPE_PREFIX + es.VA_BAD_REQUEST, "status": 400, "title": "Invalid request",
            "report": {"eventIndex": index, "details": [{"name": n, "reason": r} for n, r in problems]}}


def _problem(code: str, cors: list[tuple[str, str]], request_id: str | None = None,
             report: dict[str, Any] | None = None) -> HttpResponse:
    status, title, detail = _GATEWAY[code]
    doc = {"type": es.ERROR_TYPE_PREFIX + code, "status": status, "title": title, "detail": detail,
           "report": {**(report or {}), **({"requestId": request_id} if request_id else {})}}
    return HttpResponse(status, [("Content-Type", PROBLEM), *cors], json.dumps(doc).encode())


def _envelope_problems(payload: Any) -> list[Problem]:
    if not isinstance(payload, dict):
        return [("$", "Invalid field type: expected object")]
    events = payload.get("events")
    if events is None:
        return [("$.events", MISSING)]
    if not isinstance(events, list):
        return [("$.events", "Invalid field type: expected array")]
    if not events:
        return [("$.events", "At least one event is required")]
    return [(f"$.events[{i}].xdm", MISSING) for i, item in enumerate(events)
            if not (isinstance(item, dict) and isinstance(item.get("xdm"), dict))]


def _streaming(payload: Any) -> tuple[str | None, str]:
    """(record separator, line feed) when the request asked for a streamed answer, else (None, "")."""
    meta = payload.get("meta") if isinstance(payload, dict) else None
    konductor = meta.get("konductorConfig") if isinstance(meta, dict) else None
    streaming = konductor.get("streaming") if isinstance(konductor, dict) else None
    if not isinstance(streaming, dict) or streaming.get("enabled") is not True:
        return None, ""
    separator = streaming.get("recordSeparator")
    line_feed = streaming.get("lineFeed")
    return (separator if isinstance(separator, str) and separator else "\u0000",
            line_feed if isinstance(line_feed, str) and line_feed else "\n")


def _cors(origin: str | None) -> list[tuple[str, str]]:
    """A credentialed CORS answer echoes the Origin (``*`` is refused by browsers with credentials)."""
    if not origin:
        return [("Access-Control-Allow-Origin", "*")]
    return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"), ("Vary", "Origin")]
