"""Pings (rules.md §6): main pings every 10 s ± 2 s, ad pings every 1 s + 2 s, no-pings, ad-no-pings.

The timer restarts at every event (rules.md "Pings: the timer restarts at every event"): gaps are measured
from the previous event of any type; only "too frequent" compares a ping with the previous ping.
"""

from __future__ import annotations

from mcscope.core.config import Config
from mcscope.core.model import Severity
from tests.builder import Capture, ad_params, clean_vod
from tests.core.rules.casetable import LAST, Table, assert_fires, assert_quiet, findings, playing, session

T = Table("pings")


def _in_ad() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1, "media.ad.podSecond": c.playhead})
    c.ev("adStart", dt=10, params=ad_params())
    return c


# --- fires ----------------------------------------------------------------------------------------------
@T.fires("ping-first-late", event=LAST)
def _first_ping_late() -> Capture:
    c = playing()
    c.ev("ping", dt=12500)
    return c


@T.fires("ping-interval", event=LAST)
def _interval_long() -> Capture:
    c = playing()
    c.ping_for(20)
    c.ev("ping", dt=12500)
    return c


@T.fires("ping-interval", event=LAST, severity=Severity.INFO)
def _interval_short() -> Capture:
    c = playing()
    c.ping_for(20)
    c.ev("ping", dt=7900)
    return c


@T.fires("ping-interval", event=LAST)
def _no_pings_while_paused() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=1000)
    c.ev("play", dt=20000)  # 21 s since the last ping: pings were due while paused
    return c


@T.fires("ad-ping-interval", event=LAST)
def _ad_ping_slow() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("ping", dt=3500)
    return c


@T.fires("ad-ping-interval", event=LAST)
def _ad_ping_slow_at_end() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("adComplete", dt=4000)  # the gap is noticed when the ad ends
    return c


@T.fires("no-pings", event=LAST)
def _session_without_pings() -> Capture:
    c = playing()
    c.ev("sessionComplete", dt=10500)
    return c


@T.fires("ping-first-late", "timer restarted by a pause", event=LAST)
def _first_ping_late_after_pause() -> Capture:
    c = playing()
    c.ev("pauseStart", dt=5000)
    c.ev("ping", dt=12001)  # 17 s after play, 12.001 s after the pause: no ping yet, and late
    return c


@T.fires("ping-interval", "12.001 s after a play", event=LAST)
def _interval_from_play() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=3000)
    c.ev("play", dt=3000)
    c.ev("ping", dt=12001)
    return c


@T.fires("ping-interval", "silent content before a mid-roll", event=LAST)
def _silence_before_break() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("adBreakStart", dt=12500, params={"media.ad.podIndex": 1, "media.ad.podSecond": c.playhead + 12.5})
    return c


@T.fires("ping-interval", "pings 7 s apart across a pause", event=LAST, severity=Severity.INFO)
def _interval_short_across_pause() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=2000)
    c.ev("ping", dt=5000)
    return c


@T.fires("ad-ping-interval", "4 s after a pause inside the ad", event=LAST)
def _ad_ping_slow_after_pause() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("pauseStart", dt=1000)
    c.ev("ping", dt=4000)
    return c


@T.fires("ad-no-pings", event=LAST)
def _ad_without_pings() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=12001)  # more than 10 s + 2 s
    return c


@T.fires("ad-no-pings", "open ad closed by sessionEnd", event=LAST)
def _open_ad_without_pings_at_end() -> Capture:
    c = _in_ad()
    c.ev("sessionEnd", dt=15000)
    return c


# --- near misses -----------------------------------------------------------------------------------------
@T.quiet("ping-first-late", "first ping 12 s after play")
def _first_ping_at_12s() -> Capture:
    c = playing()
    c.ev("ping", dt=12000)
    c.ping_for(20)
    return c


@T.quiet("ping-first-late", "first ping after a long pre-roll")
def _first_ping_after_preroll() -> Capture:
    c = session()
    c.ad_break(ads=1, ad_seconds=15)  # 15 s of pre-roll does not count toward the first content ping
    c.ev("play", dt=10)
    c.ev("ping", dt=10000)
    return c


@T.quiet("ping-interval", "12 s and 8 s intervals")
def _interval_12s() -> Capture:
    c = playing()
    c.ev("ping", dt=10000)
    c.ev("ping", dt=12000)
    c.ev("ping", dt=8000)
    c.ev("ping", dt=10000)
    return c


@T.quiet("ping-interval", "pings during pause and buffer")
def _pings_while_paused() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=2000)
    c.ev("ping", dt=8000)
    c.ev("ping", dt=10000)
    c.ev("bufferStart", dt=5000)
    c.ev("ping", dt=5000)
    c.ev("play", dt=3000)
    c.ev("ping", dt=7000)
    return c


@T.quiet("ad-ping-interval", "1 s ad pings")
def _ad_pings_1s() -> Capture:
    c = _in_ad()
    for _ in range(10):
        c.ev("ping", dt=1000)
    c.ev("adComplete", dt=1000)
    return c


@T.quiet("ad-ping-interval", "3 s ad pings")
def _ad_pings_3s() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=3000)
    c.ev("ping", dt=3000)
    c.ev("adComplete", dt=3000)
    return c


@T.quiet("no-pings", "a 10 s session")
def _session_of_10s() -> Capture:
    c = playing()
    c.ev("sessionComplete", dt=9990)  # 10.000 s after the sessionStart
    return c


@T.quiet("no-pings", "session still open at capture end")
def _no_pings_but_not_closed() -> Capture:
    c = playing()
    c.ev("pauseStart", dt=9000)  # the capture ends here: no verdict about a session still running
    return c


@T.quiet("ping-interval", "sessionEnd long after sessionComplete")
def _end_long_after_complete() -> Capture:
    c = playing()
    c.ping_for(20)
    c.ev("sessionComplete", dt=5000)
    c.ev("sessionEnd", dt=120000)  # the player closes the session when the viewer leaves: no pings due
    return c


@T.quiet("ad-no-pings", "a 3 s ad")
def _short_ad_without_pings() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=3000)
    return c


@T.quiet("ad-no-pings", "a 12 s ad")
def _ad_of_12s_without_pings() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=12000)  # exactly 10 s + 2 s: accepted
    return c


@T.quiet("ad-no-pings", "an 18 s ad whose pause restarts the timer")
def _ad_with_pause_without_pings() -> Capture:
    c = _in_ad()
    c.ev("pauseStart", dt=9000)
    c.ev("play", dt=9000)
    c.ev("adComplete", dt=1000)
    return c


@T.quiet("ad-ping-interval", "pings continue while the ad is paused")
def _ad_pings_while_paused() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("pauseStart", dt=500)
    for _ in range(5):
        c.ev("ping", dt=1000)
    c.ev("play", dt=500)
    c.ev("ping", dt=1000)
    c.ev("adComplete", dt=1000)
    return c


@T.quiet("ad-ping-interval", "an ad without any ping")
def _ad_without_any_ping() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=8000)  # no ping at all is ad-no-pings' business (accepted up to 12 s)
    return c


@T.quiet("ping-interval", "ping 10 s after a play, 40 s after the previous ping")
@T.quiet("ping-first-late", "ping 10 s after a play, 40 s after the previous ping")
def _ping_after_play() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=10000)
    c.ev("play", dt=10000)
    c.ev("bitrateChange", dt=10000, qoe={"media.qoe.bitrate": 2_000_000})
    c.ev("ping", dt=10000)  # 10 s after the previous event, 40 s after the previous ping
    return c


@T.quiet("ping-first-late", "events restart the timer before the first ping")
def _first_ping_after_pause_and_play() -> Capture:
    c = playing()
    c.ev("pauseStart", dt=8000)
    c.ev("play", dt=8000)
    c.ev("ping", dt=12000)  # 28 s after playback start, never more than 12 s without an event
    return c


@T.quiet("ping-interval", "exactly 12 s after a pause")
def _interval_12s_after_pause() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=4000)
    c.ev("ping", dt=12000)
    return c


T.quiet("ping-first-late")(clean_vod)
T.quiet("ping-interval", "clean_vod with a mid-roll")(clean_vod)
T.quiet("ad-no-pings")(clean_vod)


@T.fires("ping-first-late", "REST keeps the tunable even for pings regular at 15 s", event=2)
def _rest_regular_15s() -> Capture:
    c = playing()
    c.ping_for(60, every=15_000)
    c.ev("sessionComplete", dt=1000)
    return c


test_fires, test_quiet = T.tests()


def test_ad_pings_are_not_main_pings() -> None:
    """1 s pings inside an ad break are not main-content pings at the wrong interval."""
    an = _ad_pings_1s().analyze()
    assert not findings(an, "ping-interval")
    assert not findings(an, "ad-ping-interval")


def test_tunable_main_interval() -> None:
    c = playing()
    c.ev("ping", dt=20000)
    c.ev("ping", dt=20000)
    assert findings(c.analyze(), "ping-first-late")
    quiet = c.analyze(Config.from_options(tunables={"main_ping_interval": "20s"}))
    assert not findings(quiet, "ping-first-late") and not findings(quiet, "ping-interval")


def test_ping_interval_reported_once_per_gap() -> None:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=13000)
    c.ev("play", dt=5000)
    c.ev("ping", dt=1000)
    hits = findings(c.analyze(), "ping-interval")
    assert [f.event for f in hits] == [3]
    assert "13.0 s" in hits[0].message


def test_too_frequent_pings_reported_once_per_session() -> None:
    """A player pinging every 5 s gets one info per session, not one per ping or per run."""
    c = playing()
    c.ping_for(60, every=5000)
    c.ping_for(30)  # back to 10 s
    c.ping_for(20, every=5000)  # a second run
    an = c.analyze()
    [f] = findings(an, "ping-interval")
    assert f.severity == Severity.INFO and f.event == 3 and "5.0 s" in f.message


def test_late_gap_stays_a_warning_after_short_pings() -> None:
    c = playing()
    c.ping_for(10, every=5000)
    c.ev("ping", dt=13000)
    an = c.analyze()
    assert [(f.event, f.severity) for f in findings(an, "ping-interval")] == [(3, Severity.INFO),
                                                                              (4, Severity.WARNING)]


def test_first_ping_late_is_reported_once() -> None:
    """Later gaps before the first ping are plain ping-interval findings."""
    c = playing()
    c.ev("pauseStart", dt=13000)
    c.ev("play", dt=13000)
    an = c.analyze()
    assert [f.event for f in findings(an, "ping-first-late")] == [2]
    assert [f.event for f in findings(an, "ping-interval")] == [3]
    assert "since the previous event (pauseStart)" in findings(an, "ping-interval")[0].message


def test_ad_ping_interval_message_recommends_1_s() -> None:
    f = assert_fires(_ad_ping_slow().analyze(), "ad-ping-interval")
    assert "recommended every 1 s" in f.message and "up to 10 s is accepted" in f.message


def test_tunable_max_ad_ping_interval() -> None:
    c = _in_ad()
    c.ev("adComplete", dt=8000)
    assert_quiet(c.analyze(), "ad-no-pings")
    f = assert_fires(c.analyze(Config.from_options(tunables={"max_ad_ping_interval": "5s"})), "ad-no-pings")
    assert "8.0 s" in f.message


def test_ignored_ad_pings_are_not_judged_as_content_pings() -> None:
    """1 s pings inside an ad Adobe ignores: one ad-outside-break pair, no ping-interval cascade, no stall."""
    c = playing()
    c.ping_for(10)
    c.ev("adStart", dt=500, params=ad_params())
    for _ in range(14):
        c.ev("ping", dt=1000, playhead=c.playhead)
    c.ev("adComplete", dt=1000, playhead=c.playhead)
    c.ev("ping", dt=9000)
    c.ev("sessionComplete", dt=5000)
    an = c.analyze()
    assert [f.rule for f in an.all_findings() if f.severity >= 2] == ["ad-outside-break", "ad-outside-break"]
    m = an.sessions[0].metrics()
    assert m["ignored_ad_time"] == 15.0
    assert m["stalls"] == 0


def test_rest_no_pings_still_measures_the_session_span() -> None:
    """rules.md R53 on REST: a session lasting more than 10 s without any ping, however close its events (the
    Media Edge API reading, gap since the previous event, is tested in test_edge_rules)."""
    c = playing()
    for _ in range(3):
        c.ev("bufferStart", dt=2500)
        c.ev("play", dt=2500)
    c.ev("sessionComplete", dt=1000)
    assert_fires(c.analyze(), "no-pings")
