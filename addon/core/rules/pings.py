"""Pings (rules.md §6): main-content heartbeat every 10 s, ad heartbeat every 1 s (up to 10 s accepted; on the
Media Edge API 10 s, the Edge clients' default: media-edge.md §3.4).

Every Adobe client restarts its ping timer when it sends any other event (rules.md "Pings: the timer
restarts at every event"), so every gap is measured from the previous event of any type, not from the
previous ping. Only the too-frequent check compares a ping with the previous ping.
"""

from __future__ import annotations

from mcscope.core.model import Severity
from mcscope.core.state import Event, SessionState

OFFLINE_PING_INTERVAL = 50.0  # R92: Adobe's SDK pings every 50 s in downloaded content
IGNORED_AD = "the ignored ad"  # main_ref_kind while an ad Adobe ignores is open
# media-edge.md Decisions: the main ping intervals Adobe's Edge clients can be configured to (Web SDK
# mainPingInterval, Edge Media SDKs config.mainpinginterval, Roku), and how many gaps settle a session's.
INFERABLE_INTERVAL = (10.0, 50.0)
INFER_GAPS = 3
MAX_PENDING = 16  # a session that sends late events but no pings settles on the tunable (bounded memory)
LATE_GAP = "pings:late-gap"  # marker in SessionState.fired: a main-content gap since the previous event was late


def handle(s: SessionState, ev: Event) -> None:
    et = ev.event_type
    is_ping = et == "ping"
    if is_ping:
        s.any_ping = True
    if s.completed:
        return  # playback is over after sessionComplete: pings are allowed, no longer due
    if s.in_ad and s.in_break is not False:
        _ad_event(s, ev, is_ping)
        return
    if et == "adBreakStart":
        _end_main_stretch(s, ev)  # pings inside the break are ad pings
        return
    if et == "adBreakComplete":
        if s.content_started:
            _restart(s, ev.t, "adBreakComplete")
        return
    if s.in_break is not False:
        return  # unknown or ad-break context: nothing is known about main-content pings
    if s.ignored_ad is not None or ev.context == "ignored-ad":
        _ignored_ad_event(s, ev)
        return
    if s.main_ref is None:
        if et == "play" or is_ping:  # the timer starts with playback (or with a ping)
            _restart(s, ev.t, et)
            if is_ping:
                _main_ping(s, ev)
        return
    elapsed = ev.t - s.main_ref
    _judge_main_gap(s, ev)
    if is_ping:
        _main_ping(s, ev, elapsed)
    _restart(s, ev.t, et or "event")


# --- the session's main ping interval (media-edge.md Decisions) ----------------------------------------------
def interval(s: SessionState) -> float:
    """The main-content ping interval ``s`` is judged against: the tunable (10 s), or on a Media Edge API session
    the one its first main-content ping gaps settled on."""
    settled = s.ping_interval
    return settled if settled is not None else s.tun("main_ping_interval")


def _inferring(s: SessionState) -> bool:
    """Still learning the interval: the gaps that may be late under some candidate interval wait (pending_gaps)."""
    return s.infers_ping_interval and not s.downloaded and s.ping_interval is None


def _learn(s: SessionState, elapsed: int) -> None:
    """A main-content ping came ``elapsed`` ms after the previous event: one of the first gaps. Three that agree
    within the tolerance and lie in 10-50 s settle the interval on their median (two, if the session closes
    before a third); any other gap settles the tunable at once."""
    gaps = s.ping_gaps
    gaps.append(elapsed)
    tol = s.tun("ping_tolerance") * 1000
    low, high = (INFERABLE_INTERVAL[0] * 1000 - tol, INFERABLE_INTERVAL[1] * 1000 + tol)
    if max(gaps) - min(gaps) > tol or not low <= elapsed <= high:
        s.ping_gaps = []  # they disagree: nothing to infer from
        settle(s)
    elif len(gaps) == INFER_GAPS:
        settle(s, _agreed(s))


def _agreed(s: SessionState) -> float:
    """The interval the (agreeing) gaps so far keep: their median, in whole seconds, within 10-50 s."""
    gaps = sorted(s.ping_gaps)
    median = gaps[len(gaps) // 2] / 1000
    return min(max(float(round(median)), INFERABLE_INTERVAL[0]), INFERABLE_INTERVAL[1])


def settle(s: SessionState, inferred: float | None = None) -> None:
    """Fix the session's interval (``inferred``, else the tunable) and judge the gaps that waited for it. Called
    when the gaps decide, when the session closes and at the end of the capture; a no-op once settled."""
    if not _inferring(s):
        return
    if inferred is None and len(s.ping_gaps) == INFER_GAPS - 1:
        # The session ended after two pings: there is no third gap, and two that agree within the tolerance
        # are all it could show (Adobe's own CustomPingDuration test ends so); one gap infers nothing.
        inferred = _agreed(s)
    default = s.tun("main_ping_interval")
    s.ping_interval = inferred if inferred is not None else default
    s.inferred_ping_interval = inferred is not None and inferred != default
    pending, s.pending_gaps = s.pending_gaps, []
    for ev, ref, kind, first in pending:
        _late(s, ev, ref, kind, first)


# --- main content -------------------------------------------------------------------------------------------
def _limits(s: SessionState) -> tuple[float, float]:
    """(too frequent, too late) in ms: pings closer together than the first, events further apart than the
    second."""
    main = interval(s)
    tol = s.tun("ping_tolerance")
    return (main - tol) * 1000, (_offline(s, main) + tol) * 1000


def _offline(s: SessionState, interval: float) -> float:
    """The longest accepted ping interval: in downloaded content Adobe's SDK pings every 50 s (R92), ads too."""
    return max(interval, OFFLINE_PING_INTERVAL) if s.downloaded else interval


def _restart(s: SessionState, t: int, kind: str) -> None:
    s.main_ref = t
    s.main_ref_kind = kind


def _end_main_stretch(s: SessionState, ev: Event) -> None:
    """An ad break starts: the main content before it is judged up to here, its timer stops."""
    if s.main_ref is not None and s.main_ref_kind != IGNORED_AD:
        _judge_main_gap(s, ev)
    s.main_ref = None
    s.last_main_ping_t = None


def _ignored_ad_event(s: SessionState, ev: Event) -> None:
    """The player is in an ad Adobe ignores (reported once as ad-outside-break): its ad-cadence pings are not
    judged as content pings; the content before it is, and the timer runs again from the ad's last event."""
    if s.main_ref is None:
        return
    if s.main_ref_kind != IGNORED_AD:
        _judge_main_gap(s, ev)
    _restart(s, ev.t, IGNORED_AD)
    s.last_main_ping_t = None


def _since(kind: str) -> str:
    if kind == IGNORED_AD:
        return IGNORED_AD + " ended"
    return f"the previous event ({kind})"


def _judge_main_gap(s: SessionState, ev: Event) -> None:
    assert s.main_ref is not None
    first = not s.first_main_ping_seen
    if _inferring(s):
        tol = s.tun("ping_tolerance")
        if ev.t - s.main_ref > (min(s.tun("main_ping_interval"), INFERABLE_INTERVAL[0]) + tol) * 1000:
            s.pending_gaps.append((ev, s.main_ref, s.main_ref_kind, first))  # late under some candidate
            if len(s.pending_gaps) >= MAX_PENDING:
                settle(s)
        return
    _late(s, ev, s.main_ref, s.main_ref_kind, first)


def _late(s: SessionState, ev: Event, ref: int, kind: str, first: bool) -> None:
    """ping-first-late / ping-interval when ``ev`` came too long after the event at ``ref``."""
    _, high = _limits(s)
    elapsed = ev.t - ref
    if elapsed <= high:
        return
    s.fired.add(LATE_GAP)
    _gap(s, ref, ev.t)
    main = interval(s)
    since = _since(kind)
    due = f"a ping is due {main:g} s after the previous event" + (
        ", the interval this session's first pings keep" if s.inferred_ping_interval else "")
    if first and "ping-first-late" not in s.fired:
        s.emit_once("ping-first-late", f"{elapsed / 1000:.1f} s without any event since {since}, and no "
                    f"main-content ping yet since playback start ({due})", ev)
    else:
        s.emit("ping-interval", f"{elapsed / 1000:.1f} s without any event since {since} ({due})", ev)


def _main_ping(s: SessionState, ev: Event, elapsed: int | None = None) -> None:
    if elapsed is not None and _inferring(s):
        _learn(s, elapsed)
    low, _ = _limits(s)
    prev = s.last_main_ping_t
    if prev is not None and ev.t - prev < low and not s.short_pings_reported:
        s.short_pings_reported = True  # once per session
        s.emit("ping-interval", f"ping {(ev.t - prev) / 1000:.1f} s after the previous one (expected every "
               f"{interval(s):g} s; reported once per session)", ev, severity=Severity.INFO)
    s.last_main_ping_t = ev.t
    s.first_main_ping_seen = True


# --- ads ------------------------------------------------------------------------------------------------------
def on_ad_start(s: SessionState, ev: Event) -> None:
    s.ad_start_t = ev.t
    s.ad_ref = ev.t
    s.ad_pings = 0
    s.ad_quiet_max = 0
    s.ad_gap_reported = False


def _ad_event(s: SessionState, ev: Event, is_ping: bool) -> None:
    if is_ping:
        s.ad_pings += 1
    if s.ad_ref is not None:
        _ad_gap(s, ev, ev.t - s.ad_ref)
    s.ad_ref = ev.t


def _ad_gap(s: SessionState, ev: Event, elapsed: int) -> None:
    """A gap inside the open ad, ending at ``ev``. An ad without any ping is ad-no-pings' business."""
    s.ad_quiet_max = max(s.ad_quiet_max, elapsed)
    if s.ad_pings == 0 or s.ad_ref is None:
        return
    recommended = ad_interval(s)
    limit = (_offline(s, recommended) + s.tun("ping_tolerance")) * 1000
    if elapsed > limit:
        _gap(s, s.ad_ref, s.ad_ref + elapsed)
        if not s.ad_gap_reported:
            s.ad_gap_reported = True
            accepted = s.tun("max_ad_ping_interval")
            why = (f"recommended every {recommended:g} s; up to {accepted:g} s is accepted" if recommended < accepted
                   else f"expected every {recommended:g} s")
            s.emit("ad-ping-interval", f"{elapsed / 1000:.1f} s without a ping during an ad ({why})", ev)


def ad_interval(s: SessionState) -> float:
    """The ad ping interval ``s`` is judged against: the tunable's value for the session's protocol (Media Edge
    API 10 s, the Edge clients' default; REST 1 s)."""
    return s.config.t("ad_ping_interval", s.protocol)


def on_ad_end(s: SessionState, ev: Event | None) -> None:
    """The open ad ends (adComplete, adSkip, break end, session close)."""
    if s.ad_start_t is None:
        return
    end_t = ev.t if ev is not None else s.last_t or s.ad_start_t
    target = ev if ev is not None else s.ad_event
    if target is not None:
        _ad_gap(s, target, end_t - (s.ad_ref if s.ad_ref is not None else s.ad_start_t))
        if s.ad_pings == 0:
            _ad_without_pings(s, target, end_t)
    s.ad_start_t = None
    s.ad_ref = None


def _ad_without_pings(s: SessionState, target: Event, end_t: int) -> None:
    """R72 with R52's 1-10 s: an ad may go without a ping as long as no stretch of it without any event
    exceeds the longest accepted ad ping interval + tolerance."""
    assert s.ad_start_t is not None
    limit = (_offline(s, s.tun("max_ad_ping_interval")) + s.tun("ping_tolerance")) * 1000
    if s.ad_quiet_max <= limit:
        return
    duration = end_t - s.ad_start_t
    _gap(s, s.ad_start_t, end_t)
    quiet = "" if s.ad_quiet_max >= duration else f", {s.ad_quiet_max / 1000:.1f} s of it without any event"
    s.emit("ad-no-pings", f"ad lasted {duration / 1000:.1f} s without a ping{quiet} (accepted up to "
           f"{s.tun('max_ad_ping_interval'):g} s + {s.tun('ping_tolerance'):g} s)", target)


# --- session ------------------------------------------------------------------------------------------------
def on_close(s: SessionState, ev: Event | None) -> None:
    settle(s)
    if s.in_ad and s.ad_start_t is not None:
        on_ad_end(s, ev)
    if s.any_ping or s.first_ts is None or s.last_ts is None:
        return
    if s.protocol == "edge" and LATE_GAP not in s.fired:
        # media-edge.md §3.4: on Edge no-pings measures the gap since the previous event, like ping-interval;
        # a session whose events never leave a ping due needs none (Adobe's Edge clients re-arm at every event)
        return
    end = ev.ts if ev is not None and ev.ts is not None else s.last_ts
    span = end - s.first_ts
    if span > s.tun("main_ping_interval") * 1000:
        s.emit_once("no-pings", f"no ping in a session lasting {span / 1000:.0f} s", ev)


def _gap(s: SessionState, start: int, end: int) -> None:
    if s.timeline is not None:
        s.timeline.open("ping-gap", "gap", "gap", start, f"{(end - start) / 1000:.1f} s without a ping")
        s.timeline.close("ping-gap", "gap", end)
