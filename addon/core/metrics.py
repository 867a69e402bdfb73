"""The metrics preview: what Adobe will count, from ts differences while in each state (mcapi.md §9)."""

from __future__ import annotations

from typing import Any

from mcscope.core.state import Event, SessionState

PROGRESS_MARKERS = (10, 25, 50, 75, 95)


def accumulate(s: SessionState, ev: Event) -> None:
    """Attribute the time since the previous counted event to the state the session was in."""
    prev = s.last_t
    if prev is None:
        return
    dt = ev.t - prev
    if dt <= 0 or dt > s.config.tunables["idle_timeout"] * 1000:
        return
    m = s.m
    if s.in_break is True:
        if s.in_ad and s.playback not in ("paused", "buffering"):
            m["ad_time"] += dt
        return
    if s.in_break is None and s.in_ad:
        if s.playback not in ("paused", "buffering"):
            m["ad_time"] += dt
        return
    state = s.playback
    if state == "playing":
        if s.stalled:
            m["stall_time"] += dt
            return
        m["content_time"] += dt
        if s.ignored_ad is not None:
            m["ignored_ad_time"] += dt
        if s.current_bitrate is not None:
            m["bitrate_weighted"] += s.current_bitrate * dt
            m["bitrate_time"] += dt
    elif state == "paused":
        m["pause_time"] += dt
    elif state == "buffering":
        m["buffer_time"] += dt


def preview(s: SessionState) -> dict[str, Any]:
    m = s.m
    content = m["content_time"] / 1000
    ad = m["ad_time"] / 1000
    markers: list[int] = []
    length = s.media_length
    if length and not s.is_live_content and s.max_content_playhead is not None:
        reached = s.max_content_playhead / length * 100
        markers = [p for p in PROGRESS_MARKERS if reached >= p]
    avg_bitrate = _average(m["bitrate_weighted"], m["bitrate_time"])
    return {
        "content_time": round(content, 3),
        "ad_time": round(ad, 3),
        "ignored_ad_time": round(m["ignored_ad_time"] / 1000, 3),
        "media_time": round(content + ad, 3),
        "pause_count": int(m["pause_count"]),
        "pause_time": round(m["pause_time"] / 1000, 3),
        "buffer_count": int(m["buffer_count"]),
        "buffer_time": round(m["buffer_time"] / 1000, 3),
        "stalls": int(m["stalls"]),
        "stall_time": round(m["stall_time"] / 1000, 3),
        "bitrate_changes": int(m["bitrate_changes"]),
        "errors": int(m["errors"]),
        "content_start": int(m["content_start"]),
        "content_complete": int(m["content_complete"]),
        "ads_started": int(m["ads_started"]),
        "ads_ignored": int(m["ads_ignored"]),
        "chapters_started": int(m["chapters_started"]),
        "progress_markers": markers,
        "average_bitrate": avg_bitrate,
    }


def _average(weighted: float, time: float) -> int | None:
    """The time-weighted average (rounded), None without time or when a bitrate no float holds was sent."""
    if not time:
        return None
    try:
        return round(weighted / time)
    except (OverflowError, ValueError):
        return None
