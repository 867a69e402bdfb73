"""Turn one HTTP exchange into the Media Edge API call it carries (media-edge.md §1).

Pure parsing, like ``exchange.py`` for REST: which endpoint (``/va/v1/{eventType}``, ``/v1/interact`` with
media events, ``/va/v1/downloaded``), the location hint, ``configId``/``requestId``, the XDM events, the
answer's handles and errors (plain JSON or the streamed ``\\u0000{json}\\n`` records), and the transport
findings of the exchange itself. Sequencing is ``edge_ingest.py``'s job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mcscope.core import edge_spec as es
from mcscope.core import spec
from mcscope.core.exchange import RawFinding, split_url
from mcscope.core.fastjson import loads
from mcscope.core.model import Exchange

VA = "va"  # /ee[/{hint}]/va/v1/{eventType}
INTERACT = "interact"  # /ee[/{hint}]/v1/interact carrying media events
DOWNLOADED = "downloaded"  # /ee/va/v1/downloaded


def is_edge_path(path: str) -> bool:
    """A cheap test first (most proxied traffic is neither protocol), then the two path patterns."""
    if "v1/" not in path and "V1/" not in path:
        return False
    return es.VA_PATH_RE.search(path) is not None or es.INTERACT_PATH_RE.search(path) is not None


@dataclass(slots=True)
class EdgeResponse:
    """What the Edge answered: handles, errors, warnings (each a dict as sent)."""

    session_id: str | None = None  # media-analytics:new-session payload[0].sessionId
    session_handle: bool = False  # a new-session handle was present (maybe with an empty id)
    session_event_index: int | None = None
    location_hint: str | None = None  # locationHint:result, EdgeNetwork scope
    request_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    problem: dict[str, Any] | None = None  # a problem+json answer (4xx)


@dataclass(slots=True)
class EdgeCall:
    kind: str | None  # VA, INTERACT, DOWNLOADED; None: not a media call (interact without media events)
    exchange: Exchange
    host: str = ""
    path_type: str | None = None  # canonical event type of the path (sessionStart, play, ...), or None
    path_segment: str = ""  # the path segment as sent
    hint: str | None = None
    pre_prod: bool = False
    config_id: str | None = None
    request_id: str | None = None
    payload: Any = None
    request_xdm: dict[str, Any] | None = None
    events: list[Any] = field(default_factory=list)  # the xdm objects of the media events, in order
    starts: list[int] = field(default_factory=list)  # indexes (into events) of media.sessionStart events
    findings: list[RawFinding] = field(default_factory=list)
    skip_events: bool = False
    identity: bool = False
    client: str | None = None  # the identity the request names (client_identity), for session-restarted
    response: EdgeResponse = field(default_factory=EdgeResponse)
    answered: str | None = None  # the rule of ``findings`` that also reports the Edge's 4xx (edge_spec.ANSWER_RULES)

    @property
    def status(self) -> int | None:
        return self.exchange.response_status

    @property
    def is_start(self) -> bool:
        return self.kind == INTERACT or (self.kind == VA and self.path_type == "sessionStart")


def parse(ex: Exchange) -> EdgeCall:
    """Never raises: anything odd becomes a finding. ``kind`` None means "not media traffic"."""
    try:
        path, host = split_url(ex.url)
        query = urlsplit(ex.url).query
    except ValueError:
        return EdgeCall(None, ex)
    if not host:
        host = (ex.request_header("host") or "").split(":")[0].lower()
    call = EdgeCall(None, ex, host)
    va = es.VA_PATH_RE.search(path)
    inter = None if va else es.INTERACT_PATH_RE.search(path)
    if va is None and inter is None:
        return call
    match = va or inter
    assert match is not None
    call.hint = match.group(1)
    call.pre_prod = "/ee-pre-prd" in path.lower()
    params = parse_qs(query, keep_blank_values=True)
    call.config_id = (params.get("configId") or [None])[0]
    call.request_id = (params.get("requestId") or [None])[0]
    method = (ex.method or "").upper()
    if method == "OPTIONS":
        return call  # CORS preflight: nothing to judge
    if va is not None:
        call.path_segment = va.group(2)
        canonical = es.PATHS.get(call.path_segment.lower())
        call.kind = DOWNLOADED if canonical == es.DOWNLOADED else VA
        call.path_type = canonical if canonical != es.DOWNLOADED else None
    else:
        call.kind = INTERACT
    if method != "POST":
        if call.kind == INTERACT:
            call.kind = None  # a GET interact is not a media call
            return call
        _host(call)
        call.findings.append(RawFinding("http-method", f"{method or 'no method'} on {path}; Media Edge API "
                                        "endpoints take POST"))
        call.skip_events = True
        return call
    if call.kind == VA and call.path_type is None:
        _host(call)
        call.findings.append(RawFinding("edge-unknown-endpoint", f"/va/v1/{call.path_segment} is not a Media Edge "
                                        "API endpoint (18 event types + downloaded)"))
        call.skip_events = True
        return call
    _decode(ex, call)
    if call.kind == INTERACT:
        if not call.events:
            call.kind = None  # ordinary interact traffic: untouched and unjudged
            call.findings.clear()
            return call
    _host(call)
    if call.kind != INTERACT and not call.config_id:
        call.findings.append(RawFinding("edge-config-id-missing", "no configId query parameter (the Edge answers "
                                        "EXEG-0002-400)"))
    _content_type(ex, call)
    body = ex.request_body
    if body is not None and len(body) > es.MAX_REQUEST_BYTES:
        call.findings.append(RawFinding("edge-request-too-large", f"request body is {len(body)} bytes, over the "
                                        f"{es.MAX_REQUEST_BYTES // 1024} KB limit (EXEG-0112-413)"))
    if call.kind == VA and len(call.events) != 1 and not call.skip_events:
        call.findings.append(RawFinding("edge-events-count", f"{len(call.events)} events in one /va/v1 request "
                                        "(every Adobe example sends exactly one)"))
    call.response = parse_response(ex)
    _answer(call)
    return call


def _answer(call: EdgeCall) -> None:
    """One problem, one finding: a 4xx whose gateway code names a fault of the request (EXEG-0002-400 no configId,
    0111-415 Content-Type, ...) goes into that fault's finding, or raises it when the request looked fine."""
    status = call.status
    if status is None or not 400 <= status < 500:
        return
    resp = call.response
    problem = resp.problem or (resp.errors[0] if resp.errors else None)
    rule = es.ANSWER_RULES.get(error_code(problem)) if problem else None
    if rule is None:
        return
    assert problem is not None
    text = f"the Edge answered {status}: {describe_error(problem)}"
    call.answered = rule
    for n, raw in enumerate(call.findings):
        if raw.rule == rule:
            call.findings[n] = RawFinding(rule, f"{raw.message}; {text}", raw.severity)
            return
    call.findings.append(RawFinding(rule, text))


def _host(call: EdgeCall) -> None:
    host = call.host
    if host and host not in es.KNOWN_HOSTS:
        call.findings.append(RawFinding("unknown-host", f"host {host} is not edge.adobedc.net, edge-int.adobedc.net "
                                        "or adobedc.demdex.net (a CNAME or a test endpoint)"))


def _content_type(ex: Exchange, call: EdgeCall) -> None:
    ctype = ex.request_header("content-type")
    if ctype is None:
        return  # the Edge reads the body as JSON
    if ctype.split(";")[0].strip().lower() not in es.CONTENT_TYPES:
        call.findings.append(RawFinding("edge-content-type", f"Content-Type {ctype!r} is not one the Edge accepts "
                                        "(application/json, text/plain, application/x-jackson-smile, "
                                        "text/javascript): EXEG-0111-415"))


def _decode(ex: Exchange, call: EdgeCall) -> None:
    body = ex.request_body
    if body is None:
        call.findings.append(RawFinding("body-not-captured", "the request body was not kept by the proxy (streamed "
                                        "or truncated)"))
        call.skip_events = True
        if call.kind == INTERACT:
            call.kind = None
        return
    if not body:
        call.findings.append(RawFinding("body-not-json", "the request body is empty (EXEG-0109-408)"))
        call.skip_events = True
        return
    try:
        text = body.decode("utf-8")
        if text.startswith("\ufeff"):
            text = text[1:]
        payload = loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        if call.kind == INTERACT:
            call.kind = None  # not JSON: nobody can tell it is media traffic
            return
        shown = body[:40].decode("utf-8", "replace").replace("\n", " ")
        call.findings.append(RawFinding("body-not-json", f"body is not JSON ({type(exc).__name__}): {shown!r} "
                                        "(EXEG-0101-400)"))
        call.skip_events = True
        return
    call.payload = payload
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not events or not all(
            isinstance(e, dict) and isinstance(e.get("xdm"), dict) for e in events):
        if call.kind != INTERACT:
            what = (f"a JSON {spec.json_type_name(payload)}" if not isinstance(payload, dict) else
                    "an object without an events array" if not isinstance(events, list) else
                    "an empty events array" if not events else "events without an xdm object")
            call.findings.append(RawFinding("body-not-object", f"body is {what}: send {{\"events\": [{{\"xdm\": "
                                            "{...}}]}"))
            call.skip_events = True
        if call.kind != INTERACT or not isinstance(events, list):
            return
    assert isinstance(payload, dict)
    rx = payload.get("xdm")
    call.request_xdm = rx if isinstance(rx, dict) else None
    call.identity = _has_identity(ex, payload)
    call.client = client_identity(ex, payload) if call.identity else None
    for item in events:
        xdm = item.get("xdm") if isinstance(item, dict) else None
        if not isinstance(xdm, dict):
            continue
        et = xdm.get("eventType")
        if call.kind == INTERACT and not (isinstance(et, str) and et.startswith(es.MEDIA_PREFIX)):
            continue  # other events of an interact call are not media traffic
        if et == "media.sessionStart":
            call.starts.append(len(call.events))
        call.events.append(xdm)
    if call.kind == INTERACT and not call.starts:
        # media events through interact without a sessionStart (Web SDK sendEvent style): judged all the same
        pass


def _has_identity(ex: Exchange, payload: dict[str, Any]) -> bool:
    """identityMap at request or event level, a kndctr_..._identity state entry, or such a cookie."""
    rx = payload.get("xdm")
    if isinstance(rx, dict) and rx.get("identityMap"):
        return True
    for item in payload.get("events") or []:
        xdm = item.get("xdm") if isinstance(item, dict) else None
        if isinstance(xdm, dict) and xdm.get("identityMap"):
            return True
    meta = payload.get("meta")
    state = meta.get("state") if isinstance(meta, dict) else None
    entries = state.get("entries") if isinstance(state, dict) else None
    if isinstance(entries, list):
        for entry in entries:
            key = entry.get("key") if isinstance(entry, dict) else None
            if isinstance(key, str) and key.startswith("kndctr_") and key.endswith("_identity"):
                return True
    cookie = ex.request_header("cookie") or ""
    return "kndctr_" in cookie and "_identity" in cookie


def client_identity(ex: Exchange, payload: dict[str, Any]) -> str | None:
    """The device/app behind a request as the Edge identifies it: the ECID of an identityMap (request level, else
    the first event's), else the kndctr_…_identity state entry, else that cookie; "ecid:" + the value.
    No address fallback: two players behind one address are not one client (media-edge.md §1.3, [EP-VID])."""
    maps = [payload.get("xdm")] + [item.get("xdm") for item in payload.get("events") or [] if isinstance(item, dict)]
    for xdm in maps:
        identity_map = xdm.get("identityMap") if isinstance(xdm, dict) else None
        entries = identity_map.get("ECID") if isinstance(identity_map, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            value = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(value, str) and value:
                return f"ecid:{value}"
    meta = payload.get("meta")
    state = meta.get("state") if isinstance(meta, dict) else None
    state_entries = state.get("entries") if isinstance(state, dict) else None
    for entry in state_entries if isinstance(state_entries, list) else []:
        key = entry.get("key") if isinstance(entry, dict) else None
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(key, str) and key.startswith("kndctr_") and key.endswith("_identity") and \
                isinstance(value, str) and value:
            return f"ecid:{value}"
    for part in (ex.request_header("cookie") or "").split(";"):
        name, eq, value = part.strip().partition("=")
        if eq and name.startswith("kndctr_") and name.endswith("_identity") and value:
            return f"ecid:{value}"
    return None


# --- the answer -------------------------------------------------------------------------------------------
def response_records(body: bytes | None) -> list[Any]:
    """The JSON objects of an answer: one plain JSON body, or streamed ``\\u0000{json}\\n`` records."""
    if not body:
        return []
    text = body[:1 << 20].decode("utf-8", "replace")
    records: list[Any] = []
    if "\x00" in text:
        for part in text.split("\x00"):
            part = part.strip()
            if part:
                try:
                    records.append(json.loads(part))
                except (ValueError, RecursionError):
                    continue
        return records
    try:
        return [json.loads(text)]
    except (ValueError, RecursionError):
        return []


def parse_response(ex: Exchange) -> EdgeResponse:
    out = EdgeResponse()
    for record in response_records(ex.response_body):
        if not isinstance(record, dict):
            continue
        rid = record.get("requestId")
        if isinstance(rid, str) and rid:
            out.request_id = rid
        if isinstance(record.get("type"), str) and "status" in record:
            out.problem = record  # problem+json
        handles = record.get("handle")
        for handle in handles if isinstance(handles, list) else []:
            if isinstance(handle, dict):
                _handle(out, handle)
        for key, target in (("errors", out.errors), ("warnings", out.warnings)):
            items = record.get(key)
            if isinstance(items, list):
                target.extend(i for i in items if isinstance(i, dict))
    return out


def _handle(out: EdgeResponse, handle: dict[str, Any]) -> None:
    kind = handle.get("type")
    payload = handle.get("payload")
    items = payload if isinstance(payload, list) else []
    if kind == es.NEW_SESSION_HANDLE:
        out.session_handle = True
        index = handle.get("eventIndex")
        for item in items:
            sid = item.get("sessionId") if isinstance(item, dict) else None
            if isinstance(sid, str) and sid:
                out.session_id = sid
                out.session_event_index = index if isinstance(index, int) else None
                break
    elif kind == es.LOCATION_HINT_HANDLE:
        for item in items:
            if isinstance(item, dict) and item.get("scope") == "EdgeNetwork" and isinstance(item.get("hint"), str):
                out.location_hint = item["hint"]


def error_code(item: dict[str, Any]) -> str:
    """``va-edge-0400-400`` / ``EXEG-0201-503`` from an error's ``type`` URI (or the type itself)."""
    kind = item.get("type")
    if not isinstance(kind, str):
        return ""
    return kind[len(es.ERROR_TYPE_PREFIX):] if kind.startswith(es.ERROR_TYPE_PREFIX) else kind


def describe_error(item: dict[str, Any]) -> str:
    """``type``, ``title``, ``detail`` and each ``report.details[]`` JSONPath + reason, in one line."""
    parts = [p for p in (error_code(item), item.get("title"), item.get("detail")) if isinstance(p, str) and p]
    report = item.get("report")
    details = report.get("details") if isinstance(report, dict) else None
    if isinstance(report, dict) and details is None:
        details = report.get("report")  # the OpenAPI 207 schema's spelling (a documented defect)
    if isinstance(details, str):
        parts.append(details)
    elif isinstance(details, list):
        for d in details:
            if isinstance(d, dict):
                parts.append(f"{d.get('name')}: {d.get('reason')}")
    return "; ".join(parts) if parts else "no details"
