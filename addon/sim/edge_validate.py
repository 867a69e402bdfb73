"""What the Media Edge API would refuse in one XDM event, as the JSONPath + reason pairs its answers list
(media-edge.md §1.5, §1.7, §3.2-§3.4).

The mock Edge (``edge_collector.py``) answers ``400`` (events) or ``207`` with ``errors[]`` (sessionStart,
``/downloaded``) for exactly the problems the core judges as errors the Edge refuses, from the same field
tables (``core.edge_spec``): required detail objects and fields, XDM types and enums, ``qoeDataDetails`` keys,
``customMetadata`` shape, empty ``statesUpdate``, timestamps that are not ISO 8601, session ids of the wrong
length. What the core reports as a warning or info (unknown ``mediaCollection`` fields, detail objects on
events that take none, a missing ``timestamp``, a missing ``advertisingDetails.playerName``) is accepted, so
that clean SDK traffic is never refused. Reasons quote Adobe where Adobe's text is known ("Missing required
field", the ISO 8601 reason, the ``InvalidApiSidLength`` and empty-statesUpdate hints); the type reasons are
mcscope's words.
"""

from __future__ import annotations

from typing import Any

from mcscope.core import edge_spec as es
from mcscope.core.edge_event import parse_timestamp
from mcscope.core.spec import json_type_name

__all__ = ["Problem", "MISSING", "event_problems", "downloaded_problems"]

Problem = tuple[str, str]  # (JSONPath, reason)

MISSING = "Missing required field"
TS_REASON = ("Field should respect ISO 8601 standard for presenting date and time with offset to UTC (e.g. "
             "2022-05-19T19:31:02Z, 2022-05-19T21:31:02+02:00, 2022-05-19T21:31:02.234+02:00)")
EMPTY_STATES = ("Unexpected error. Hint: Empty statesUpdate event. At least one of statesStart or statesEnd list "
                "should be non-empty")
SID_LENGTH = "Unexpected error. Hint: InvalidApiSidLength={}"
INT32 = (-2**31, 2**31)
# advertisingDetails.playerName: the OpenAPI's own 400 example leaves it out of the missing fields, XDM relaxed
# it in 2025 and the core rates it a warning.
_NOT_ENFORCED = frozenset({("advertisingDetails", "playerName")})
_ENUMS: dict[tuple[str, str], frozenset[str]] = {
    ("sessionDetails", "streamType"): es.STREAM_TYPES, ("errorDetails", "source"): es.ERROR_SOURCES}


def _type(expected: str, value: Any) -> str:
    return f"Invalid field type: expected {expected}, got {json_type_name(value)}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def event_problems(xdm: dict[str, Any], event_type: str, base: str = "$.xdm", *,
                   downloaded: bool = False) -> list[Problem]:
    """The problems of one event of a known type; ``base`` is the JSONPath of ``xdm`` itself.

    A ``/downloaded`` item (``downloaded``) carries its time in ``mediaEventTimestamp`` (required there) and no
    session id. The event type itself (path/payload match) is the caller's business.
    """
    out: list[Problem] = []
    ts_key = "mediaEventTimestamp" if downloaded else "timestamp"
    if ts_key in xdm:
        if parse_timestamp(xdm[ts_key])[1] is not None:
            out.append((f"{base}.{ts_key}", TS_REASON))
    elif downloaded:
        out.append((f"{base}.{ts_key}", MISSING))
    mc = xdm.get("mediaCollection")
    path = f"{base}.mediaCollection"
    if mc is None:
        return [*out, (path, MISSING)]
    if not isinstance(mc, dict):
        return [*out, (path, _type("object", mc))]
    out += _playhead(mc, path)
    if event_type != "sessionStart" and not downloaded:
        out += _session_id(mc, path)
    wanted = es.REQUIRED_OBJECT.get(event_type)
    if wanted is not None:
        value = mc.get(wanted)
        if value is None:
            out.append((f"{path}.{wanted}", MISSING))
        elif not isinstance(value, dict):
            out.append((f"{path}.{wanted}", _type("object", value)))
        elif wanted in es.DETAIL_OBJECTS:
            out += _details(value, wanted, f"{path}.{wanted}")
    if "qoeDataDetails" in mc and not (wanted == "qoeDataDetails" and not isinstance(mc["qoeDataDetails"], dict)):
        out += _qoe(mc["qoeDataDetails"], f"{path}.qoeDataDetails")
    if "customMetadata" in mc:
        out += _custom_metadata(mc["customMetadata"], f"{path}.customMetadata")
    if event_type == "statesUpdate":
        out += _states(mc, path)
    if event_type == "sessionStart":
        out += _identity_map(xdm.get("identityMap"), f"{base}.identityMap")
    return out


def downloaded_problems(xdm: dict[str, Any], base: str = "$.xdm") -> list[Problem]:
    """The problems of a ``/downloaded`` wrapper event (``media.downloaded`` + ``mediaDownloadedEvents[]``)."""
    out: list[Problem] = []
    et = xdm.get("eventType")
    if et is None:
        out.append((f"{base}.eventType", MISSING))
    elif et != "media.downloaded":
        out.append((f"{base}.eventType", f"Invalid value {et!r}: this endpoint takes media.downloaded"))
    items = xdm.get("mediaDownloadedEvents")
    path = f"{base}.mediaDownloadedEvents"
    if items is None:
        return [*out, (path, MISSING)]
    if not isinstance(items, list):
        return [*out, (path, _type("array", items))]
    if not items:
        return [*out, (path, "At least one event is required")]
    last: int | None = None
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            out.append((where, _type("object", item)))
            continue
        raw = item.get("mediaEventType")
        kind = raw[len(es.MEDIA_PREFIX):] if isinstance(raw, str) and raw.startswith(es.MEDIA_PREFIX) else None
        if raw is None:
            out.append((f"{where}.mediaEventType", MISSING))
        elif kind not in es.EVENT_TYPES:
            out.append((f"{where}.mediaEventType", f"Invalid value {raw!r}: not a media event type"))
        if i == 0 and raw is not None and raw != "media.sessionStart":
            out.append((f"{where}.mediaEventType", "The first event must be media.sessionStart"))
        out += event_problems(item, kind if kind in es.EVENT_TYPES else "", where, downloaded=True)
        ts = parse_timestamp(item.get("mediaEventTimestamp"))[0]
        if ts is not None:
            if last is not None and ts < last:
                out.append((f"{where}.mediaEventTimestamp", "Events must be in timestamp order"))
            last = ts if last is None else max(last, ts)
    return out


def _playhead(mc: dict[str, Any], path: str) -> list[Problem]:
    if "playhead" not in mc or mc["playhead"] is None:
        return [(f"{path}.playhead", MISSING)]
    ph = mc["playhead"]
    if not es.is_integer(ph):
        return [(f"{path}.playhead", _type("integer", ph))]
    if ph < 0:
        return [(f"{path}.playhead", "Invalid value: must be greater than or equal to 0")]
    return []


def _session_id(mc: dict[str, Any], path: str) -> list[Problem]:
    sid = mc.get("sessionID")
    if _blank(sid):
        return [(f"{path}.sessionID", MISSING)]
    if not isinstance(sid, str):
        return [(f"{path}.sessionID", _type("string", sid))]
    if len(sid) != 64:
        return [(f"{path}.sessionID", SID_LENGTH.format(len(sid)))]
    return []


def _details(details: dict[str, Any], obj: str, path: str) -> list[Problem]:
    out: list[Problem] = []
    for key, (jtype, required) in es.DETAIL_OBJECTS[obj].items():
        value = details.get(key)
        if _blank(value):
            if required and (obj, key) not in _NOT_ENFORCED:
                out.append((f"{path}.{key}", MISSING))
        elif not es.type_ok(value, jtype):
            out.append((f"{path}.{key}", _type(jtype, value)))
        elif (obj, key) in _ENUMS and value not in _ENUMS[obj, key]:
            allowed = ", ".join(sorted(_ENUMS[obj, key]))
            out.append((f"{path}.{key}", f"Invalid value {value!r}: expected one of {allowed}"))
    return out


def _qoe(qoe: Any, path: str) -> list[Problem]:
    if not isinstance(qoe, dict):
        return [(path, _type("object", qoe))]
    out: list[Problem] = []
    for key, value in qoe.items():
        if key not in es.QOE_DETAILS:
            out.append((f"{path}.{key}", "Unknown field (bitrate, droppedFrames, framesPerSecond, timeToStart)"))
        elif not es.is_integer(value) or not INT32[0] <= value < INT32[1]:
            out.append((f"{path}.{key}", _type("int32 integer", value)))
    return out


def _custom_metadata(cm: Any, path: str) -> list[Problem]:
    if not isinstance(cm, list):
        return [(path, _type("array", cm))]
    out: list[Problem] = []
    for n, item in enumerate(cm):
        where = f"{path}[{n}]"
        if not isinstance(item, dict):
            out.append((where, _type("object", item)))
            continue
        for key in ("name", "value"):
            value = item.get(key)
            if value is None:
                out.append((f"{where}.{key}", MISSING))
            elif not isinstance(value, str):
                out.append((f"{where}.{key}", _type("string", value)))
    return out


def _states(mc: dict[str, Any], path: str) -> list[Problem]:
    lists = {key: mc.get(key) for key in ("statesStart", "statesEnd")}
    out: list[Problem] = []
    if not any(isinstance(v, list) and v for v in lists.values()):
        out.append((path, EMPTY_STATES))
    for key, value in lists.items():
        if value is None:
            continue
        if not isinstance(value, list):
            out.append((f"{path}.{key}", _type("array", value)))
            continue
        for n, item in enumerate(value):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                out.append((f"{path}.{key}[{n}].name", MISSING if name is None else _type("string", name)))
    return out


def _identity_map(identity_map: Any, path: str) -> list[Problem]:
    """``authenticatedState`` outside the XDM enum (the core's edge-enum-value error)."""
    if not isinstance(identity_map, dict):
        return []
    out: list[Problem] = []
    for namespace, entries in identity_map.items():
        for n, entry in enumerate(entries if isinstance(entries, list) else [entries]):
            auth = entry.get("authenticatedState") if isinstance(entry, dict) else None
            if auth is not None and auth not in es.AUTH_STATES:
                out.append((f"{path}.{namespace}[{n}].authenticatedState",
                            f"Invalid value {auth!r}: expected one of ambiguous, authenticated, loggedOut"))
    return out
