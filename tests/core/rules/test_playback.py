"""Playback (rules.md §7): content start, pre-roll order, pause/buffer, stalls, playhead sanity."""

from __future__ import annotations

from tests.builder import Capture, ad_params, clean_vod
from tests.core.rules.casetable import LAST, Table, findings, playing, session

T = Table("playback")


def _break(c: Capture, second: float | None = None) -> None:
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1,
                                         "media.ad.podSecond": c.playhead if second is None else second})


# --- fires ----------------------------------------------------------------------------------------------
@T.fires("no-content-play", event=LAST)
def _closed_without_play() -> Capture:
    c = session()
    c.ping_for(20)
    c.ev("sessionEnd", dt=1000)
    return c


@T.fires("no-content-play", event=LAST)
def _play_only_inside_a_break() -> Capture:
    c = session()
    _break(c)
    c.ev("adStart", dt=10, params=ad_params())
    c.ev("pauseStart", dt=1000)
    c.ev("play", dt=1000)  # resumes the ad, not content
    c.ev("adComplete", dt=1000)
    c.ev("adBreakComplete", dt=10)
    c.ev("sessionEnd", dt=1000)
    return c


@T.fires("play-before-preroll", event=1)
def _play_before_preroll() -> Capture:
    c = playing()
    c.playing = False  # the player shows the pre-roll: the playhead stays at 0
    _break(c, 0)
    return c


@T.fires("playhead-moved-while-paused", event=LAST)
def _moved_while_paused() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=1000)
    c.ev("ping", dt=5000, playhead=c.playhead + 5)
    return c


@T.fires("playhead-moved-while-paused", event=LAST)
def _moved_while_buffering() -> Capture:
    c = playing()
    c.ev("bufferStart", dt=3000)
    c.ev("ping", dt=7000, playhead=c.playhead + 2)
    return c


@T.fires("playhead-moved-while-paused", "a non-ping event during the pause", event=5)
def _bitrate_change_moved_while_paused() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=1000)
    c.ev("ping", dt=5000)
    c.ev("bitrateChange", dt=2000, playhead=c.playhead + 7, qoe={"media.qoe.bitrate": 2_000_000})
    c.ev("play", dt=1000)
    return c


@T.fires("playhead-moved-while-paused", "a ping before the seek's play", event=4)
def _ping_moved_before_seek_play() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=2000)
    c.ev("ping", dt=10000, playhead=c.playhead + 30)  # event 4: the pause is not over, yet the playhead moved
    c.ev("play", dt=1000, playhead=c.playhead + 30)  # the seek's play itself is fine
    return c


@T.fires("stall", event=LAST)
def _frozen_playhead() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("ping", dt=10000, playhead=c.playhead)
    c.ev("ping", dt=10000, playhead=c.playhead)
    return c


@T.fires("no-play-after-ad-break", event=LAST)
def _ping_after_break_without_play() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ad_break(ads=1)
    c.ev("ping", dt=5000)
    return c


@T.fires("redundant-state-event", event=LAST)
def _pause_twice() -> Capture:
    c = playing()
    c.ev("pauseStart", dt=2000)
    c.ev("pauseStart", dt=2000)
    return c


@T.fires("redundant-state-event", event=LAST)
def _buffer_twice() -> Capture:
    c = playing()
    c.ev("bufferStart", dt=2000)
    c.ev("ping", dt=2000)
    c.ev("bufferStart", dt=2000)
    return c


@T.fires("playhead-units", event=LAST)
def _playhead_in_ms() -> Capture:
    c = playing()
    c.ev("ping", dt=10000, playhead=10000)
    return c


@T.fires("playhead-beyond-length", event=LAST)
def _beyond_length() -> Capture:
    c = playing(media__length=30)
    c.ping_for(30)
    c.ev("ping", dt=2000)  # playhead 32.01 > 30 + 1
    return c


# --- near misses -----------------------------------------------------------------------------------------
@T.quiet("no-content-play", "fragment without sessionStart")
def _fragment_without_play() -> Capture:
    c = Capture()  # the capture began mid-session: whether content started is unknown
    c.ev("ping", dt=10000)
    c.ev("ping", dt=10000)
    c.ev("sessionEnd", dt=1000)
    return c


@T.quiet("play-before-preroll", "play after the pre-roll")
def _preroll_then_play() -> Capture:
    c = session()
    c.ad_break(ads=2)
    c.ev("play", dt=10)
    c.ping_for(10)
    return c


@T.quiet("play-before-preroll", "mid-roll after play")
def _midroll_at_start_of_content() -> Capture:
    c = playing()
    c.ping_for(30)
    c.playing = False
    _break(c)  # podSecond 30: not a pre-roll
    return c


@T.quiet("playhead-moved-while-paused", "seek lands on play")
def _seek_while_paused() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=1000)
    c.ev("ping", dt=9000)
    c.ev("ping", dt=10000, playhead=c.playhead + 0.5)
    c.ev("play", dt=500, playhead=200)  # the seek lands: a new playhead on play is fine (R58)
    c.ev("ping", dt=9500)
    return c


@T.quiet("playhead-moved-while-paused", "Adobe SDK seek: pauseStart, pings, play at the target")
def _sdk_seek_forward() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=2000)  # seekStart
    c.ev("ping", dt=10000)
    c.ev("play", dt=3000, playhead=c.playhead + 120)  # seekComplete: 120 s further
    c.ev("ping", dt=10000)
    c.ev("pauseStart", dt=5000)
    c.ev("play", dt=1000, playhead=5)  # a seek backwards
    c.ev("ping", dt=10000)
    c.ev("sessionComplete", dt=1000)
    return c


@T.quiet("playhead-moved-while-paused", "seek through buffering: bufferStart at the target")
def _seek_with_buffering() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("pauseStart", dt=2000)
    c.ev("bufferStart", dt=300, playhead=c.playhead + 60)  # a new pause point: the seek's target
    c.ev("ping", dt=5000)
    c.ev("play", dt=1000)
    return c


@T.quiet("stall", "three events within a second at one whole-second playhead")
def _quick_events_at_one_playhead() -> Capture:
    """Whole-second playheads: play, chapterStart, stateStart within 300 ms report the same second."""
    c = playing()
    c.ev("chapterStart", dt=100, playhead=0, params={"media.chapter.index": 1, "media.chapter.offset": 0,
                                                     "media.chapter.length": 60})
    c.ev("stateStart", dt=200, playhead=0, params={"media.state.name": "fullscreen"})
    c.ev("ping", dt=9700)
    return c


@T.quiet("stall", "frozen playhead inside an ignored ad")
def _frozen_in_an_ignored_ad() -> Capture:
    """An ad outside a break keeps the content playhead still: reported as ad-outside-break, not a stall."""
    c = playing()
    c.ping_for(10)
    c.ev("adStart", dt=500, params=ad_params())
    for _ in range(4):
        c.ev("ping", dt=1000, playhead=c.playhead)
    c.ev("adComplete", dt=1000, playhead=c.playhead)
    return c


@T.quiet("stall", "frozen playhead inside an ad break")
def _frozen_in_ad_break() -> Capture:
    c = session()
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1, "media.ad.podSecond": 0})
    c.ev("adStart", dt=10, params=ad_params())
    c.ev("play", dt=10)  # play inside an ad: the ad plays, the content playhead stays put
    for _ in range(5):
        c.ev("ping", dt=1000, playhead=0)
    c.ev("adComplete", dt=1000, playhead=0)
    c.ev("adBreakComplete", dt=10, playhead=0)
    return c


@T.quiet("stall", "frozen playhead while paused")
def _frozen_while_paused() -> Capture:
    c = playing()
    c.ev("pauseStart", dt=3000)
    for _ in range(4):
        c.ev("ping", dt=10000)
    return c


@T.quiet("stall", "two frozen events")
def _two_frozen_events() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("ping", dt=10000, playhead=c.playhead)  # two events at one playhead; the third one moves
    c.ev("ping", dt=10000, playhead=c.playhead + 10)
    return c


@T.quiet("no-play-after-ad-break", "play after the break")
def _play_after_break() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ad_break(ads=1)
    c.ev("play", dt=10)
    c.ev("ping", dt=5000)
    return c


@T.quiet("no-play-after-ad-break", "pause after the break")
def _pause_after_break() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ad_break(ads=1)
    c.ev("pauseStart", dt=10)  # user paused right after the ad: no play due before the ping
    c.ev("ping", dt=5000)
    return c


@T.quiet("redundant-state-event", "play between, or a state change")
def _pause_play_pause() -> Capture:
    c = playing()
    c.ev("pauseStart", dt=2000)
    c.ev("play", dt=2000)
    c.ev("pauseStart", dt=2000)
    c.ev("bufferStart", dt=2000)
    c.ev("pauseStart", dt=2000)
    return c


@T.quiet("playhead-units", "playhead at 1x")
def _normal_speed() -> Capture:
    c = playing()
    c.ping_for(60)
    return c


@T.quiet("playhead-beyond-length", "playhead = length + 1")
def _at_length_plus_1() -> Capture:
    c = playing(media__length=30)
    c.ping_for(30)
    c.ev("ping", dt=1000, playhead=31)
    c.ev("sessionComplete", dt=10, playhead=31)
    return c


@T.quiet("playhead-beyond-length", "live content")
def _live_playhead() -> Capture:
    c = session(media__contentType="live", media__length=86400)
    c.playhead = 50000  # live playhead: second of the day
    c.ev("play", dt=10)
    c.ping_for(20)
    return c


T.quiet("no-content-play")(clean_vod)

test_fires, test_quiet = T.tests()


def test_stall_counted_once_per_freeze() -> None:
    c = _frozen_playhead()
    c.ev("ping", dt=10000, playhead=c.playhead)  # still frozen: the same stall
    c.ev("ping", dt=10000, playhead=c.playhead + 10)
    for _ in range(3):
        c.ev("ping", dt=10000, playhead=c.playhead)  # a second freeze
    an = c.analyze()
    assert len(findings(an, "stall")) == 2
    assert an.sessions[0].metrics()["stalls"] == 2


def test_playhead_rules_fire_once() -> None:
    c = _beyond_length()
    c.ping_for(30)
    an = c.analyze()
    assert len(findings(an, "playhead-beyond-length")) == 1


def test_play_ends_a_stall() -> None:
    """Stall time stops at the next play: the content after it is content time again."""
    c = playing()
    for _ in range(3):
        c.ev("ping", dt=10000, playhead=10)  # frozen at 10 s: the stall is found at the third event
    c.ev("play", dt=1000, playhead=10)
    c.ev("ping", dt=10000, playhead=20)
    c.ev("sessionComplete", dt=5000, playhead=25)
    m = c.analyze().sessions[0].metrics()
    assert m["stalls"] == 1
    assert m["stall_time"] == 1.0  # from the third frozen ping to the play
    assert m["content_time"] == 45.0  # 30 s before the stall was known + 15 s after the play


def test_only_events_during_the_pause_are_judged() -> None:
    """The play ending the pause may carry any playhead; one finding per pause, at the event during it."""
    an = _ping_moved_before_seek_play().analyze()
    assert [f.event for f in findings(an, "playhead-moved-while-paused")] == [4]
