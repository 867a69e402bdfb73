"""Session lifecycle (rules.md §4): end, complete, timeouts, age; and the checks due when a session closes."""

from __future__ import annotations

from mcscope.core import spec
from mcscope.core.model import Severity
from mcscope.core.rules import pings
from mcscope.core.rules.catalogue import RULES
from mcscope.core.state import Event, SessionState

CLOSING = ("sessionComplete", "sessionEnd")


def before(s: SessionState, ev: Event) -> bool:
    """Judge ``ev`` against the session's life so far. True when the collector drops the event."""
    et = ev.event_type
    if s.closed == "ended":
        if et == "sessionEnd":
            s.emit("event-after-end", "repeated sessionEnd (silently dropped)", ev, severity=Severity.INFO, ignored=True)
        else:
            s.emit("event-after-end", f"{et or 'event'} after sessionEnd", ev, ignored=True)
        s.drop(ev, RULES["event-after-end"].consequence or "dropped")
        return True
    if s.closed in ("timeout-idle", "timeout-playhead"):
        s.drop(ev, s.close_reason or "dropped: session timed out")
        return True
    ts = ev.ts
    tunables = s.config.tunables
    if ts is not None and s.last_ts is not None and not ev.downloaded:
        idle_ms = tunables["idle_timeout"] * 1000
        gap = ts - s.last_ts
        if gap > idle_ms:
            s.emit("session-timeout-idle", f"{spec.as_float(gap) / 1000:.0f} s without events: the collector "
                   "closed the session "
                   f"after {idle_ms / 1000:.0f} s", ev, ignored=True)
            _timeout(s, ev, "timeout-idle", RULES["session-timeout-idle"].consequence)
            return True
        frozen_ms = tunables["playhead_timeout"] * 1000
        # More than, not at least: an event at exactly 30 min is accepted (Adobe's SDKs send sessionEnd then).
        if s.playhead_change_ts is not None and ts - s.playhead_change_ts > frozen_ms:
            s.emit("session-timeout-playhead", f"playhead {s.playhead:g} unchanged for "
                   f"{_seconds(ts - s.playhead_change_ts)} s: the collector closed the session", ev, ignored=True)
            _timeout(s, ev, "timeout-playhead", RULES["session-timeout-playhead"].consequence)
            return True
    if ts is not None and s.first_ts is not None and ts - s.first_ts > tunables["max_session_age"] * 1000:
        s.emit_once("session-too-old", f"session is {(ts - s.first_ts) / 3600000:.1f} h old: expect 410 Gone; "
                    "restart sessions every 24 h", ev)
    if s.completed and et not in ("ping", "sessionEnd"):
        s.emit("event-after-complete", f"{et or 'event'} after sessionComplete (playback is over)", ev)
    return False


def _seconds(ms: int) -> str:
    """1805000 -> "1805", 1800001 -> "1800.001": a boundary case shows why it is over the limit."""
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


def _timeout(s: SessionState, ev: Event, kind: str, reason: str | None) -> None:
    close(s, ev, timed_out=True)
    s.closed = kind
    s.close_reason = reason
    s.drop(ev, reason or "dropped")


def after(s: SessionState, ev: Event) -> None:
    """State changes once the event has been judged by every family."""
    if ev.event_type == "sessionEnd":
        close(s, ev)
        s.closed = "ended"
    elif ev.event_type == "sessionComplete":
        close(s, ev)
        s.completed = True
        s.m["content_complete"] = 1


def close(s: SessionState, ev: Event | None, timed_out: bool = False) -> None:
    """Checks due when a session closes (sessionComplete, sessionEnd, timeout, or at capture end when expired)."""
    at_end = ev is not None and ev.event_type in CLOSING and not timed_out
    if at_end and s.in_break is True:
        s.emit_once("ad-break-open-at-end", f"ad break still open at {ev.event_type}", ev)
    if s.in_chapter is True:
        s.emit_once("chapter-open-at-end", "chapter still open when the session closed", ev)
    if s.content_started is False:
        s.emit_once("no-content-play", "the session closed without a play on main content (drop before start)", ev)
    if s.error_pending is not None and (ev is None or ev.event_type != "sessionEnd"):
        err = s.error_pending
        s.emit("error-not-followed", "error was followed by neither play nor sessionEnd", err)
        s.error_pending = None
    pings.on_close(s, ev)
