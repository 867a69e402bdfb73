"""Timestamps and ordering (rules.md §5)."""

from __future__ import annotations

from mcscope.core.state import Event, SessionState

RESTAMP_STEP_MS = 2  # "near-identical" ts
RESTAMP_MIN_WITH_PING = 3  # a burst this long that includes a ping cannot be real time
RESTAMP_MIN = 5


def check(s: SessionState, ev: Event) -> None:
    ts = ev.ts
    if ts is None:
        return
    prev = s.last_ts
    if prev is not None:
        if ts == prev:
            s.emit("ts-duplicate", f"same ts {ts} as the previous event: arrival order decides their order "
                   "(Adobe's SDKs do this for the events of one player action)", ev)
        elif ts < prev:
            s.emit("ts-backwards", f"ts {ts} is {prev - ts} ms before the previous event's" + _padding_hint(s, ev),
                   ev)
        else:
            gap = ts - prev
            tunables = s.config.tunables
            if tunables["long_gap"] * 1000 <= gap <= tunables["idle_timeout"] * 1000:
                s.emit("long-gap", f"{gap / 1000:.0f} s since the previous event", ev)
    max_ts = s.max_ts
    if not ev.downloaded:
        if max_ts is not None and ts < max_ts:
            _reorder(s, ev, ts)
        if s.restamp_run >= 0:
            _restamped(s, ev, ts, prev)
    s.recent_ts.append(ts)
    if max_ts is None or ts > max_ts:
        s.max_ts = ts


def _padding_hint(s: SessionState, ev: Event) -> str:
    """media-edge.md Decisions, Timestamps: ".6Z" is 600 ms per ISO 8601, but a client writing 6 ms without
    zero padding (Adobe's Roku SDK) means ".006Z"; either timestamp of the pair can be the short one."""
    for digits, which in ((ev.ts_fraction_digits(), "this"), (s.last_ts_fraction, "the previous")):
        if digits is not None and 0 < digits < 3:
            return (f" ({which} timestamp's fraction has {digits} digit{'s' if digits > 1 else ''}: the client may "
                    "be writing milliseconds without zero padding, e.g. .6 for .006)")
    return ""


def _reorder(s: SessionState, ev: Event, ts: int) -> None:
    if s.max_ts is None or ts >= s.max_ts or ev.event_type == "sessionStart":
        return
    late_ms = s.max_ts - ts
    overtaken = s.recent_ts.count_greater(ts)
    if late_ms > s.tun("reorder_window_s") * 1000 or overtaken > s.tun("reorder_window_events"):
        s.emit("arrival-out-of-order", f"arrived {late_ms / 1000:.1f} s and {overtaken} events late: beyond the "
               "collector's reorder window", ev)


def _restamped(s: SessionState, ev: Event, ts: int, prev: int | None) -> None:
    """Count the run of near-identical ts that starts right after the sessionStart."""
    if not s.observed_start or "queued-restamped" in s.fired or prev is None:
        return
    if s.restamp_run < 0:
        return  # the run after sessionStart already ended
    if ev.index == 1 or 0 <= ts - prev <= RESTAMP_STEP_MS:
        if ev.index == 1:
            s.restamp_run = 1
            s.restamp_ping = ev.event_type == "ping"
            s.restamp_first_ts = ts
            return
        s.restamp_run += 1
        s.restamp_ping = s.restamp_ping or ev.event_type == "ping"
        if s.restamp_run >= RESTAMP_MIN or (s.restamp_ping and s.restamp_run >= RESTAMP_MIN_WITH_PING):
            s.emit_once("queued-restamped", f"{s.restamp_run} events right after the sessionStart within "
                        f"{ts - s.restamp_first_ts} ms: queued events re-stamped at send time?", ev)
    else:
        s.restamp_run = -1
