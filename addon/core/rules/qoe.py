"""QoE and errors (rules.md §11)."""

from __future__ import annotations

from mcscope.core import spec
from mcscope.core.state import Event, SessionState

KBPS_THRESHOLD = 10000


def handle(s: SessionState, ev: Event) -> None:
    et = ev.event_type
    qoe = ev.qoe
    if et == "bitrateChange":
        s.m["bitrate_changes"] += 1
        if "media.qoe.bitrate" not in qoe:
            s.emit("bitrate-missing", "bitrateChange without qoeData media.qoe.bitrate", ev)
    if qoe:
        _values(s, ev, qoe)
    if et == "error":
        s.m["errors"] += 1
        params = ev.params
        has_id = any(isinstance(v, str) and v for v in (params.get("media.errorId"), qoe.get("media.qoe.errorID")))
        source = qoe.get("media.qoe.errorSource", params.get("media.errorSource"))
        if not has_id or source is None:
            s.emit("error-without-id", "error without an error id and source (send qoeData media.qoe.errorID and "
                   "media.qoe.errorSource player|external)", ev)
        elif not isinstance(source, str) or source not in spec.ERROR_SOURCES:
            s.emit("error-without-id", f"error source {source!r} is not player or external", ev)
        s.error_pending = ev
        if s.timeline is not None:
            s.timeline.point("error", "error", ev.t, str(qoe.get("media.qoe.errorID") or params.get("media.errorId")
                                                          or "error"), event=ev.index)


def _values(s: SessionState, ev: Event, qoe: dict) -> None:
    dropped = qoe.get("media.qoe.droppedFrames")
    if spec.json_type_ok(dropped, "integer"):
        if s.dropped_frames is not None and dropped < s.dropped_frames:
            s.emit("dropped-frames-decrease", f"media.qoe.droppedFrames fell from {s.dropped_frames} to {dropped} "
                   "(it is cumulative for the session)", ev)
        s.dropped_frames = dropped
    if "media.qoe.timeToStart" in qoe:
        tts = qoe["media.qoe.timeToStart"]
        # the value may still be set on the first play itself (the first frame): only later changes count
        if s.time_to_start is not None and tts != s.time_to_start and s.content_started and s.first_play is not ev:
            s.emit("time-to-start-changed", f"media.qoe.timeToStart changed from {s.time_to_start} to {tts} after "
                   "playback started", ev)
        s.time_to_start = tts
    bitrate = qoe.get("media.qoe.bitrate")
    if spec.json_type_ok(bitrate, "integer"):
        if 0 < bitrate < KBPS_THRESHOLD:
            s.emit_once("bitrate-units", f"media.qoe.bitrate {bitrate} looks like kbps; the API expects bps", ev)
        if bitrate != s.current_bitrate:
            s.current_bitrate = bitrate
            if s.timeline is not None:
                s.timeline.open("bitrate", "bitrate", "bitrate", ev.t, f"{bitrate} bps", value=spec.as_float(bitrate),
                                event=ev.index)
