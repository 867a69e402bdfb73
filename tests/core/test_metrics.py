"""The metrics preview (rules.md "The metrics preview", mcapi.md §9), against hand-computed numbers.

Times come from ts differences between consecutive events, attributed to the state the session was in.
"""

from __future__ import annotations

from mcscope.core.metrics import PROGRESS_MARKERS
from tests.builder import Capture, ad_params, clean_vod, frozen_then, start_params

BITRATE = "media.qoe.bitrate"


def metrics(c: Capture) -> dict:
    an = c.analyze()
    assert len(an.sessions) == 1
    return an.sessions[0].metrics()


def started(length: float = 600, **params: object) -> Capture:
    c = Capture()
    c.start(start_params(media__length=length, **params))
    return c


def test_ignored_ad_time_counts_as_content() -> None:
    c = started()
    c.ev("play", dt=1000)
    c.ping_for(30)  # 30 s of content
    c.ev("adStart", dt=0, params=ad_params())  # no adBreakStart: Adobe ignores the ad
    c.ev("ping", dt=10000)
    c.ev("adComplete", dt=5000)  # 15 s of "ad" that Adobe counts as content
    c.ev("sessionComplete", dt=0)
    m = metrics(c)
    assert m["content_time"] == 45.0
    assert m["ignored_ad_time"] == 15.0
    assert m["ad_time"] == 0.0
    assert m["media_time"] == 45.0
    assert (m["ads_started"], m["ads_ignored"]) == (0, 1)
    assert (m["content_start"], m["content_complete"]) == (1, 1)


def test_clean_vod() -> None:
    m = metrics(clean_vod())
    # pre-roll 2 x 5 s, mid-roll 1 x 5 s; content: play -> adBreakStart 30.01 s, play -> sessionComplete 25 s
    assert m["ad_time"] == 15.0
    assert m["content_time"] == 55.01
    assert m["media_time"] == 70.01
    assert m["ignored_ad_time"] == 0.0
    assert (m["ads_started"], m["ads_ignored"]) == (3, 0)
    assert (m["content_start"], m["content_complete"]) == (1, 1)
    assert (m["pause_count"], m["buffer_count"], m["stalls"], m["errors"], m["bitrate_changes"]) == (0, 0, 0, 0, 0)
    assert m["progress_markers"] == [] and m["average_bitrate"] is None  # 55 s of 600 s


def test_ad_time_in_a_break_excludes_gaps_and_paused_ads() -> None:
    c = started()
    c.ev("adBreakStart", dt=100, params={"media.ad.podIndex": 1, "media.ad.podSecond": 0})
    c.ev("adStart", dt=200, params=ad_params())  # 0.2 s in the break before the ad: not ad time
    c.ev("ping", dt=1000)
    c.ev("pauseStart", dt=1000)  # 2 s of ad
    c.ev("ping", dt=1000)
    c.ev("play", dt=2000)  # 3 s paused inside the ad: neither ad time nor content pause
    c.ev("adComplete", dt=1500)  # +1.5 s of ad
    c.ev("adBreakComplete", dt=300)
    c.ev("play", dt=100)
    c.ev("ping", dt=4000)
    c.ev("sessionEnd", dt=1000)
    m = metrics(c)
    assert m["ad_time"] == 3.5
    assert m["content_time"] == 5.0
    assert m["media_time"] == 8.5
    assert (m["pause_count"], m["pause_time"]) == (0, 0.0)
    assert (m["ads_started"], m["content_start"], m["content_complete"]) == (1, 1, 0)


def test_pause_and_buffer_counts_and_times() -> None:
    c = started()
    c.ev("play", dt=10)
    c.ev("ping", dt=10000)  # content 10
    c.ev("pauseStart", dt=2000)  # content 12
    c.ev("ping", dt=8000)  # pings while paused add pause time, not pauses
    c.ev("ping", dt=10000)
    c.ev("play", dt=2000)  # pause 20
    c.ev("bufferStart", dt=3000)  # content 15
    c.ev("play", dt=1500)  # buffer 1.5
    c.ev("ping", dt=1000)  # content 16
    c.ev("bufferStart", dt=500)  # content 16.5
    c.ev("ping", dt=2000)
    c.ev("play", dt=500)  # buffer 1.5 + 2.5
    c.ev("pauseStart", dt=3500)  # content 20
    c.ev("sessionEnd", dt=1000)  # pause 21
    m = metrics(c)
    assert m["content_time"] == 20.0
    assert (m["pause_count"], m["pause_time"]) == (2, 21.0)
    assert (m["buffer_count"], m["buffer_time"]) == (2, 4.0)
    assert m["media_time"] == 20.0


def test_pause_in_a_fragment_counts() -> None:
    """A capture that began mid-session still counts what it saw: time and count go together."""
    c = Capture()
    c.ev("ping", dt=1000)
    c.ev("pauseStart", dt=1000)
    c.ev("ping", dt=5000)
    c.ev("play", dt=5000)
    c.ev("bufferStart", dt=2000)
    c.ev("play", dt=1000)
    c.ev("sessionEnd", dt=1000)
    m = metrics(c)
    assert (m["pause_count"], m["pause_time"]) == (1, 10.0)
    assert (m["buffer_count"], m["buffer_time"]) == (1, 1.0)


def test_no_play_means_no_content_start() -> None:
    c = started()
    c.ev("ping", dt=5000)
    c.ev("sessionEnd", dt=5000)
    m = metrics(c)
    assert (m["content_start"], m["content_complete"], m["content_time"]) == (0, 0, 0.0)


def test_timed_out_session_is_not_complete() -> None:
    c = started()
    c.ev("play", dt=10)
    c.ev("ping", dt=10000)
    c.ev("ping", dt=700_000)  # idle timeout: the collector closed the session, the gap counts for nothing
    c.ev("sessionComplete", dt=1000)
    m = metrics(c)
    assert m["content_complete"] == 0
    assert m["content_time"] == 10.0


def _progress(length: float, *playheads: float, live: bool = False) -> list[int]:
    params = {"media__contentType": "live"} if live else {}
    c = started(length=length, **params)
    c.ev("play", dt=10)
    for ph in playheads:
        c.ev("ping", dt=10000, playhead=ph)
    return metrics(c)["progress_markers"]


def test_progress_markers() -> None:
    assert PROGRESS_MARKERS == (10, 25, 50, 75, 95)
    assert _progress(100, 9.9) == []
    assert _progress(100, 10) == [10]
    assert _progress(100, 24.9) == [10]
    assert _progress(100, 20, 30, 50) == [10, 25, 50]
    assert _progress(100, 40, 74.9) == [10, 25, 50]
    assert _progress(100, 75) == [10, 25, 50, 75]
    assert _progress(100, 94.9) == [10, 25, 50, 75]
    assert _progress(100, 95) == [10, 25, 50, 75, 95]
    assert _progress(100, 80, 5) == [10, 25, 50, 75]  # no un-reaching on a seek back
    assert _progress(200, 50) == [10, 25]
    assert _progress(100, 99, live=True) == []


def test_progress_needs_a_length_and_playing_content() -> None:
    c = started(length=100)
    c.ev("adBreakStart", dt=10, params={"media.ad.podIndex": 1, "media.ad.podSecond": 0})
    c.ev("adStart", dt=10, params=ad_params())
    c.ev("ping", dt=1000, playhead=60)  # inside the break (a wrong playhead, but not content)
    c.ev("adComplete", dt=1000, playhead=60)
    c.ev("adBreakComplete", dt=10, playhead=0)
    c.ev("pauseStart", dt=10, playhead=0)
    c.ev("ping", dt=5000, playhead=30)  # moved while paused: not viewed content
    assert metrics(c)["progress_markers"] == []
    c = started(length=None)
    c.ev("play", dt=10)
    c.ev("ping", dt=10000, playhead=90)
    assert metrics(c)["progress_markers"] == []


def test_average_bitrate_is_duration_weighted() -> None:
    c = started()
    c.ev("play", dt=10, qoe={BITRATE: 1_000_000})
    c.ev("bitrateChange", dt=10000, qoe={BITRATE: 2_000_000})  # 10 s at 1 Mbps
    c.ev("ping", dt=10000)
    c.ev("pauseStart", dt=10000)  # 20 s at 2 Mbps
    c.ev("ping", dt=10000)  # paused: not weighted
    c.ev("play", dt=10000)
    c.ev("ping", dt=10000, qoe={BITRATE: 4_000_000})  # 10 s more at 2 Mbps (the new value counts from here)
    c.ev("sessionComplete", dt=10000)  # 10 s at 4 Mbps
    m = metrics(c)
    assert m["content_time"] == 50.0
    assert m["average_bitrate"] == round((1e6 * 10 + 2e6 * 30 + 4e6 * 10) / 50)
    assert m["bitrate_changes"] == 1


def test_stalls() -> None:
    c = started()
    c.ev("play", dt=10)
    c.ev("ping", dt=10000)  # content 10, playhead 10
    c.ev("ping", dt=10000, playhead=10)  # frozen (2 events): still counted as content
    c.ev("ping", dt=10000, playhead=10)  # frozen (3 events): a stall from here
    c.ev("ping", dt=10000, playhead=10)  # 10 s of stall
    c.ev("ping", dt=10000, playhead=20)  # moves again: 10 s more of stall
    c.ev("ping", dt=10000)
    c.ev("sessionComplete", dt=5000)
    m = metrics(c)
    assert m["stalls"] == 1
    assert m["stall_time"] == 20.0
    assert m["content_time"] == 45.0


def test_chapters_and_errors_counted() -> None:
    c = started()
    c.ev("play", dt=10)
    for n in (1, 2):
        c.ev("chapterStart", dt=10, params={"media.chapter.index": n, "media.chapter.offset": c.playhead,
                                            "media.chapter.length": 5})
        c.ev("chapterComplete", dt=5000)
    c.ev("error", dt=100, qoe={"media.qoe.errorID": "E1", "media.qoe.errorSource": "player"})
    c.ev("play", dt=100)
    m = metrics(c)
    assert (m["chapters_started"], m["errors"]) == (2, 1)


def test_metrics_survive_keep_events_false() -> None:
    from mcscope.core.config import Config

    full = clean_vod().analyze().sessions[0].metrics()
    lean = clean_vod().analyze(Config(keep_events=False)).sessions[0].metrics()
    assert lean == full


def test_pause_until_exactly_the_playhead_timeout_counts_fully() -> None:
    """Adobe's SDK sends sessionEnd exactly 30:00 after the playhead froze: accepted, so all 30 min are paused."""
    m = metrics(frozen_then("sessionEnd", 1_800_000))
    assert (m["pause_count"], m["pause_time"]) == (1, 1800.0)
    assert m["content_time"] == 11.0


def test_pause_past_the_playhead_timeout_stops_at_the_last_accepted_event() -> None:
    """30:00.001: the collector closed the session, the sessionEnd is dropped and adds no pause time."""
    m = metrics(frozen_then("sessionEnd", 1_800_001))
    assert (m["pause_count"], m["pause_time"]) == (1, 1790.0)
    assert m["content_time"] == 11.0
