"""Media Edge API envelope, types, details and sessionStart content (media-edge.md §3.2-§3.4), judged on the
XDM object of one event (``EdgeEvent.xdm``).

The shared families (lifecycle, timestamps, pings, playback, ads, chapters, states, qoe) judge the event's
REST-shaped reading in ``Session._judge`` like any REST event; the rules whose REST condition reads REST
key names or types (:data:`XDM_JUDGED`) are judged here instead, with the Edge field names and conditions,
and an Edge session silences their REST reading (``session.EdgeSession.emit``).
"""

from __future__ import annotations

from typing import Any

from mcscope.core import edge_spec as es
from mcscope.core import spec
from mcscope.core.edge_event import EdgeEvent
from mcscope.core.model import Finding, Severity
from mcscope.core.state import Event, SessionState

# Rules a shared family would judge on the REST reading, judged here on the XDM body instead.
XDM_JUDGED: frozenset[str] = frozenset({
    "ad-break-start-params", "ad-start-params", "ad-break-keys-on-ad", "chapter-start-params", "state-params",
    "bitrate-missing", "bitrate-units", "error-without-id", "show-type",
})
# XDM's contentType suggestions (media-edge.md §1.5; "any string is valid").
CONTENT_TYPES = frozenset({"vod", "live", "linear", "ugc", "dvod", "radio", "podcast", "audiobook", "song"})
PLAUSIBLE_SHOW_SECONDS = (300, 4 * 3600)
MC = "mediaCollection"


def emit(s: SessionState, rule: str, message: str, ev: Event | None = None, severity: Severity | None = None,
         ignored: bool = False) -> Finding | None:
    """A finding on ``s`` past the Edge session's silencing of REST readings (its severity, like every finding's,
    comes from ``Config.severity_of`` for the session's protocol)."""
    return SessionState.emit(s, rule, message, ev, severity, ignored)


def check(s: SessionState, ev: Event, live: bool) -> None:
    """Envelope and types of one Edge event (called by the session for every event, before the families)."""
    if not isinstance(ev, EdgeEvent) or ev.xdm is None:
        return
    xdm = ev.xdm
    downloaded = ev.downloaded
    raw = ev.raw_type
    if raw is None:
        emit(s, "event-type-unknown", f"{'mediaEventType' if downloaded else 'xdm.eventType'} is missing", ev)
    elif not isinstance(raw, str):
        emit(s, "event-type-unknown", f"eventType is a {spec.json_type_name(raw)}, not a string", ev)
    elif ev.event_type not in es.EVENT_TYPES:
        hint = ""
        if raw in ("media.stateStart", "media.stateEnd", "media.stateUpdate"):
            hint = " (Edge has only media.statesUpdate with statesStart/statesEnd)"
        elif raw in es.EVENT_TYPES:
            hint = f" (did you mean media.{raw}?)"
        emit(s, "event-type-unknown", f"eventType {raw!r} is not a Media Edge API event{hint}", ev)
    _timestamp(s, ev, xdm, live)
    mc = xdm.get(MC)
    if not isinstance(mc, dict):
        return  # edge-media-collection-missing (the ingest judged it: the Edge refuses the event)
    et = ev.event_type if ev.event_type in es.EVENT_TYPES else None
    _playhead(s, ev, mc)
    if "sessionID" in mc and (et == "sessionStart" or downloaded):
        emit(s, "edge-session-id-on-start", f"sessionID on {'a downloaded event' if downloaded else 'sessionStart'}: "
             "do not generate or include a session ID (the Edge returns it)", ev)
    if "customMetadata" in xdm:
        emit(s, "custom-metadata-placement", "customMetadata at the xdm root: it must sit inside mediaCollection", ev)
    _members(s, ev, mc, et)
    if et is not None:
        _details(s, ev, mc, et)
    if "qoeDataDetails" in mc:
        _qoe(s, ev, mc["qoeDataDetails"], et)
    if "customMetadata" in mc:
        _custom_metadata(s, ev, mc["customMetadata"], et)
    if et == "statesUpdate":
        _states(s, ev, mc)


def _timestamp(s: SessionState, ev: EdgeEvent, xdm: dict[str, Any], live: bool) -> None:
    key = "mediaEventTimestamp" if ev.downloaded else "timestamp"
    problem = ev.timestamp_problem
    if problem == "missing":
        emit(s, "player-time-invalid", f"{key} is missing (the OpenAPI requires it; the time the proxy saw the "
             "request stands in for ordering)", ev, severity=Severity.WARNING)
    elif problem is not None:
        emit(s, "ts-type", f"{key} {_short(xdm.get(key))} {problem}: it must be ISO 8601 with an offset to UTC "
             "(e.g. 2022-05-19T19:31:02Z)", ev)
    elif live and not ev.downloaded and ev.ts is not None:
        skew = ev.ts / 1000.0 - ev.received
        if abs(skew) > s.tun("clock_skew"):
            direction = "ahead of" if skew > 0 else "behind"
            emit(s, "clock-skew", f"timestamp is {abs(skew):.0f} s {direction} the time the proxy saw the request", ev)


def _playhead(s: SessionState, ev: Event, mc: dict[str, Any]) -> None:
    if "playhead" not in mc:
        emit(s, "player-time-invalid", "mediaCollection.playhead is missing", ev)
        return
    ph = mc["playhead"]
    if not es.is_integer(ph):
        emit(s, "playhead-type", f"playhead {_short(ph)} is a {spec.json_type_name(ph)}, not an integer (the Edge "
             "validates it as an integer)", ev)
    elif ph < 0:
        emit(s, "playhead-negative", f"playhead {ph} is negative (XDM minimum 0)", ev)


def _members(s: SessionState, ev: Event, mc: dict[str, Any], et: str | None) -> None:
    for key in mc:
        if key in es.KNOWN_MEMBERS:
            continue
        if key == "sessionId":
            continue  # edge-session-id-key (the ingest)
        what = "a reporting-only field (computed by Adobe)" if key in es.REPORTING_FIELDS else "not an XDM field"
        emit(s, "param-unknown", f"mediaCollection.{key} is {what}", ev)
    if et is None:
        return
    wanted = es.REQUIRED_OBJECT.get(et)
    for obj in es.DETAIL_OBJECTS:
        if obj in mc and obj != wanted:
            emit(s, "params-unexpected", f"{et} takes no {obj}" + (" (\"not allowed when using this endpoint\")"
                 if obj in ("advertisingDetails", "advertisingPodDetails", "chapterDetails") else ""), ev)
    if wanted is not None:
        value = mc.get(wanted)
        if value is None:
            emit(s, "params-missing", f"{et} needs mediaCollection.{wanted} (the Edge answers 400 Missing required "
                 "field)", ev)
        elif not isinstance(value, dict):
            emit(s, "params-missing", f"{et} mediaCollection.{wanted} is a {spec.json_type_name(value)}, not an "
                 "object", ev)


def _details(s: SessionState, ev: Event, mc: dict[str, Any], et: str) -> None:
    obj = es.REQUIRED_OBJECT.get(et)
    if obj is None or obj == "qoeDataDetails":
        return
    details = mc.get(obj)
    if not isinstance(details, dict):
        return  # params-missing
    fields = es.DETAIL_OBJECTS[obj]
    missing, wrong = [], []
    for key, (jtype, required) in fields.items():
        value = details.get(key)
        if value is None or (jtype == "string" and isinstance(value, str) and not value.strip()):
            if required:
                missing.append(key)
        elif not es.type_ok(value, jtype):
            wrong.append(f"{obj}.{key} {_short(value)} is a {spec.json_type_name(value)}, expected {jtype}")
    for key in details:
        if key not in fields:
            if obj == "sessionDetails" and key == "ID":
                continue  # edge-session-id-key (the ingest)
            emit(s, "param-unknown", f"{obj}.{key} is not an XDM field", ev)
    own = {"adBreakStart": "ad-break-start-params", "adStart": "ad-start-params",
           "chapterStart": "chapter-start-params", "sessionStart": "session-start-required"}.get(et)
    if et == "adStart" and "playerName" in missing:
        missing.remove("playerName")
        emit(s, "ad-start-params", "adStart: advertisingDetails.playerName missing (XDM relaxed it in 2025; the "
             "Media Edge API docs still require it)", ev, severity=Severity.WARNING)
    if own == "session-start-required":
        if missing:
            emit(s, own, f"required sessionDetails missing or empty: {', '.join(missing)}", ev)
        for text in wrong:
            emit(s, "param-type", text, ev)
    elif own is not None:
        problems = [f"{obj}.{k} missing" for k in missing] + wrong
        if problems:
            emit(s, own, f"{et}: " + "; ".join(problems), ev)
    else:  # error: errorDetails.name and source required, source an enum
        if missing:
            emit(s, "params-missing", f"error: errorDetails.{' and '.join(missing)} missing (required on Edge)", ev)
        for text in wrong:
            emit(s, "param-type", text, ev)
    if et == "error":
        source = details.get("source")
        if isinstance(source, str) and source not in es.ERROR_SOURCES:
            emit(s, "edge-enum-value", f"errorDetails.source {source!r} is not player or external", ev)
    elif et == "sessionStart":
        _session_start(s, ev, details)


def _session_start(s: SessionState, ev: Event, details: dict[str, Any]) -> None:
    st = details.get("streamType")
    if st is None:
        emit(s, "stream-type", "sessionDetails.streamType is missing (video or audio)", ev)
    elif isinstance(st, str) and st not in es.STREAM_TYPES:
        emit(s, "edge-enum-value", f"sessionDetails.streamType {st!r} is not video or audio", ev)
    length = details.get("length")
    ct = details.get("contentType")
    live = isinstance(ct, str) and ct.lower() in ("live", "linear")
    if es.is_integer(length):
        if length <= 0:
            emit(s, "media-length-nonpositive", f"sessionDetails.length is {length}: no progress markers or average "
                 "minute audience", ev)
        elif live and length != spec.LIVE_LENGTH and not PLAUSIBLE_SHOW_SECONDS[0] <= length <= PLAUSIBLE_SHOW_SECONDS[1]:
            emit(s, "live-length", f"{ct} content with sessionDetails.length {length}: use 86400 when the duration is "
                 "unknown, else the show's length", ev)
    if isinstance(ct, str) and ct and ct.lower() not in CONTENT_TYPES:
        emit(s, "content-type-unusual", f"sessionDetails.contentType {ct!r} is none of XDM's suggestions (VOD, Live, "
             "Linear, UGC, DVOD, Radio, Podcast, Audiobook, Song)", ev)
    if not live and ev.playhead is not None and ev.playhead > 0 and details.get("hasResume") is not True:
        emit(s, "resume-unflagged", f"sessionStart at playhead {ev.playhead:g} without sessionDetails.hasResume: "
             "true (counts as a new media start)", ev)
    if details.get("isDownloaded") is True and not ev.downloaded:
        emit(s, "downloaded-flag-realtime", "sessionDetails.isDownloaded: true on a real-time session (the Edge "
             "sets it for /downloaded; docs disagree)", ev)
    if isinstance(ev, EdgeEvent):
        _identity(s, ev)


def _identity(s: SessionState, ev: EdgeEvent) -> None:
    ctx = ev.edge
    if not ctx.identity:
        emit(s, "no-visitor-identity", "sessionStart without identityMap and without a kndctr_…_identity state "
             "entry or cookie: the Edge mints a new ECID for every request", ev,
             severity=Severity.ERROR if ev.downloaded else None)
    maps = [m for m in ((ev.xdm or {}).get("identityMap"), (ctx.request_xdm or {}).get("identityMap"))
            if isinstance(m, dict)]
    for identity_map in maps:
        for namespace, entries in identity_map.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                    emit(s, "customer-ids-format", f"identityMap.{namespace} entry without a string id", ev)
                    continue
                auth = entry.get("authenticatedState")
                if auth is not None and auth not in es.AUTH_STATES:
                    emit(s, "edge-enum-value", f"identityMap.{namespace} authenticatedState {_short(auth)} is not "
                         "ambiguous, authenticated or loggedOut", ev)


def _qoe(s: SessionState, ev: Event, qoe: Any, et: str | None) -> None:
    if not isinstance(qoe, dict):
        if et != "bitrateChange":  # there: params-missing
            emit(s, "qoe-unknown-key", f"qoeDataDetails is a {spec.json_type_name(qoe)}, not an object", ev)
        return
    for key, value in qoe.items():
        if key not in es.QOE_DETAILS:
            emit(s, "qoe-unknown-key", f"qoeDataDetails.{key} is not bitrate, droppedFrames, framesPerSecond or "
                 "timeToStart", ev)
        elif not es.is_integer(value) or not -2**31 <= value < 2**31:
            emit(s, "qoe-type", f"qoeDataDetails.{key} {_short(value)} is not an int32 integer", ev)
    bitrate = qoe.get("bitrate")
    if et == "bitrateChange" and "bitrate" not in qoe:
        emit(s, "bitrate-missing", "bitrateChange whose qoeDataDetails has no bitrate", ev)
    if es.is_integer(bitrate) and bitrate > es.BPS_THRESHOLD and "bitrate-units" not in s.fired:
        s.fired.add("bitrate-units")
        emit(s, "bitrate-units", f"qoeDataDetails.bitrate {bitrate} looks like bps; the Edge expects kbps", ev)
    tts = qoe.get("timeToStart")
    if es.is_integer(tts) and "edge-time-to-start-units" not in s.fired:
        s.fired.add("edge-time-to-start-units")
        emit(s, "edge-time-to-start-units", f"qoeDataDetails.timeToStart {tts}: {tts:g} s per XDM/OpenAPI, "
             f"{tts / 1000:g} s if milliseconds as the variable page says (UNCONFIRMED)", ev)


def _custom_metadata(s: SessionState, ev: Event, cm: Any, et: str | None) -> None:
    if et is not None and et not in es.CUSTOM_METADATA_EVENTS:
        emit(s, "custom-metadata-placement", f"customMetadata on {et} (only sessionStart, adStart, chapterStart)", ev)
    if not isinstance(cm, list):
        emit(s, "custom-metadata-format", f"customMetadata is a {spec.json_type_name(cm)}, not an array of "
             "{name, value}", ev)
        return
    untenanted = []
    for n, item in enumerate(cm):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            emit(s, "custom-metadata-format", f"customMetadata[{n}] is not {{name: string, value: string}}", ev)
            continue
        if not isinstance(item.get("value"), str):
            emit(s, "custom-metadata-format", f"customMetadata {item['name']!r} value is a "
                 f"{spec.json_type_name(item.get('value'))}: values must be strings", ev)
        if not es.CUSTOM_METADATA_PATH_RE.match(item["name"]):
            untenanted.append(item["name"])
    if untenanted and "edge-custom-metadata-path" not in s.fired:
        s.fired.add("edge-custom-metadata-path")
        emit(s, "edge-custom-metadata-path", f"customMetadata names {', '.join(map(repr, untenanted[:3]))} are not "
             "tenant XDM paths (_tenant.…): kept in Analytics, lost in AEP without a schema field or mapping", ev)


def _states(s: SessionState, ev: Event, mc: dict[str, Any]) -> None:
    lists = [mc.get("statesStart"), mc.get("statesEnd")]
    if not any(isinstance(v, list) and v for v in lists):
        emit(s, "state-params", "statesUpdate with neither a non-empty statesStart nor statesEnd (the Edge answers "
             "400 \"Empty statesUpdate event\")", ev)
    for key, value in zip(("statesStart", "statesEnd"), lists, strict=True):
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(i, dict) and isinstance(i.get("name"), str)
                                                  for i in value):
            emit(s, "state-params", f"{key} is not a list of {{name: string}}", ev)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
