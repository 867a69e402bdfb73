"""Session lifecycle (rules.md §4), each rule both ways."""

from __future__ import annotations

import pytest

from mcscope.core.model import Severity
from mcscope.core.rules.catalogue import RULES
from tests.builder import T0, Capture, clean_vod, frozen_then, rules, serious, start_params
from tests.core.rules.casetable import (
    LAST,
    SID_B,
    Table,
    assert_fires,
    assert_quiet,
    covers,
    findings,
    started,
)

T = Table("lifecycle")
MIN = 60_000


# --- no-session-start ----------------------------------------------------------------------------------
@T.fires("no-session-start", event=0, severity=Severity.INFO)
def capture_begins_mid_session():
    c = Capture()
    c.ev("ping", dt=0)
    c.ev("ping", dt=10000)
    return c


@T.fires("no-session-start", event=0, severity=Severity.INFO)
def unknown_sid_exactly_ten_minutes_into_the_capture():
    c = started()
    c.sid = SID_B
    c.ev("ping", dt=10 * MIN - 1000)
    return c


@T.fires("no-session-start", event=0, severity=Severity.WARNING)
def unknown_sid_long_after_the_capture_began():
    c = started()
    c.ev("ping", dt=10000)
    c.sid = SID_B
    c.ev("ping", dt=10 * MIN)
    return c


@T.quiet("no-session-start")
def session_start_captured():
    return clean_vod()


# --- event-after-end -----------------------------------------------------------------------------------
@T.fires("event-after-end", event=3)
def ping_after_session_end():
    c = started()
    c.ev("sessionEnd")
    c.ev("ping", dt=10000)
    return c


@T.fires("event-after-end", event=3, severity=Severity.INFO)
def repeated_session_end():
    c = started()
    c.ev("sessionEnd")
    c.ev("sessionEnd", dt=10)
    return c


@T.quiet("event-after-end")
def session_complete_then_session_end():
    c = started()
    c.ev("sessionComplete")
    c.ev("sessionEnd")
    return c


# --- event-after-complete ------------------------------------------------------------------------------
@T.fires("event-after-complete", event=3)
def play_after_complete():
    c = started()
    c.ev("sessionComplete")
    c.ev("play")
    return c


@T.fires("event-after-complete", event=3)
def repeated_session_complete():
    c = started()
    c.ev("sessionComplete")
    c.ev("sessionComplete")
    return c


@T.quiet("event-after-complete")
def ping_and_end_after_complete():
    c = started()
    c.ev("sessionComplete")
    c.ev("ping", dt=10000)
    c.ev("sessionEnd")
    return c


# --- session-timeout-idle ------------------------------------------------------------------------------
@T.fires("session-timeout-idle", event=3)
def gap_of_600_001_ms():
    c = started()
    c.ev("pauseStart")
    c.ev("play", dt=10 * MIN + 1)
    return c


@T.quiet("session-timeout-idle")
def gap_of_exactly_600_s():
    c = started()
    c.ev("pauseStart")
    c.ev("play", dt=10 * MIN)
    c.ev("sessionEnd")
    return c


# --- session-timeout-playhead --------------------------------------------------------------------------
def _paused_for(seconds: int) -> Capture:
    """Paused at event 2; pings 5 s, 15 s, 25 s ... after it (the playhead frozen); then playing again."""
    c = started()
    c.ev("pauseStart", dt=10000)  # event 2: the playhead last moved here
    c.ev("ping", dt=5000)
    c.ping_for(seconds - 5)
    c.ev("play", dt=1000)
    c.ev("ping", dt=5000)  # the playhead has moved again
    return c


@T.fires("session-timeout-playhead", event=3 + 180)
def playhead_frozen_for_1805_s():
    return _paused_for(1805)


@T.quiet("session-timeout-playhead")
def playhead_frozen_for_1785_s_then_moving():
    return _paused_for(1785)


@T.fires("session-timeout-playhead", "sessionEnd 30:00.001 after the playhead froze", event=LAST)
def session_end_a_millisecond_after_30_min():
    return frozen_then("sessionEnd", 30 * MIN + 1)


@T.quiet("session-timeout-playhead", "sessionEnd exactly 30:00 after the playhead froze")
def session_end_at_exactly_30_min():
    return frozen_then("sessionEnd", 30 * MIN)  # Adobe's SDKs send it at this instant (R42's remedy)


# --- session-too-old -----------------------------------------------------------------------------------
def _aged(ms: int) -> Capture:
    """sessionStart, then an event every 8 min (inside the idle timeout), the last one ``ms`` after the start."""
    c = Capture()
    c.start()
    c.ev("play", dt=ms % (8 * MIN) or 8 * MIN)
    while c.ts - T0 < ms:
        c.ev("ping", dt=8 * MIN)
    assert c.ts - T0 == ms
    return c


@T.fires("session-too-old", "24 h and 1 ms", event=LAST)
def aged_24_h_and_1_ms():
    return _aged(24 * 60 * MIN + 1)


@T.quiet("session-too-old", "exactly 24 h")
def aged_exactly_24_h():
    return _aged(24 * 60 * MIN)


def _playing_for(hours: float) -> Capture:
    c = started()  # sessionStart at T0, play at T0 + 1 s
    c.ping_for(hours * 3600, every=500_000)  # 8 min 20 s between events keeps the session alive
    return c


@T.fires("session-too-old", event=1 + 173)
def playing_for_24_h_and_a_bit():
    return _playing_for(24.1)


@T.quiet("session-too-old")
def playing_for_23_9_h():
    return _playing_for(23.9)


# --- session-restarted (clients.py) --------------------------------------------------------------------
def _restart(first_close: str | None = None, gap: int = 1000, media_id: str = "episode-1") -> Capture:
    c = started()
    if first_close:
        c.ev(first_close)
    c.sid = SID_B
    c.start(start_params(media__id=media_id), dt=gap)
    c.ev("play")
    c.ev("sessionEnd")
    return c


@T.fires("session-restarted", event=0)
def restart_while_first_open():
    return _restart()


@T.quiet("session-restarted")
def restart_after_session_end():
    return _restart("sessionEnd")


@T.quiet("session-restarted")
def restart_after_session_complete():
    return _restart("sessionComplete")


@T.quiet("session-restarted")
def other_media_while_first_open():
    return _restart(media_id="episode-2")


@T.quiet("session-restarted")
def restart_after_first_timed_out():
    return _restart(gap=10 * MIN + 1)


@pytest.mark.parametrize("failure", [{"status": 500}, {"status": 400}, {"status": None, "error": "timeout"}])
@covers("session-restarted", quiet=True)
def test_retry_after_a_failed_session_start_is_not_a_restart(failure):
    c = Capture()
    c.start(**failure)
    c.start(dt=5000)  # Adobe's SDK retries a failed sessionStart up to 2 times
    c.ev("play")
    c.ev("sessionEnd")
    assert_quiet(c.analyze(), "session-restarted")


# --- session-not-closed --------------------------------------------------------------------------------
@T.fires("session-not-closed", event=3)  # points at the session's last event
def capture_ends_while_playing():
    c = started()
    c.ping_for(20)
    return c


@T.quiet("session-not-closed")
def session_start_failed_with_5xx():
    c = Capture()
    c.start(status=503)  # no 201, no sid: the collector never opened it; the SDK retries the start
    return c


@T.quiet("session-not-closed")
def session_ended():
    c = started()
    c.ev("sessionEnd")
    return c


@T.quiet("session-not-closed")
def session_completed():
    return clean_vod()


@T.quiet("session-not-closed")
def session_gone():
    c = started()
    c.ev("ping", dt=10000, status=410)
    return c


test_fires, test_quiet = T.tests()


# --- details ---------------------------------------------------------------------------------------------
@covers("no-session-start", fires=True)
def test_no_session_start_is_reported_once():
    c = Capture()
    for _ in range(5):
        c.ev("ping", dt=10000)
    an = c.analyze()
    assert_fires(an, "no-session-start", event=0, severity=Severity.INFO, count=1)


@covers("event-after-end", fires=True)
def test_every_event_after_end_is_dropped():
    c = started()
    c.ev("sessionEnd")
    c.ev("ping", dt=10000)
    c.ev("play", dt=10000)
    c.ev("sessionEnd", dt=10000)
    an = c.analyze()
    found = findings(an, "event-after-end")
    assert [(f.event, f.severity) for f in found] == [(3, Severity.ERROR), (4, Severity.ERROR), (5, Severity.INFO)]
    s = an.sessions[0]
    assert [e.ignored for e in s.events] == [False, False, False, True, True, True]
    assert all(e.ignored_reason == RULES["event-after-end"].consequence for e in s.events[3:])
    # a repeated sessionEnd is harmless but still dropped: its finding carries the consequence too
    assert found[2].ignored and found[2].consequence == RULES["event-after-end"].consequence


@covers("session-timeout-idle", fires=True)
def test_every_event_after_the_idle_timeout_is_dropped():
    c = started()
    c.ev("pauseStart")
    c.ev("play", dt=11 * MIN)
    c.ev("ping", dt=10000)
    c.ev("sessionEnd", dt=1000)
    an = c.analyze()
    assert_fires(an, "session-timeout-idle", event=3, count=1)
    s = an.sessions[0]
    assert [e.ignored for e in s.events] == [False, False, False, True, True, True]
    assert all(e.ignored_reason == RULES["session-timeout-idle"].consequence for e in s.events[3:])
    assert s.status == "timed-out"
    assert "session-not-closed" not in rules(an)
    assert "long-gap" not in rules(an)


@covers("session-timeout-playhead", fires=True)
def test_events_after_the_playhead_timeout_are_dropped():
    an = _paused_for(1805).analyze()
    f = assert_fires(an, "session-timeout-playhead", event=183, count=1)
    s = an.sessions[0]
    assert s.events[183].ignored and s.events[-1].ignored
    assert not s.events[182].ignored
    assert "1805 s" in f.message


def test_session_too_old_is_reported_once():
    c = _playing_for(25)
    an = c.analyze()
    assert_fires(an, "session-too-old", event=174, count=1)


@covers("session-restarted", fires=True)
def test_restart_from_another_client_is_not_a_restart():
    c = started()
    c.sid = SID_B
    c.start(start_params(visitor__marketingCloudUserId="99999999999999999999"), dt=1000)
    an = c.analyze()
    assert_quiet(an, "session-restarted")
    an = _restart().analyze()
    f = assert_fires(an, "session-restarted", event=0, count=1)
    assert f.sid == SID_B and "episode-1" in f.message


@covers("session-not-closed", quiet=True)
def test_rejected_session_start_is_not_an_unclosed_session():
    c = Capture()
    c.start(status=400, resp_body=b'{"message": "bad"}')
    an = c.analyze()
    assert_quiet(an, "session-not-closed")


def test_clean_session_has_no_lifecycle_findings():
    an = clean_vod().analyze()
    for rule, info in RULES.items():
        if info.family == "lifecycle":
            assert_quiet(an, rule)


def test_session_end_at_exactly_30_min_closes_the_session_normally():
    an = frozen_then("sessionEnd", 30 * MIN).analyze()
    s = an.sessions[0]
    assert s.status == "ended" and not any(e.ignored for e in s.events)
    assert serious(an) == []


def test_session_end_after_30_min_is_dropped():
    an = frozen_then("sessionEnd", 30 * MIN + 1).analyze()
    f = assert_fires(an, "session-timeout-playhead", count=1)
    assert "1800.001 s" in f.message
    s = an.sessions[0]
    assert s.status == "timed-out" and s.events[-1].ignored and not s.events[-2].ignored


def test_idle_boundary_sessions_stay_open():
    """Exactly 10 min of silence is accepted (more than, never at least), and a ping then keeps it alive."""
    c = started()
    c.ev("pauseStart")
    c.ev("ping", dt=10 * MIN)
    c.ev("ping", dt=10 * MIN)
    c.ev("sessionEnd", dt=10 * MIN)
    an = c.analyze()
    assert_quiet(an, "session-timeout-idle")
    assert an.sessions[0].status == "ended"
