"""Ads (rules.md §8): breaks, ads, ignored ads outside a break, pod numbering."""

from __future__ import annotations

import pytest

from addon.rules.ads import IGNORED_AD_REASON
from addon.rules.catalogue import RULES
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
    rules,
    session,
)


def _break(c: Capture, index: int = 1, second: float | None = None, dt: int = 10, **params: object) -> None:
    p = {"media.ad.podIndex": index, "media.ad.podSecond": c.playhead if second is None else second}
    p.update({k.replace("__", "."): v for k, v in params.items()})
    c.ev("adBreakStart", dt=dt, params=p)


def _in_break() -> Capture:
    """sessionStart, pre-roll adBreakStart (index 1)."""
    c = session()
    _break(c)
    return c


def _in_ad() -> Capture:
    """sessionStart, adBreakStart, adStart (index 2)."""
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params())
    return c


def _ignored_ad() -> Capture:
    """play, 30 s of content with pings, an adStart outside a break (index 5), 15 s, adComplete (index 7)."""
    c = playing()
    c.ping_for(30)
    c.ev("adStart", dt=0, params=ad_params())
    c.ev("ping", dt=10000)
    c.ev("adComplete", dt=5000)
    return c


# --- fires ----------------------------------------------------------------------------------------------
def _ad_start_outside_break() -> tuple[Capture, int]:
    return _ignored_ad(), 5


def _ad_skip_after_break() -> tuple[Capture, int]:
    c = session()
    c.ad_break(ads=1)
    c.ev("play", dt=10)
    c.ev("adSkip", dt=1000)
    return c, last(c)


def _pod_index_string() -> tuple[Capture, int]:
    c = session()
    _break(c, index="1")  # type: ignore[arg-type]
    return c, 1


def _pod_second_missing() -> tuple[Capture, int]:
    c = session()
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1})
    return c, 1


def _ad_without_player_name() -> tuple[Capture, int]:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(media__ad__playerName=None))
    return c, 2


def _ad_length_string() -> tuple[Capture, int]:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(media__ad__length="15"))
    return c, 2


def _break_in_break() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    _break(c, index=2)
    return c, last(c)


def _break_complete_without_break() -> tuple[Capture, int]:
    c = playing()
    c.ev("adBreakComplete", dt=1000)
    return c, last(c)


def _ad_in_ad() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("adStart", dt=5000, params=ad_params(position=2))
    return c, last(c)


def _ad_complete_without_ad() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    c.ev("adComplete", dt=10)
    return c, last(c)


def _play_before_first_ad() -> tuple[Capture, int]:
    c = _in_break()
    c.ev("play", dt=10)
    return c, 2


def _buffer_before_first_ad() -> tuple[Capture, int]:
    c = _in_break()
    c.ev("bufferStart", dt=10)
    return c, 2


def _playhead_moves_in_break() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("ping", dt=1000, playhead=2)
    return c, last(c)


def _pod_second_wrong() -> tuple[Capture, int]:
    c = playing()
    c.ping_for(30)
    _break(c, second=0)
    return c, last(c)


def _break_open_at_complete() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    c.ev("sessionComplete", dt=10)
    return c, last(c)


def _break_open_at_end() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("sessionEnd", dt=2000)
    return c, last(c)


def _empty_break() -> tuple[Capture, int]:
    c = _in_break()
    c.ev("adBreakComplete", dt=10)
    return c, last(c)


def _pod_index_zero() -> tuple[Capture, int]:
    c = session()
    _break(c, index=0)
    return c, 1


def _pod_position_zero() -> tuple[Capture, int]:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(position=0))
    return c, 2


def _pod_index_reused() -> tuple[Capture, int]:
    c = session()
    c.ad_break(ads=1, index=1)
    c.ev("play", dt=10)
    c.ping_for(30)
    _break(c, index=1)
    return c, last(c)


def _break_keys_on_ad() -> tuple[Capture, int]:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(media__ad__podFriendlyName="pre-roll"))
    return c, 2


def _play_between_ads() -> tuple[Capture, int]:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    c.ev("play", dt=300)
    c.ev("adStart", dt=300, params=ad_params(position=2))
    return c, 4  # the play


FIRES = [
    Fires("ad-outside-break", _ad_start_outside_break),
    Fires("ad-outside-break", _ad_skip_after_break),
    Fires("ad-break-start-params", _pod_index_string),
    Fires("ad-break-start-params", _pod_second_missing),
    Fires("ad-start-params", _ad_without_player_name),
    Fires("ad-start-params", _ad_length_string),
    Fires("ad-break-nested", _break_in_break),
    Fires("ad-break-nested", _break_complete_without_break),
    Fires("ad-nested", _ad_in_ad),
    Fires("ad-nested", _ad_complete_without_ad),
    Fires("event-before-first-ad", _play_before_first_ad),
    Fires("event-before-first-ad", _buffer_before_first_ad),
    Fires("playhead-moved-in-break", _playhead_moves_in_break),
    Fires("pod-second-mismatch", _pod_second_wrong),
    Fires("ad-break-open-at-end", _break_open_at_complete),
    Fires("ad-break-open-at-end", _break_open_at_end),
    Fires("empty-ad-break", _empty_break),
    Fires("pod-numbering", _pod_index_zero),
    Fires("pod-numbering", _pod_position_zero),
    Fires("pod-numbering", _pod_index_reused),
    Fires("ad-break-keys-on-ad", _break_keys_on_ad),
    Fires("gap-between-ads", _play_between_ads),
]


# --- near misses -----------------------------------------------------------------------------------------
def _lone_ad_in_fragment() -> Capture:
    c = Capture()  # no sessionStart captured: the adBreakStart may simply not have been captured
    c.ev("adStart", dt=10, params=ad_params())
    c.ev("ping", dt=1000)
    c.ev("adComplete", dt=1000)
    c.ev("adStart", dt=10, params=ad_params(position=2))
    c.ev("adSkip", dt=1000)
    return c


def _valid_break_params() -> Capture:
    c = session()
    _break(c, second=0.0, media__ad__podFriendlyName="pre-roll")
    return c


def _optional_ad_params_missing() -> Capture:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(media__ad__name=None, media__ad__length=4.5))
    return c


def _break_complete_of_uncaptured_break() -> Capture:
    c = Capture()
    c.ev("ping", dt=1000)
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    c.ev("play", dt=10)
    return c


def _skip_then_next_ad() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("adSkip", dt=1000)
    c.ev("adStart", dt=10, params=ad_params(position=2))
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    return c


def _pause_and_play_inside_an_ad() -> Capture:
    c = _in_ad()
    c.ev("pauseStart", dt=1000)
    c.ev("ping", dt=1000)
    c.ev("play", dt=1000)
    c.ev("adComplete", dt=1000)
    c.ev("adStart", dt=10, params=ad_params(position=2))
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    return c


def _playhead_jitter_in_break() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000, playhead=0.9)
    c.ev("adComplete", dt=1000, playhead=0.5)
    c.ev("adBreakComplete", dt=10, playhead=1.0)
    return c


def _pod_second_close() -> Capture:
    c = playing()
    c.ping_for(30)
    _break(c, second=29.5)
    return c


def _break_open_at_capture_end() -> Capture:
    return _in_ad()  # the capture stops inside the break: not a verdict about the session's end


def _complete_after_break() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    c.ev("adBreakComplete", dt=10)
    c.ev("sessionComplete", dt=10)
    return c


def _two_breaks() -> Capture:
    c = session()
    c.ad_break(ads=1, index=1)
    c.ev("play", dt=10)
    c.ping_for(30)
    c.ad_break(ads=2, index=2)
    c.ev("play", dt=10)
    return c


QUIET = [
    Quiet("ad-outside-break", "lone adStart in a fragment", _lone_ad_in_fragment),
    Quiet("ad-outside-break", "clean_vod", clean_vod),
    Quiet("ad-break-start-params", "float podSecond", _valid_break_params),
    Quiet("ad-start-params", "optional params missing", _optional_ad_params_missing),
    Quiet("ad-break-nested", "break complete of an uncaptured break", _break_complete_of_uncaptured_break),
    Quiet("ad-break-nested", "two breaks", _two_breaks),
    Quiet("ad-nested", "adSkip, then the next ad", _skip_then_next_ad),
    Quiet("ad-nested", "lone ads in a fragment", _lone_ad_in_fragment),
    Quiet("event-before-first-ad", "pause and play inside an ad", _pause_and_play_inside_an_ad),
    Quiet("playhead-moved-in-break", "jitter up to 1 s", _playhead_jitter_in_break),
    Quiet("pod-second-mismatch", "within 1 s", _pod_second_close),
    Quiet("ad-break-open-at-end", "capture ends inside the break", _break_open_at_capture_end),
    Quiet("ad-break-open-at-end", "break closed before sessionComplete", _complete_after_break),
    Quiet("empty-ad-break", "uncaptured adBreakStart", _break_complete_of_uncaptured_break),
    Quiet("empty-ad-break", "clean_vod", clean_vod),
    Quiet("pod-numbering", "indexes 1, 2 and positions 1, 2", _two_breaks),
    Quiet("ad-break-keys-on-ad", "ad keys only", _optional_ad_params_missing),
    Quiet("gap-between-ads", "play inside an ad", _pause_and_play_inside_an_ad),
    Quiet("gap-between-ads", "back-to-back ads", _two_breaks),
]


@pytest.mark.parametrize("case", FIRES, ids=ids)
def test_fires(case: Fires) -> None:
    assert_fires(case)


@pytest.mark.parametrize("case", QUIET, ids=ids)
def test_quiet(case: Quiet) -> None:
    assert_quiet(case)


def test_ad_outside_break_is_ignored_and_counted_as_content() -> None:
    c = _ignored_ad()
    c.ev("sessionComplete", dt=0)
    an = c.analyze()
    s = an.sessions[0]
    hits = found(an, "ad-outside-break")
    assert [f.event for f in hits] == [5, 7]
    consequence = RULES["ad-outside-break"].consequence
    for f, et in zip(hits, ("adStart", "adComplete"), strict=True):
        ev = s.events[f.event]
        assert ev.event_type == et
        assert f.ignored and f.consequence == consequence
        assert "main content" in (f.consequence or "")
        assert ev.ignored and ev.ignored_reason
        assert "main content" in ev.ignored_reason
    assert s.events[5].ignored_reason == IGNORED_AD_REASON
    assert s.events[6].context == "ignored-ad" and not s.events[6].ignored  # the ping is main content
    m = s.metrics()
    assert m["content_time"] == 45.0  # 30 s before the ad + 15 s of ignored ad
    assert m["ignored_ad_time"] == 15.0
    assert m["ad_time"] == 0.0
    assert (m["ads_started"], m["ads_ignored"]) == (0, 1)
    assert s.summary()["counts"]["ignored"] == 2
    assert "ad-no-pings" not in rules(an) and "ad-ping-interval" not in rules(an)


def test_ad_outside_break_after_break_complete_in_fragment() -> None:
    """Once the end of a break is seen, the state is known: a later lone adStart is outside a break."""
    c = Capture()
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    c.ev("play", dt=10)
    c.ev("adStart", dt=5000, params=ad_params())
    an = c.analyze()
    assert [f.event for f in found(an, "ad-outside-break")] == [3]


def test_rejected_break_makes_the_ads_ignored() -> None:
    """The collector refused the adBreakStart (400): for Adobe the ad is outside a break."""
    c = playing()
    c.ping_for(10)
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1, "media.ad.podSecond": c.playhead}, status=400)
    c.ev("adStart", dt=10, params=ad_params())
    an = c.analyze()
    assert [f.event for f in found(an, "ad-outside-break")] == [4]


def test_second_ignored_ad_closes_the_first() -> None:
    c = playing()
    c.ev("adStart", dt=1000, params=ad_params())
    c.ev("adStart", dt=5000, params=ad_params(position=2))
    c.ev("adComplete", dt=5000)
    c.ev("sessionComplete", dt=1)
    an = c.analyze()
    s = an.sessions[0]
    assert len(found(an, "ad-outside-break")) == 3
    assert "ad-nested" not in rules(an)
    assert s.metrics()["ignored_ad_time"] == 10.0
    assert s.metrics()["ads_ignored"] == 2


def test_gap_between_ads_reported_once_per_play() -> None:
    c, _ = _play_between_ads()
    c.ev("adComplete", dt=5000)
    c.ev("adStart", dt=10, params=ad_params(position=3))  # back-to-back: no second finding
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    assert len(found(c.analyze(), "gap-between-ads")) == 1
