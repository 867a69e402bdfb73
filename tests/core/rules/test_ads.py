"""Ads (rules.md §8): breaks, ads, ignored ads outside a break, pod numbering."""

from __future__ import annotations

from mcscope.core.rules.ads import IGNORED_AD_REASON
from mcscope.core.rules.catalogue import RULES
from tests.builder import Capture, ad_params, clean_vod, rules
from tests.core.rules.casetable import LAST, Table, findings, playing, session

T = Table("ads")


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
@T.fires("ad-outside-break", event=5)
def _ad_start_outside_break() -> Capture:
    return _ignored_ad()


@T.fires("ad-outside-break", event=LAST)
def _ad_skip_after_break() -> Capture:
    c = session()
    c.ad_break(ads=1)
    c.ev("play", dt=10)
    c.ev("adSkip", dt=1000)
    return c


@T.fires("ad-break-start-params", event=1)
def _pod_index_string() -> Capture:
    c = session()
    _break(c, index="1")  # type: ignore[arg-type]
    return c


@T.fires("ad-break-start-params", event=1)
def _pod_second_missing() -> Capture:
    c = session()
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1})
    return c


@T.fires("ad-start-params", event=2)
def _ad_without_player_name() -> Capture:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(media__ad__playerName=None))
    return c


@T.fires("ad-start-params", event=2)
def _ad_length_string() -> Capture:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(media__ad__length="15"))
    return c


@T.fires("ad-break-nested", event=LAST)
def _break_in_break() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    _break(c, index=2)
    return c


@T.fires("ad-break-nested", event=LAST)
def _break_complete_without_break() -> Capture:
    c = playing()
    c.ev("adBreakComplete", dt=1000)
    return c


@T.fires("ad-nested", event=LAST)
def _ad_in_ad() -> Capture:
    c = _in_ad()
    c.ev("adStart", dt=5000, params=ad_params(position=2))
    return c


@T.fires("ad-nested", event=LAST)
def _ad_complete_without_ad() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    c.ev("adComplete", dt=10)
    return c


@T.fires("event-before-first-ad", event=2)
def _play_before_first_ad() -> Capture:
    c = _in_break()
    c.ev("play", dt=10)
    return c


@T.fires("event-before-first-ad", event=2)
def _buffer_before_first_ad() -> Capture:
    c = _in_break()
    c.ev("bufferStart", dt=10)
    return c


@T.fires("playhead-moved-in-break", event=LAST)
def _playhead_moves_in_break() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("ping", dt=1000, playhead=2)
    return c


@T.fires("pod-second-mismatch", event=LAST)
def _pod_second_wrong() -> Capture:
    c = playing()
    c.ping_for(30)
    _break(c, second=0)
    return c


@T.fires("ad-break-open-at-end", event=LAST)
def _break_open_at_complete() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    c.ev("sessionComplete", dt=10)
    return c


@T.fires("ad-break-open-at-end", event=LAST)
def _break_open_at_end() -> Capture:
    c = _in_ad()
    c.ev("sessionEnd", dt=2000)
    return c


@T.fires("empty-ad-break", event=LAST)
def _empty_break() -> Capture:
    c = _in_break()
    c.ev("adBreakComplete", dt=10)
    return c


@T.fires("pod-numbering", event=1)
def _pod_index_zero() -> Capture:
    c = session()
    _break(c, index=0)
    return c


@T.fires("pod-numbering", event=2)
def _pod_position_zero() -> Capture:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(position=0))
    return c


@T.fires("pod-numbering", event=LAST)
def _pod_index_reused() -> Capture:
    c = session()
    c.ad_break(ads=1, index=1)
    c.ev("play", dt=10)
    c.ping_for(30)
    _break(c, index=1)
    return c


@T.fires("ad-break-keys-on-ad", event=2)
def _break_keys_on_ad() -> Capture:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(media__ad__podFriendlyName="pre-roll"))
    return c


@T.fires("gap-between-ads", event=4)  # the play
def _play_between_ads() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    c.ev("play", dt=300)
    c.ev("adStart", dt=300, params=ad_params(position=2))
    return c


# --- near misses -----------------------------------------------------------------------------------------
@T.quiet("ad-outside-break", "lone adStart in a fragment")
@T.quiet("ad-nested", "lone ads in a fragment")
def _lone_ad_in_fragment() -> Capture:
    c = Capture()  # no sessionStart captured: the adBreakStart may simply not have been captured
    c.ev("adStart", dt=10, params=ad_params())
    c.ev("ping", dt=1000)
    c.ev("adComplete", dt=1000)
    c.ev("adStart", dt=10, params=ad_params(position=2))
    c.ev("adSkip", dt=1000)
    return c


@T.quiet("ad-break-start-params", "float podSecond")
def _valid_break_params() -> Capture:
    c = session()
    _break(c, second=0.0, media__ad__podFriendlyName="pre-roll")
    return c


@T.quiet("ad-start-params", "optional params missing")
@T.quiet("ad-break-keys-on-ad", "ad keys only")
def _optional_ad_params_missing() -> Capture:
    c = _in_break()
    c.ev("adStart", dt=10, params=ad_params(media__ad__name=None, media__ad__length=4.5))
    return c


@T.quiet("ad-break-nested", "break complete of an uncaptured break")
@T.quiet("empty-ad-break", "uncaptured adBreakStart")
def _break_complete_of_uncaptured_break() -> Capture:
    c = Capture()
    c.ev("ping", dt=1000)
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    c.ev("play", dt=10)
    return c


@T.quiet("ad-nested", "adSkip, then the next ad")
def _skip_then_next_ad() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000)
    c.ev("adSkip", dt=1000)
    c.ev("adStart", dt=10, params=ad_params(position=2))
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    return c


@T.quiet("event-before-first-ad", "pause and play inside an ad")
@T.quiet("gap-between-ads", "play inside an ad")
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


@T.quiet("playhead-moved-in-break", "jitter up to 1 s")
def _playhead_jitter_in_break() -> Capture:
    c = _in_ad()
    c.ev("ping", dt=1000, playhead=0.9)
    c.ev("adComplete", dt=1000, playhead=0.5)
    c.ev("adBreakComplete", dt=10, playhead=1.0)
    return c


@T.quiet("pod-second-mismatch", "within 1 s")
def _pod_second_close() -> Capture:
    c = playing()
    c.ping_for(30)
    _break(c, second=29.5)
    return c


@T.quiet("ad-break-open-at-end", "capture ends inside the break")
def _break_open_at_capture_end() -> Capture:
    return _in_ad()  # the capture stops inside the break: not a verdict about the session's end


@T.quiet("ad-break-open-at-end", "break closed before sessionComplete")
def _complete_after_break() -> Capture:
    c = _in_ad()
    c.ev("adComplete", dt=5000)
    c.ev("adBreakComplete", dt=10)
    c.ev("sessionComplete", dt=10)
    return c


@T.quiet("ad-break-nested", "two breaks")
@T.quiet("pod-numbering", "indexes 1, 2 and positions 1, 2")
@T.quiet("gap-between-ads", "back-to-back ads")
def _two_breaks() -> Capture:
    c = session()
    c.ad_break(ads=1, index=1)
    c.ev("play", dt=10)
    c.ping_for(30)
    c.ad_break(ads=2, index=2)
    c.ev("play", dt=10)
    return c


T.quiet("ad-outside-break")(clean_vod)
T.quiet("empty-ad-break")(clean_vod)

test_fires, test_quiet = T.tests()


def test_ad_outside_break_is_ignored_and_counted_as_content() -> None:
    c = _ignored_ad()
    c.ev("sessionComplete", dt=0)
    an = c.analyze()
    s = an.sessions[0]
    hits = findings(an, "ad-outside-break")
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
    assert [f.event for f in findings(an, "ad-outside-break")] == [3]


def test_rejected_break_makes_the_ads_ignored() -> None:
    """The collector refused the adBreakStart (400): for Adobe the ad is outside a break."""
    c = playing()
    c.ping_for(10)
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1, "media.ad.podSecond": c.playhead}, status=400)
    c.ev("adStart", dt=10, params=ad_params())
    an = c.analyze()
    assert [f.event for f in findings(an, "ad-outside-break")] == [4]


def test_second_ignored_ad_closes_the_first() -> None:
    c = playing()
    c.ev("adStart", dt=1000, params=ad_params())
    c.ev("adStart", dt=5000, params=ad_params(position=2))
    c.ev("adComplete", dt=5000)
    c.ev("sessionComplete", dt=1)
    an = c.analyze()
    s = an.sessions[0]
    assert len(findings(an, "ad-outside-break")) == 3
    assert "ad-nested" not in rules(an)
    assert s.metrics()["ignored_ad_time"] == 10.0
    assert s.metrics()["ads_ignored"] == 2


def test_gap_between_ads_reported_once_per_play() -> None:
    c = _play_between_ads()
    c.ev("adComplete", dt=5000)
    c.ev("adStart", dt=10, params=ad_params(position=3))  # back-to-back: no second finding
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    assert len(findings(c.analyze(), "gap-between-ads")) == 1
