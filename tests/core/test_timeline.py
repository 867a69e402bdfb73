"""Timeline segments recorded while a session is judged (addon/timeline.py, lanes in LANES)."""

from __future__ import annotations

from collections import defaultdict

from mcscope.core.rules.ads import IGNORED_AD_REASON
from mcscope.core.rules.catalogue import RULES
from mcscope.core.session import Session
from mcscope.core.timeline import LANES, Segment, TimelineRecorder
from tests.builder import T0, Capture, ad_params, clean_vod, start_params


def only_session(c: Capture) -> Session:
    an = c.analyze()
    assert len(an.sessions) == 1
    return an.sessions[0]


def by_lane(segments: list[Segment]) -> dict[str, list[Segment]]:
    out: dict[str, list[Segment]] = defaultdict(list)
    for seg in segments:
        out[seg.lane].append(seg)
    return out


def well_formed(segments: list[Segment]) -> None:
    for seg in segments:
        assert seg.lane in LANES, seg
        assert seg.end is not None and seg.end >= seg.start, seg
        if seg.ignored:
            assert seg.reason, seg


def test_clean_vod_lanes() -> None:
    c = clean_vod()
    s = only_session(c)
    segs = s.segments()
    well_formed(segs)
    lanes = by_lane(segs)
    assert set(lanes) == {"playback", "adbreak", "ad", "ping", "playhead"}
    assert not any(seg.ignored for seg in segs)

    playback = lanes["playback"]
    assert [seg.kind for seg in playback] == ["starting", "starting", "playing", "starting", "playing"]
    assert playback[0].start == T0 and playback[0].event == 0
    assert playback[-1].end == s.events[-1].t  # closed at sessionComplete
    for a, b in zip(playback, playback[1:], strict=False):
        assert a.end == b.start  # the states tile the session

    breaks = lanes["adbreak"]
    assert [(seg.kind, seg.label) for seg in breaks] == [("break", "break 1"), ("break", "break 2")]
    assert [s.events[seg.event].event_type for seg in breaks] == ["adBreakStart", "adBreakStart"]
    ads = lanes["ad"]
    assert [seg.label for seg in ads] == ["Ad 1", "Ad 2", "Ad 1"]
    assert [seg.end - seg.start for seg in ads] == [5000, 5000, 5000]
    for ad in ads:
        assert any(b.start <= ad.start and ad.end <= b.end for b in breaks)

    pings = lanes["ping"]
    assert sum(seg.kind == "ad-ping" for seg in pings) == 12  # 3 ads x 4 pings
    assert sum(seg.kind == "ping" for seg in pings) == 5
    assert all(seg.start == seg.end for seg in pings)

    playhead = lanes["playhead"]
    assert len(playhead) == len(s.events)
    assert [seg.event for seg in playhead] == list(range(len(s.events)))
    assert all(seg.value == ev.playhead for seg, ev in zip(playhead, s.events, strict=True))
    assert {seg.kind for seg in playhead} == {"main", "break", "ad"}


def test_ignored_ad_segments() -> None:
    c = Capture()
    c.start()
    c.ev("play", dt=1000)
    c.ping_for(30)
    c.ev("adStart", dt=0, params=ad_params())
    c.ev("ping", dt=10000)
    c.ev("adComplete", dt=5000)
    c.ev("sessionComplete", dt=10)
    s = only_session(c)
    segs = s.segments()
    well_formed(segs)
    lanes = by_lane(segs)
    ad_start, ad_complete = s.events[5], s.events[7]
    [ad] = lanes["ad"]
    assert ad.ignored and ad.reason == IGNORED_AD_REASON
    assert (ad.start, ad.end, ad.event) == (ad_start.t, ad_complete.t, 5)
    assert "ignored" in ad.label
    [content] = lanes["content-ignored-ad"]
    assert content.ignored and content.reason == IGNORED_AD_REASON
    assert (content.start, content.end) == (ad_start.t, ad_complete.t)
    assert "adbreak" not in lanes
    assert [seg.kind for seg in lanes["playhead"][5:8]] == ["ignored-ad", "ignored-ad", "main"]
    assert all(seg.kind == "ping" for seg in lanes["ping"])  # pings of an ignored ad are content pings
    marks = [seg for seg in lanes["finding"] if seg.label.startswith("ad-outside-break")]
    assert [seg.event for seg in marks] == [5, 7]
    assert {seg.kind for seg in marks} == {"error"}


def test_events_after_session_end_go_to_the_ignored_lane() -> None:
    c = Capture()
    c.start()
    c.ev("play", dt=10)
    c.ev("ping", dt=10000)
    c.ev("sessionEnd", dt=1000)
    c.ev("ping", dt=9000)
    c.ev("play", dt=500)
    s = only_session(c)
    lanes = by_lane(s.segments())
    ignored = lanes["ignored"]
    assert [(seg.event, seg.label) for seg in ignored] == [(4, "ping"), (5, "play")]
    reason = RULES["event-after-end"].consequence
    for seg in ignored:
        assert seg.ignored and seg.kind == "dropped" and seg.reason == reason
        assert seg.start == seg.end == s.events[seg.event].t
    assert all(seg.event < 4 for seg in lanes["playhead"])  # dropped events draw no playhead
    assert lanes["playback"][-1].end == s.events[3].t


def test_rejected_event_goes_to_the_ignored_lane() -> None:
    c = Capture()
    c.start()
    c.ev("play", dt=10)
    c.ev("ping", dt=10000, status=400, resp_body=b'{"message": "bad ping"}')
    s = only_session(c)
    [seg] = by_lane(s.segments())["ignored"]
    assert seg.event == 2 and seg.ignored and seg.reason == RULES["http-rejected"].consequence


def test_chapter_state_bitrate_error_stall_and_gap_lanes() -> None:
    c = Capture()
    c.start(start_params(media__length=100))
    c.ev("play", dt=10, qoe={"media.qoe.bitrate": 2_000_000})
    c.ev("chapterStart", dt=10, params={"media.chapter.index": 1, "media.chapter.offset": 0,
                                        "media.chapter.length": 50, "media.chapter.friendlyName": "Intro"})
    c.ev("stateStart", dt=10, params={"media.state.name": "fullscreen"})
    c.ev("ping", dt=10000)
    c.ev("ping", dt=10000, playhead=c.playhead)
    c.ev("ping", dt=10000, playhead=c.playhead)  # the third event at one playhead: a stall
    c.ev("ping", dt=10000, playhead=c.playhead + 10)
    c.ev("bitrateChange", dt=1000, qoe={"media.qoe.bitrate": 3_000_000})
    c.ev("error", dt=1000, qoe={"media.qoe.errorID": "E7", "media.qoe.errorSource": "player"})
    c.ev("play", dt=10)
    c.ev("stateEnd", dt=10, params={"media.state.name": "fullscreen"})
    c.ev("chapterComplete", dt=20000)  # 20 s without any event: a ping gap (from stateEnd, the previous event)
    c.ev("sessionComplete", dt=10)
    s = only_session(c)
    segs = s.segments()
    well_formed(segs)
    lanes = by_lane(segs)
    [chapter] = lanes["chapter"]
    assert (chapter.label, chapter.event) == ("Intro", 2)
    assert chapter.end == s.events[12].t
    [state] = lanes["state"]
    assert (state.kind, state.start, state.end) == ("fullscreen", s.events[3].t, s.events[11].t)
    assert [seg.value for seg in lanes["bitrate"]] == [2_000_000.0, 3_000_000.0]
    assert lanes["bitrate"][0].end == lanes["bitrate"][1].start
    [error] = lanes["error"]
    assert (error.label, error.event) == ("E7", 9)
    [stall] = [seg for seg in lanes["playback"] if seg.kind == "stalled"]
    assert (stall.start, stall.end) == (s.events[4].t, s.events[7].t)  # from the first frozen event
    [gap] = lanes["ping-gap"]
    assert (gap.start, gap.end) == (s.events[11].t, s.events[12].t)


def test_state_begun_before_the_capture() -> None:
    c = Capture()  # no sessionStart: the state was switched on before the capture began
    c.ev("ping", dt=1000)
    c.ev("ping", dt=10000)
    c.ev("stateEnd", dt=1000, params={"media.state.name": "mute"})
    an = c.analyze()
    [state] = by_lane(an.sessions[0].segments())["state"]
    assert (state.start, state.end) == (an.sessions[0].events[0].t, an.sessions[0].events[2].t)


def test_open_segments_extend_to_the_last_event() -> None:
    c = Capture()
    c.start()
    c.ev("play", dt=10)
    c.ping_for(20)
    s = only_session(c)  # not closed: the playing segment is still open
    segs = s.segments()
    well_formed(segs)
    assert by_lane(segs)["playback"][-1].end == s.events[-1].t
    raw = [seg for seg in s.timeline.segments if seg.lane == "playback"]
    assert raw[-1].end is None  # snapshot() does not close the recorder's own segment


def test_keep_events_false_records_no_timeline() -> None:
    from mcscope.core.config import Config

    an = clean_vod().analyze(Config(keep_events=False))
    assert an.sessions[0].segments() == []


def test_recorder() -> None:
    r = TimelineRecorder()
    a = r.open("ad", "ad", "ad", 100, "A")
    assert r.get_open("ad", "ad") is a
    b = r.open("ad", "ad", "ad", 200, "B")  # reopening closes the previous one
    assert a.end == 200 and r.get_open("ad", "ad") is b
    assert r.close("ad", "ad", 150) is b and b.end == 200  # never ends before it starts
    assert r.close("ad", "ad", 300) is None
    p = r.point("ping", "ping", 250, "ping", event=3)
    assert (p.start, p.end, p.event) == (250, 250, 3)
    r.open("state", "mute", "mute", 300)
    snap = r.snapshot(400)
    assert snap[-1].end == 400 and r.segments[-1].end is None
    r.close_all(500)
    assert r.segments[-1].end == 500
    assert p.to_dict()["lane"] == "ping" and set(p.to_dict()) == {
        "lane", "kind", "start", "end", "label", "ignored", "reason", "event", "value"}


def test_playback_waits_for_play_after_an_ad_break() -> None:
    """Between adBreakComplete and the next play, main content is not playing (R59): labelled as such."""
    s = clean_vod().analyze().sessions[0]
    waiting = [g for g in s.segments() if g.lane == "playback" and g.label == "waiting for play"]
    assert len(waiting) == 2  # after the pre-roll and after the mid-roll
    assert all(g.kind == "starting" and g.end is not None and g.end - g.start == 10 for g in waiting)
