"""Pings (rules.md §6): main pings every 10 s ± 2 s, ad pings every 1 s + 2 s, no-pings, ad-no-pings."""

from __future__ import annotations

import pytest

from addon.config import Config
from tests.addon.builder import Capture, ad_params, clean_vod
from tests.addon.rules.rulecase import (
    Fires,
    Quiet,
    assert_fires,
    assert_quiet,
    found,
    ids,
    last,
    playing,
    session,
)


def _in_ad() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1, "media.ad.podSecond": c.playhead})
    c.ev("adStart", dt=10, params=ad_params())
    return c


# --- fires ----------------------------------------------------------------------------------------------
def _first_ping_late() -> tuple[Capture, int]:
    c = playing()
    c.ev("ping", dt=12500)
    return c, last(c)


def _interval_long() -> tuple[Capture, int]:
    c = playing()
    c.ping_for(20)
    c.ev("ping", dt=12500)
    return c, last(c)


def _interval_short() -> tuple[Capture, int]:
    c = playing()
    c.ping_for(20)
    c.ev("ping", dt=7900)
    return c, last(c)


def _no_pings_while_paused() -> tuple[Capture, int]:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=1000)
    c.ev("play", dt=20000)  # 21 s since the last ping: pings were due while paused
    return c, last(c)


def _ad_ping_slow() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("ping", dt=3500)
    return c, last(c)


def _ad_ping_slow_at_end() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("adComplete", dt=4000)  # the gap is noticed when the ad ends
    return c, last(c)


def _session_without_pings() -> tuple[Capture, int]:
    c = playing()
    c.ev("sessionComplete", dt=10500)
    return c, last(c)


def _ad_without_pings() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("adComplete", dt=3500)
    return c, last(c)


FIRES = [
    Fires("ping-first-late", _first_ping_late),
    Fires("ping-interval", _interval_long),
    Fires("ping-interval", _interval_short),
    Fires("ping-interval", _no_pings_while_paused),
    Fires("ad-ping-interval", _ad_ping_slow),
    Fires("ad-ping-interval", _ad_ping_slow_at_end),
    Fires("no-pings", _session_without_pings),
    Fires("ad-no-pings", _ad_without_pings),
]


# --- near misses -----------------------------------------------------------------------------------------
def _first_ping_at_12s() -> Capture:
    c = playing()
    c.ev("ping", dt=12000)
    c.ping_for(20)
    return c


def _first_ping_after_preroll() -> Capture:
    c = session()
    c.ad_break(ads=1, ad_seconds=15)  # 15 s of pre-roll does not count toward the first content ping
    c.ev("play", dt=10)
    c.ev("ping", dt=10000)
    return c


def _interval_12s() -> Capture:
    c = playing()
    c.ev("ping", dt=10000)
    c.ev("ping", dt=12000)
    c.ev("ping", dt=8000)
    c.ev("ping", dt=10000)
    return c


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


def _ad_pings_1s() -> Capture:
    c = _in_ad()
    for _ in range(10):
        c.ev("ping", dt=1000)
    c.ev("adComplete", dt=1000)
    return c


def _ad_pings_3s() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=3000)
    c.ev("ping", dt=3000)
    c.ev("adComplete", dt=3000)
    return c


def _session_of_10s() -> Capture:
    c = playing()
    c.ev("sessionComplete", dt=9990)  # 10.000 s after the sessionStart
    return c


def _no_pings_but_not_closed() -> Capture:
    c = playing()
    c.ev("pauseStart", dt=9000)  # the capture ends here: no verdict about a session still running
    return c


def _end_long_after_complete() -> Capture:
    c = playing()
    c.ping_for(20)
    c.ev("sessionComplete", dt=5000)
    c.ev("sessionEnd", dt=120000)  # the player closes the session when the viewer leaves: no pings due
    return c


def _short_ad_without_pings() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=3000)
    return c


QUIET = [
    Quiet("ping-first-late", "first ping 12 s after play", _first_ping_at_12s),
    Quiet("ping-first-late", "first ping after a long pre-roll", _first_ping_after_preroll),
    Quiet("ping-first-late", "clean_vod", clean_vod),
    Quiet("ping-interval", "12 s and 8 s intervals", _interval_12s),
    Quiet("ping-interval", "pings during pause and buffer", _pings_while_paused),
    Quiet("ping-interval", "clean_vod with a mid-roll", clean_vod),
    Quiet("ping-interval", "sessionEnd long after sessionComplete", _end_long_after_complete),
    Quiet("ad-ping-interval", "1 s ad pings", _ad_pings_1s),
    Quiet("ad-ping-interval", "3 s ad pings", _ad_pings_3s),
    Quiet("no-pings", "a 10 s session", _session_of_10s),
    Quiet("no-pings", "session still open at capture end", _no_pings_but_not_closed),
    Quiet("ad-no-pings", "a 3 s ad", _short_ad_without_pings),
    Quiet("ad-no-pings", "clean_vod", clean_vod),
]


@pytest.mark.parametrize("case", FIRES, ids=ids)
def test_fires(case: Fires) -> None:
    assert_fires(case)


@pytest.mark.parametrize("case", QUIET, ids=ids)
def test_quiet(case: Quiet) -> None:
    assert_quiet(case)


def test_ad_pings_are_not_main_pings() -> None:
    """1 s pings inside an ad break are not main-content pings at the wrong interval."""
    an = _ad_pings_1s().analyze()
    assert not found(an, "ping-interval")
    assert not found(an, "ad-ping-interval")


def test_tunable_main_interval() -> None:
    c = playing()
    c.ev("ping", dt=20000)
    c.ev("ping", dt=20000)
    assert found(c.analyze(), "ping-first-late")
    quiet = c.analyze(Config.from_options(tunables={"main_ping_interval": "20s"}))
    assert not found(quiet, "ping-first-late") and not found(quiet, "ping-interval")


def test_ping_interval_reported_once_per_gap() -> None:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=13000)
    c.ev("play", dt=5000)
    c.ev("ping", dt=1000)
    hits = found(c.analyze(), "ping-interval")
    assert [f.event for f in hits] == [3]
    assert "13.0 s" in hits[0].message


def test_too_frequent_pings_reported_once_per_run() -> None:
    """A player pinging every 5 s gets one warning per run of short intervals, not one per ping."""
    c = playing()
    c.ping_for(60, every=5000)
    c.ping_for(30)  # back to 10 s
    c.ping_for(20, every=5000)  # a second run
    an = c.analyze()
    assert len(found(an, "ping-interval")) == 2


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
