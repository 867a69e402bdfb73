"""Turn one HTTP exchange into the Media Collection API calls it carries.

Pure parsing: which endpoint, which sid, which JSON bodies, and the transport findings that belong to
the exchange itself (method, body, headers, status). Sequencing is session.py's job.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from mcscope.core import spec
from mcscope.core.fastjson import Refused, decode_utf8, loads
from mcscope.core.model import Exchange

# Endpoint kinds
SESSIONS = "sessions"
EVENTS = "events"
DOWNLOADED = "downloaded"

_NOT_PARSED = object()

# A plain http(s) URL: lower-case scheme, a host of letters, digits, dots and dashes, an optional numeric
# port, and no tab/CR/LF anywhere. For these, split_url gives what urlsplit(url).path/.hostname give.
_PLAIN_URL_RE = re.compile(r"https?://([A-Za-z0-9.-]+)(?::[0-9]*)?(/[^?#\t\r\n]*)?(?:[?#][^\t\r\n]*)?")


@dataclass(slots=True)
class RawFinding:
    """A finding before it is tied to a session and an event."""

    rule: str
    message: str
    severity: str | None = None  # override of the rule's default, e.g. info for a sub-case


@dataclass(slots=True)
class ParsedExchange:
    endpoint: str | None  # SESSIONS, EVENTS, DOWNLOADED, or None for non-collection traffic
    exchange: Exchange
    host: str = ""
    sid: str | None = None  # from the events path, or from the 201 Location of /sessions
    payload: Any = _NOT_PARSED  # decoded JSON body, or _NOT_PARSED
    bodies: list[Any] = field(default_factory=list)  # the event objects this exchange carries
    findings: list[RawFinding] = field(default_factory=list)  # exchange-level findings
    skip_events: bool = False  # True: no event can be judged (wrong method, undecodable body, ...)

    @property
    def status(self) -> int | None:
        return self.exchange.response_status

    @property
    def is_array(self) -> bool:
        return isinstance(self.payload, list)


def classify_path(path: str) -> tuple[str | None, str | None]:
    """(endpoint kind, sid) for a URL path; (None, None) when it is not a collection endpoint."""
    if "/api/v1/" not in path:
        return None, None
    match = spec.EVENTS_PATH_RE.search(path)
    if match:
        return EVENTS, match.group(1)
    if spec.SESSIONS_PATH_RE.search(path):
        return SESSIONS, None
    if spec.DOWNLOADED_PATH_RE.search(path):
        return DOWNLOADED, None
    return None, None


def is_collection_url(url: str) -> bool:
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    if spec.SCHEMAS_PATH_RE.search(path):
        return True
    return classify_path(path)[0] is not None


def split_url(url: str) -> tuple[str, str]:
    """(path, lower-case host or "") of a URL, as urlsplit gives them; ValueError for an invalid URL."""
    match = _PLAIN_URL_RE.fullmatch(url)
    if match is not None:  # the common case, without urlsplit's cost
        return match.group(2) or "", match.group(1).lower()
    parts = urlsplit(url)
    return parts.path, parts.hostname or ""


@lru_cache(maxsize=8192)
def classify_url(url: str) -> tuple[str | None, str | None, str]:
    """(endpoint kind, sid, host) of a URL; ValueError for an invalid URL.

    Cached: every event of a session is posted to the same URL.
    """
    path, host = split_url(url)
    endpoint, sid = classify_path(path)
    return endpoint, sid, host


def parse_exchange(ex: Exchange) -> ParsedExchange:
    """Never raises: anything odd becomes a finding."""
    try:
        endpoint, sid, host = classify_url(ex.url)
    except ValueError:
        return ParsedExchange(None, ex)
    if not host:
        host = (ex.request_header("host") or "").split(":")[0]
    parsed = ParsedExchange(endpoint, ex, host, sid)
    if endpoint is None:
        return parsed
    method = ex.method
    if method != "POST":
        method = (method or "").upper()
        if method == "OPTIONS":
            parsed.endpoint = None  # CORS preflight: fine, nothing to judge
            return parsed
    if host and not host.lower().endswith(spec.COLLECTOR_HOST_SUFFIX):
        parsed.findings.append(RawFinding("unknown-host", f"host {host} is not a *.hb-api.omtrdc.net collector"))
    if method != "POST":
        parsed.findings.append(RawFinding("http-method", f"{method or 'no method'} on {endpoint} endpoint; use POST"))
        parsed.skip_events = True
        return parsed
    _check_content_type(ex, parsed)
    _decode_body(ex, parsed)
    if endpoint == SESSIONS:
        _check_session_start_response(ex, parsed)
    return parsed


def _check_content_type(ex: Exchange, parsed: ParsedExchange) -> None:
    ctype = ex.request_header("content-type")
    if ctype is None:
        parsed.findings.append(RawFinding("content-type", "no Content-Type header; send application/json"))
        return
    if ctype != "application/json" and ctype.split(";")[0].strip().lower() != "application/json":
        parsed.findings.append(RawFinding("content-type", f"Content-Type is {ctype!r}, not application/json"))


def _decode_body(ex: Exchange, parsed: ParsedExchange) -> None:
    body = ex.request_body
    if body is None:
        parsed.findings.append(
            RawFinding("body-not-captured", "the request body was not kept by the proxy (streamed or truncated)")
        )
        parsed.skip_events = True
        return
    try:
        payload = decode_utf8(body)
    except (Refused, RecursionError):
        payload = _decode_text(body, parsed)
        if payload is _NOT_PARSED:
            return
    parsed.payload = payload
    if isinstance(payload, dict):
        parsed.bodies = [payload]
        return
    if isinstance(payload, list) and parsed.endpoint in (DOWNLOADED, SESSIONS):
        parsed.bodies = list(payload)  # judged by the downloaded-content rules
        return
    parsed.findings.append(
        RawFinding("body-not-object", f"body is a JSON {spec.json_type_name(payload)}, not an object")
    )
    parsed.skip_events = True


def _decode_text(body: bytes, parsed: ParsedExchange) -> Any:
    """A body msgspec refused, decoded as UTF-8 text (a BOM dropped) and parsed as json.loads does; _NOT_PARSED
    with the finding that says why when it is not UTF-8 JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        parsed.findings.append(RawFinding("body-not-json", f"body is not UTF-8 (byte {exc.start} of {len(body)})"))
        parsed.skip_events = True
        return _NOT_PARSED
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return loads(text)
    except (ValueError, RecursionError) as exc:
        shown = text[:40].replace("\n", " ")
        detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        parsed.findings.append(RawFinding("body-not-json", f"body is not JSON ({detail}): {shown!r}"))
        parsed.skip_events = True
        return _NOT_PARSED


def _check_session_start_response(ex: Exchange, parsed: ParsedExchange) -> None:
    if ex.response_status != 201:
        return
    location = ex.response_header("location")
    if location is not None:
        loc_path = location
        if "://" in location:
            try:
                loc_path = urlsplit(location).path
            except ValueError:
                loc_path = location
        match = spec.LOCATION_RE.match(loc_path)
        if match:
            parsed.sid = match.group(1)
    if parsed.sid is None and not parsed.is_array:
        shown = "no Location header" if location is None else f"Location {location!r} does not name a session"
        parsed.findings.append(RawFinding("location-missing", f"201 from /sessions with {shown}"))
    elif parsed.sid is not None and location is not None and not spec.LOCATION_RE.match(location):
        parsed.findings.append(RawFinding(
            "location-missing", f"201 from /sessions with an absolute Location {location!r}: players parse "
            "^/api/<version>/sessions/<sid> and will not find the sid"))
    expose = ex.response_header("access-control-expose-headers") or ""
    if parsed.sid is not None and "location" not in [h.strip().lower() for h in expose.split(",")]:
        parsed.findings.append(
            RawFinding(
                "cors-expose-location",
                "201 without Access-Control-Expose-Headers: Location (browser players cannot read the sid)",
            )
        )


def response_message(ex: Exchange) -> str | None:
    """The collector's ``message`` from a JSON error body, if any."""
    body = ex.response_body
    if not body:
        return None
    try:
        data = json.loads(body[:65536].decode("utf-8", "replace"))
    except (ValueError, RecursionError):  # RecursionError: deeply nested arrays in an error answer
        text = body[:200].decode("utf-8", "replace").strip()
        return text or None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return None
