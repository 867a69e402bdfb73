"""Timestamps and ordering (rules.md §5), each rule both ways."""

from __future__ import annotations

from mcscope.core.config import Config
from mcscope.core.model import Severity
from mcscope.core.rules.catalogue import RULES
from tests.builder import Capture, clean_vod, rules, serious
from tests.core.rules.casetable import Table, assert_fires, assert_quiet, covers, findings, started

T = Table("timestamps")


def _playing() -> Capture:
    """sessionStart, play, ping (events 0-2), 10 s apart after the play."""
    c = started()
    c.ev("ping", dt=10000)
    return c


# --- ts-duplicate / ts-backwards -----------------------------------------------------------------------
@T.fires("ts-duplicate", event=3)
def same_ts_twice():
    c = _playing()
    c.ev("bitrateChange", dt=0, qoe={"media.qoe.bitrate": 2_000_000})
    return c


@T.fires("ts-duplicate", "Adobe SDK: adBreakComplete + play at one ts", event=6)
def sdk_one_ts_per_player_action():
    c = Capture()
    c.start()
    c.ad_break(ads=1, ad_seconds=2)  # events 1-5, the last one adBreakComplete
    c.ev("play", dt=0)  # event 6: the SDK stamps it with the adBreakComplete's ts
    c.ping_for(10)
    return c


@T.quiet("ts-duplicate")
def one_ms_apart():
    c = _playing()
    c.ev("bitrateChange", dt=1, qoe={"media.qoe.bitrate": 2_000_000})
    return c


@T.quiet("ts-duplicate")
def same_ts_not_consecutive():
    c = _playing()
    c.ev("bitrateChange", dt=5, qoe={"media.qoe.bitrate": 2_000_000})
    c.ev("ping", dt=-5, ts=c.ts - 5)
    return c


@T.fires("ts-backwards", event=3)
def ts_one_ms_back():
    c = _playing()
    c.ev("ping", dt=-1)
    return c


@T.quiet("ts-backwards")
def ts_equal_is_not_backwards():
    c = _playing()
    c.ev("ping", dt=0)
    return c


# --- arrival-out-of-order -------------------------------------------------------------------------------
def _late_by(ms: int) -> Capture:
    """Event 3 carries a ts ``ms`` before event 2's."""
    c = _playing()
    c.ev("bitrateChange", dt=-ms, qoe={"media.qoe.bitrate": 2_000_000})
    return c


@T.fires("arrival-out-of-order", event=3)
def late_by_5_001_ms():
    return _late_by(5001)


@T.quiet("arrival-out-of-order")
def late_by_exactly_5_s():
    return _late_by(5000)


def _overtaken_by(n: int) -> Capture:
    """Events 2..n+1 are 100 ms apart; event n+2 carries a ts 50 ms after the play (event 1)."""
    c = started()
    play_ts = c.ts
    for _ in range(n):
        c.ev("ping", dt=100)
    c.ev("bitrateChange", dt=0, ts=play_ts + 50, qoe={"media.qoe.bitrate": 2_000_000})
    return c


@T.fires("arrival-out-of-order", event=2 + 11)
def overtaken_by_11_events():
    return _overtaken_by(11)


@T.quiet("arrival-out-of-order")
def overtaken_by_10_events():
    return _overtaken_by(10)


# --- queued-restamped -----------------------------------------------------------------------------------
def _burst(types: list[str], step: int = 1) -> Capture:
    c = Capture()
    c.start()
    c.ev(types[0], dt=3000)
    for et in types[1:]:
        c.ev(et, dt=step)
    return c


@T.fires("queued-restamped", event=5)
def five_events_within_4_ms():
    return _burst(["play", "bitrateChange", "pauseStart", "play", "bitrateChange"])


@T.fires("queued-restamped", event=3)
def three_events_with_a_ping_within_2_ms():
    return _burst(["play", "ping", "ping"])


@T.quiet("queued-restamped")
def four_events_without_a_ping():
    return _burst(["play", "bitrateChange", "pauseStart", "play"])


@T.quiet("queued-restamped")
def five_events_3_ms_apart():
    return _burst(["play", "bitrateChange", "pauseStart", "play", "bitrateChange"], step=3)


@T.quiet("queued-restamped")
def burst_later_in_the_session():
    c = _playing()
    for et in ["bitrateChange", "pauseStart", "play", "bitrateChange", "pauseStart", "play"]:
        c.ev(et, dt=1)
    return c


@T.quiet("queued-restamped")
def burst_without_captured_session_start():
    c = Capture()
    for et in ["play", "ping", "bitrateChange", "pauseStart", "play", "ping"]:
        c.ev(et, dt=1)
    return c


# --- long-gap ---------------------------------------------------------------------------------------------
@T.fires("long-gap", event=3)
def gap_of_60_s():
    c = _playing()
    c.ev("ping", dt=60000)
    return c


@T.fires("long-gap", event=3)
def gap_of_exactly_the_idle_timeout():
    c = _playing()
    c.ev("ping", dt=600_000)
    return c


@T.quiet("long-gap")
def gap_of_59_999_ms():
    c = _playing()
    c.ev("ping", dt=59_999)
    return c


@T.quiet("long-gap")
def gap_beyond_the_idle_timeout_is_a_timeout():
    c = _playing()
    c.ev("ping", dt=600_001)
    return c


test_fires, test_quiet = T.tests()


# --- details ---------------------------------------------------------------------------------------------
@covers("arrival-out-of-order", fires=True)
@covers("ts-backwards", fires=True)
def test_late_arrival_is_both_backwards_and_out_of_order():
    an = _late_by(6000).analyze()
    assert_fires(an, "ts-backwards", event=3)
    f = assert_fires(an, "arrival-out-of-order", event=3)
    assert "6.0 s" in f.message


def test_backwards_within_the_window_is_not_out_of_order():
    an = _late_by(1000).analyze()
    assert_fires(an, "ts-backwards", event=3)
    assert_quiet(an, "arrival-out-of-order")


@covers("queued-restamped", fires=True)
def test_queued_restamped_is_reported_once():
    an = _burst(["play", "ping", "ping", "ping", "ping", "bitrateChange", "ping"]).analyze()
    assert_fires(an, "queued-restamped", event=3, count=1)


@covers("long-gap", fires=True)
def test_long_gap_follows_the_tunables():
    c = _playing()
    c.ev("ping", dt=30_000)
    assert_quiet(c.analyze(), "long-gap")
    an = c.analyze(Config.from_options(tunables={"long_gap": "30s"}))
    f = assert_fires(an, "long-gap", event=3)
    assert f.severity == Severity.INFO and "30 s" in f.message


def test_downloaded_batches_are_not_judged_for_arrival_order():
    c = Capture()
    body = [c.body("sessionStart", params={}), c.body("play", ts=c.ts + 1000)]
    body += [c.body("ping", ts=c.ts + 1000 + 10 * n) for n in range(1, 6)]
    body.append(c.body("sessionEnd", ts=c.ts + 2000))
    c.post("/api/v1/downloaded", body, status=201)
    an = c.analyze()
    assert_quiet(an, "queued-restamped")
    assert_quiet(an, "arrival-out-of-order")


def test_clean_session_has_no_timestamp_findings():
    an = clean_vod().analyze()
    assert not [r for r in rules(an) if RULES[r].family == "timestamps"]
    assert findings(an, "long-gap") == []


def test_ts_duplicate_is_info_and_no_order_problem() -> None:
    """Adobe's SDKs stamp every event of one player action with one ts: info, nothing at warning level."""
    an = sdk_one_ts_per_player_action().analyze()
    f = assert_fires(an, "ts-duplicate", count=1)
    assert f.severity == Severity.INFO
    assert serious(an) == []
