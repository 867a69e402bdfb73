"""Envelope and types: rules that judge one event body on its own (rules.md §2)."""

from __future__ import annotations

from typing import Any

from mcscope.core import spec
from mcscope.core.model import Severity
from mcscope.core.state import Event, SessionState


def check(s: SessionState, ev: Event, live: bool) -> None:
    body = ev.body
    if body is None:
        return
    if not spec.TOP_LEVEL_KEYS.issuperset(body):
        for key in body:
            if key not in spec.TOP_LEVEL_KEYS:
                s.emit("unknown-top-level-key", f"top-level key {key!r} is not allowed", ev)
    _check_player_time(s, ev, body, live)
    et = body.get("eventType")
    if et is None:
        s.emit("event-type-unknown", "eventType is missing", ev)
    elif not isinstance(et, str):
        s.emit("event-type-unknown", f"eventType is a {spec.json_type_name(et)}, not a string", ev)
    elif et not in spec.EVENT_TYPES:
        s.emit("event-type-unknown", f"eventType {et!r} is not a Media Collection API event", ev)
    etype = et if isinstance(et, str) and et in spec.EVENT_TYPES else None
    if "params" in body or etype in spec.PARAMS_REQUIRED:  # else _check_params has nothing to say
        _check_params(s, ev, body, etype)
    if "customMetadata" in body:
        _check_custom_metadata(s, ev, body, etype)
    if "qoeData" in body:
        _check_qoe(s, ev, body)


def _check_player_time(s: SessionState, ev: Event, body: dict[str, Any], live: bool) -> None:
    pt = body.get("playerTime")
    if pt is None:
        s.emit("player-time-invalid", "playerTime is missing", ev)
        return
    if not isinstance(pt, dict):
        s.emit("player-time-invalid", f"playerTime is a {spec.json_type_name(pt)}, not an object", ev)
        return
    if len(pt) != 2 or "playhead" not in pt or "ts" not in pt:
        missing = [k for k in ("playhead", "ts") if k not in pt]
        extra = [k for k in pt if k not in ("playhead", "ts")]
        if missing:
            s.emit("player-time-invalid", f"playerTime has no {' or '.join(missing)}", ev)
        if extra:
            s.emit("player-time-invalid", f"playerTime has other keys: {', '.join(map(repr, extra))}", ev)
    if "playhead" in pt:
        ph = pt["playhead"]
        if not spec.is_number(ph):
            s.emit("playhead-type", f"playhead {ph!r} is a {spec.json_type_name(ph)}, not a number", ev)
        elif ph < 0:
            s.emit("playhead-negative", f"playhead {ph} is negative", ev)
    if "ts" in pt:
        ts = pt["ts"]
        if not spec.is_integer(ts):
            s.emit("ts-type", f"ts {ts!r} is a {spec.json_type_name(ts)}, not an integer", ev)
        if spec.is_number(ts):
            if ts < 1e12:
                s.emit("ts-units", f"ts {ts} looks like seconds, not milliseconds", ev)
            elif ts > 1e14:
                s.emit("ts-units", f"ts {ts} looks like microseconds, not milliseconds", ev)
            elif live and not ev.downloaded:
                skew = ts / 1000.0 - ev.received
                if abs(skew) > s.tun("clock_skew"):
                    direction = "ahead of" if skew > 0 else "behind"
                    s.emit("clock-skew", f"ts is {abs(skew):.0f} s {direction} the time the proxy saw the request",
                           ev)


def _check_params(s: SessionState, ev: Event, body: dict[str, Any], etype: str | None) -> None:
    has_params = "params" in body
    params = body.get("params")
    if etype in spec.PARAMS_REQUIRED:
        if not has_params:
            s.emit("params-missing", f"{etype} needs params", ev)
            return
        if not isinstance(params, dict):
            s.emit("params-missing", f"{etype} params is a {spec.json_type_name(params)}, not an object", ev)
            return
    if not has_params:
        return
    if etype == "ping":
        if params != {}:
            shown = ", ".join(map(repr, params)) if isinstance(params, dict) else repr(params)
            s.emit("ping-params", f"ping carries params ({shown}); pings take none", ev)
        return
    if etype in spec.NO_PARAMS:
        if params != {}:
            shown = ", ".join(map(repr, params)) if isinstance(params, dict) else repr(params)
            s.emit("params-unexpected", f"{etype} takes no params, got {shown}", ev)
        return
    if not isinstance(params, dict) or etype is None:
        return
    known = spec.PARAMS_BY_EVENT.get(etype)
    if known is None:
        return
    dedicated = etype in ("adBreakStart", "adStart", "chapterStart", "stateStart", "stateEnd")
    for key, value in params.items():
        expected = known.get(key)
        if expected is None:
            if etype == "sessionStart":
                s.emit("param-unknown", f"unknown sessionStart param {key!r} (custom data belongs in customMetadata)",
                       ev)
            continue
        jtype, required = expected
        if dedicated and required:
            continue  # reported by the event's own *-params rule
        if value is None and etype == "sessionStart" and required:
            continue  # reported by session-start-required
        if not spec.json_type_ok(value, jtype):
            s.emit("param-type", f"{key} is a {spec.json_type_name(value)} ({_short(value)}), expected {jtype}", ev)


def _check_custom_metadata(s: SessionState, ev: Event, body: dict[str, Any], etype: str | None) -> None:
    if "customMetadata" not in body:
        return
    cm = body["customMetadata"]
    if etype is not None and etype not in spec.CUSTOM_METADATA_EVENTS:
        s.emit("custom-metadata-placement", f"customMetadata on {etype} (only sessionStart, adStart, chapterStart)",
               ev)
    if not isinstance(cm, dict):
        s.emit("custom-metadata-format", f"customMetadata is a {spec.json_type_name(cm)}, not an object", ev)
        return
    for key, value in cm.items():
        if not spec.CUSTOM_METADATA_KEY_RE.match(key):
            s.emit("custom-metadata-format", f"customMetadata key {key!r} does not match ^[a-zA-Z0-9_.]+$", ev)
        if not isinstance(value, str):
            s.emit("custom-metadata-format",
                   f"customMetadata {key!r} is a {spec.json_type_name(value)}, values must be strings", ev)
        if key.startswith("a."):
            s.emit("custom-metadata-reserved", f"customMetadata key {key!r} uses the reserved a. prefix", ev)
        elif key.startswith("media."):
            s.emit("custom-metadata-reserved",
                   f"customMetadata key {key!r} uses the media. prefix and may overwrite standard fields", ev,
                   severity=Severity.WARNING)


def _check_qoe(s: SessionState, ev: Event, body: dict[str, Any]) -> None:
    if "qoeData" not in body:
        return
    qoe = body["qoeData"]
    if not isinstance(qoe, dict):
        s.emit("qoe-unknown-key", f"qoeData is a {spec.json_type_name(qoe)}, not an object", ev)
        return
    for key, value in qoe.items():
        expected = spec.QOE_KEYS.get(key)
        if expected is None:
            hint = f" (did you mean media.qoe.{key}?)" if f"media.qoe.{key}" in spec.QOE_KEYS else ""
            s.emit("qoe-unknown-key", f"qoeData key {key!r} is not a documented media.qoe.* key{hint}", ev)
        elif expected == "integer" and not spec.json_type_ok(value, "integer"):
            s.emit("qoe-type", f"{key} is a {spec.json_type_name(value)} ({_short(value)}), expected an integer", ev)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
