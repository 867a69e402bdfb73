"""Playback (rules.md §7): play/pause/buffer states, stalls, playhead sanity."""

from __future__ import annotations

from mcscope.core.state import Event, SessionState

PLAYHEAD_TOLERANCE = 1.0
STALL_EVENTS = 3  # R57: unchanged over 3+ consecutive events
STALL_MIN_SPAN_MS = 1500  # players report whole-second playheads: quick back-to-back events are no stall
UNITS_RATIO = (300.0, 3000.0)  # playhead/ts speed that means milliseconds sent as seconds
UNITS_MIN_SPAN_MS = 2000

_STATE_OF = {"play": "playing", "pauseStart": "paused", "bufferStart": "buffering"}


def handle(s: SessionState, ev: Event) -> None:
    et = ev.event_type
    main = ev.context in ("main", "ignored-ad")
    prev_playhead = s.last_event_playhead
    prev_t = s.last_event_t
    if main:
        _stall(s, ev)
        _moved_while_paused(s, ev, et)
        _units(s, ev, prev_playhead, prev_t)
        _beyond_length(s, ev)
        if ev.playhead is not None and (s.max_content_playhead is None or ev.playhead > s.max_content_playhead):
            if s.playback == "playing" or et == "play":
                s.max_content_playhead = ev.playhead
    if et in ("pauseStart", "bufferStart"):
        if s.playback == _STATE_OF[et]:
            s.emit("redundant-state-event", f"{et} repeated without a play in between", ev)
        _set_state(s, ev, _STATE_OF[et])
        s.pause_playhead = ev.playhead
        s.pause_reported = False
        if ev.context in ("main", "ignored-ad", "unknown"):  # as metrics.accumulate counts their time
            s.m["pause_count" if et == "pauseStart" else "buffer_count"] += 1
        s.awaiting_play_after_break = False
    elif et == "play":
        if main and not s.content_started:
            s.content_started = True
            s.m["content_start"] = 1
            s.first_play = ev
        _set_state(s, ev, "playing")
        s.awaiting_play_after_break = False
        if s.error_pending is not None:
            s.error_pending = None
    elif et == "ping" and main and s.in_break is False and s.awaiting_play_after_break:
        s.awaiting_play_after_break = False
        s.emit("no-play-after-ad-break", "content ping after adBreakComplete without a play (the player state "
               "is not set back to playing)", ev)
    elif et in ("sessionComplete", "sessionEnd"):
        s.awaiting_play_after_break = False
        if et == "sessionEnd":
            s.error_pending = None
        _set_state(s, ev, "ended")
    elif et == "sessionStart" and s.playback != "starting":  # Session._start already opened "starting"
        _set_state(s, ev, "starting")
    elif et == "adBreakComplete" and s.in_break is False:
        # Main content is not playing again until the player says so (R59).
        _set_state(s, ev, "starting", "waiting for play")
    if ev.playhead is not None:
        s.last_event_playhead = ev.playhead
        s.last_event_t = ev.t


def _set_state(s: SessionState, ev: Event, state: str, label: str | None = None) -> None:
    if state != "playing":
        _end_stall(s, ev.t)
    s.playback = state
    if s.timeline is not None:
        if state == "ended":
            s.timeline.close("playback", "state", ev.t)
        else:
            s.timeline.open("playback", "state", state, ev.t, label or state, event=ev.index)


def _stall(s: SessionState, ev: Event) -> None:
    if s.in_break is not False or ev.playhead is None:
        return
    if ev.context == "ignored-ad" or s.ignored_ad is not None:
        # An ad Adobe ignores keeps the content playhead still: its consequence is reported as
        # ad-outside-break (time counted as main content), not as a stall.
        _end_stall(s, ev.t)
        return
    if ev.event_type == "play" or s.playback != "playing":
        _end_stall(s, ev.t)
        s.stall_run = 1 if ev.event_type == "play" else 0
        s.stall_playhead = ev.playhead
        s.stall_start_t = ev.t
        return
    if s.stall_run > 0 and s.stall_playhead is not None and abs(ev.playhead - s.stall_playhead) < 1e-6:
        s.stall_run += 1
        began = s.stall_start_t if s.stall_start_t is not None else ev.t
        if not s.stalled and s.stall_run >= STALL_EVENTS and ev.t - began >= STALL_MIN_SPAN_MS:
            s.stalled = True
            s.m["stalls"] += 1
            s.emit("stall", f"playing, yet the playhead stayed at {ev.playhead:g} over {s.stall_run} events "
                   f"and {(ev.t - began) / 1000:.1f} s (Adobe counts a stall)", ev)
            if s.timeline is not None:
                s.timeline.open("playback", "stall", "stalled", began, "stalled", event=ev.index)
        return
    _end_stall(s, ev.t)
    s.stall_run = 1
    s.stall_playhead = ev.playhead
    s.stall_start_t = ev.t


def _end_stall(s: SessionState, t: int) -> None:
    if s.stalled:
        s.stalled = False
        if s.timeline is not None:
            s.timeline.close("playback", "stall", t)
    s.stall_run = 0


def _moved_while_paused(s: SessionState, ev: Event, et: str | None) -> None:
    if s.playback not in ("paused", "buffering") or et in ("play", "pauseStart", "bufferStart"):
        return
    if s.pause_reported or s.pause_playhead is None or ev.playhead is None:
        return
    if ev.playhead - s.pause_playhead > PLAYHEAD_TOLERANCE:
        s.pause_reported = True
        s.emit("playhead-moved-while-paused", f"playhead advanced from {s.pause_playhead:g} to {ev.playhead:g} "
               f"while {s.playback}", ev)


def _units(s: SessionState, ev: Event, prev_playhead: float | None, prev_t: int | None) -> None:
    if "playhead-units" in s.fired or s.playback != "playing" or ev.playhead is None:
        return
    if prev_playhead is None or prev_t is None or ev.ts is None:
        return
    span = ev.t - prev_t
    if span < UNITS_MIN_SPAN_MS:
        return
    ratio = (ev.playhead - prev_playhead) / (span / 1000)
    if UNITS_RATIO[0] <= ratio <= UNITS_RATIO[1]:
        s.emit_once("playhead-units", f"playhead moved {ev.playhead - prev_playhead:g} in {span / 1000:.1f} s "
                    "of ts: milliseconds sent as seconds?", ev)


def _beyond_length(s: SessionState, ev: Event) -> None:
    if "playhead-beyond-length" in s.fired or ev.playhead is None or s.is_live_content:
        return
    length = s.media_length
    if length is not None and ev.playhead > length + PLAYHEAD_TOLERANCE:
        s.emit_once("playhead-beyond-length", f"playhead {ev.playhead:g} is beyond media.length {length:g}", ev)
