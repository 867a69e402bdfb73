"""Pings (rules.md §6): main-content heartbeat every 10 s, ad heartbeat every 1 s."""

from __future__ import annotations

from mcscope.core.state import Event, SessionState

OFFLINE_PING_INTERVAL = 50.0  # R92: Adobe's SDK pings every 50 s in downloaded content


def handle(s: SessionState, ev: Event) -> None:
    et = ev.event_type
    is_ping = et == "ping"
    if is_ping:
        s.any_ping = True
    if s.completed:
        return  # playback is over after sessionComplete: pings are allowed, no longer due
    if s.in_ad and s.in_break is not False:
        if is_ping:
            _ad_ping(s, ev)
        return
    if et == "adBreakStart":
        s.main_ref = None  # pings inside the break are ad pings
        return
    if et == "adBreakComplete":
        if s.content_started:
            _set_ref(s, ev.t, "break")
        return
    if s.in_break is not False:
        return  # unknown or ad-break context: nothing is known about main-content pings
    if s.ignored_ad is not None or ev.context == "ignored-ad":
        # The player is in an ad Adobe ignores (reported once as ad-outside-break): its ad-cadence pings
        # are not judged as content pings; measure again from the ad's end.
        if s.main_ref is not None:
            _set_ref(s, ev.t, "ad")
        return
    if et == "play" and s.main_ref is None and ev.context in ("main", "ignored-ad"):
        _set_ref(s, ev.t, "play")
        return
    if s.main_ref is None:
        if is_ping:
            _set_ref(s, ev.t, "ping")
        return
    _main_interval(s, ev, is_ping)


def _limits(s: SessionState) -> tuple[float, float]:
    interval = s.tun("main_ping_interval")
    tol = s.tun("ping_tolerance")
    high = max(interval, OFFLINE_PING_INTERVAL) if s.downloaded else interval
    return (interval - tol) * 1000, (high + tol) * 1000


def _set_ref(s: SessionState, t: int, kind: str) -> None:
    s.main_ref = t
    s.main_ref_kind = kind
    s.main_gap_reported = False


def _main_interval(s: SessionState, ev: Event, is_ping: bool) -> None:
    assert s.main_ref is not None
    low, high = _limits(s)
    elapsed = ev.t - s.main_ref
    kind = s.main_ref_kind
    if elapsed > high and not s.main_gap_reported:
        s.main_gap_reported = True
        _gap(s, s.main_ref, ev.t)
        if kind == "play" and not s.first_main_ping_seen:
            s.emit("ping-first-late", f"first main-content ping {elapsed / 1000:.1f} s after playback start "
                   f"(expected within {high / 1000:g} s)", ev)
        else:
            since = {"ping": "the previous ping", "break": "the ad break ended", "play": "playback start",
                     "ad": "the ignored ad ended"}[kind]
            s.emit("ping-interval", f"{elapsed / 1000:.1f} s since {since} without a ping (expected every "
                   f"{s.tun('main_ping_interval'):g} s)", ev)
    if not is_ping:
        return
    if kind == "ping" and elapsed < low:
        if not s.short_pings_reported:  # once per run of too-frequent pings, not on every ping
            s.short_pings_reported = True
            s.emit("ping-interval", f"ping {elapsed / 1000:.1f} s after the previous one (expected every "
                   f"{s.tun('main_ping_interval'):g} s)", ev)
    elif kind == "ping":
        s.short_pings_reported = False
    s.first_main_ping_seen = True
    _set_ref(s, ev.t, "ping")


def _ad_ping(s: SessionState, ev: Event) -> None:
    s.ad_pings += 1
    if s.ad_ref is not None:
        _ad_gap(s, ev, ev.t - s.ad_ref)
    s.ad_ref = ev.t


def _ad_gap(s: SessionState, ev: Event, elapsed: int) -> None:
    limit = (s.tun("ad_ping_interval") + s.tun("ping_tolerance")) * 1000
    if elapsed > limit and s.ad_ref is not None:
        _gap(s, s.ad_ref, s.ad_ref + elapsed)
        if not s.ad_gap_reported:
            s.ad_gap_reported = True
            s.emit("ad-ping-interval", f"{elapsed / 1000:.1f} s between pings during an ad (recommended every "
                   f"{s.tun('ad_ping_interval'):g} s; up to 10 s is accepted)", ev)


def on_ad_end(s: SessionState, ev: Event | None) -> None:
    """The open ad ends (adComplete, adSkip, break end, session close)."""
    if s.ad_start_t is None:
        return
    end_t = ev.t if ev is not None else s.last_t or s.ad_start_t
    duration = end_t - s.ad_start_t
    limit = (s.tun("ad_ping_interval") + s.tun("ping_tolerance")) * 1000
    target = ev if ev is not None else s.ad_event
    if s.ad_pings == 0:
        if duration > limit and target is not None:
            _gap(s, s.ad_start_t, end_t)
            s.emit("ad-no-pings", f"ad lasted {duration / 1000:.1f} s without a ping", target)
    elif s.ad_ref is not None and target is not None:
        _ad_gap(s, target, end_t - s.ad_ref)
    s.ad_start_t = None
    s.ad_ref = None


def on_close(s: SessionState, ev: Event | None) -> None:
    if s.in_ad and s.ad_start_t is not None:
        on_ad_end(s, ev)
    if s.any_ping or s.first_ts is None or s.last_ts is None:
        return
    end = ev.ts if ev is not None and ev.ts is not None else s.last_ts
    span = end - s.first_ts
    if span > s.tun("main_ping_interval") * 1000:
        s.emit_once("no-pings", f"no ping in a session lasting {span / 1000:.0f} s", ev)


def _gap(s: SessionState, start: int, end: int) -> None:
    if s.timeline is not None:
        s.timeline.open("ping-gap", "gap", "gap", start, f"{(end - start) / 1000:.1f} s without a ping")
        s.timeline.close("ping-gap", "gap", end)
