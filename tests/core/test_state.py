"""addon/state.py: the Event as the core keeps it (packed body, findings) and the session state."""

from __future__ import annotations

import copy

import pytest

from mcscope.core.config import Config
from mcscope.core.model import Finding, Severity
from mcscope.core.state import Event, SessionState
from tests.builder import clean_vod


def _event(body: object) -> Event:
    return Event(0, "sid", "f1", body, 1_700_000_000.0, 204)


@pytest.mark.parametrize(
    "body",
    [
        {"playerTime": {"playhead": 12.5, "ts": 1_700_000_000_000}, "eventType": "ping"},
        {"eventType": "play", "playerTime": {"ts": 1_700_000_000_000, "playhead": 3}},
        {"playerTime": {"playhead": 0, "ts": 1_700_000_000_000}, "eventType": "adStart",
         "params": {"media.ad.id": "a"}, "customMetadata": {"k": "v"}, "qoeData": {"media.qoe.bitrate": 1}},
    ],
)
def test_a_packed_event_still_shows_its_whole_body(body: dict) -> None:
    ev = _event(copy.deepcopy(body))
    params, qoe = ev.params, ev.qoe
    ev.pack()
    assert ev._packed is not None
    assert ev.body == body
    assert type(ev.body["playerTime"]["playhead"]) is type(body["playerTime"]["playhead"])
    assert ev.params == params and ev.qoe == qoe


@pytest.mark.parametrize(
    "body",
    [
        {"playerTime": {"playhead": "12", "ts": 1_700_000_000_000}, "eventType": "ping"},
        {"playerTime": {"playhead": 1, "ts": 1.7e12}, "eventType": "ping"},
        {"playerTime": {"playhead": 1, "ts": 1_700_000_000_000, "x": 1}, "eventType": "ping"},
        {"playerTime": {"playhead": 1, "ts": 1_700_000_000_000}, "eventType": 5},
        {"playerTime": [1, 2], "eventType": "ping"},
        {"eventType": "ping"},
    ],
)
def test_odd_bodies_are_kept_as_they_came(body: dict) -> None:
    ev = _event(copy.deepcopy(body))
    ev.pack()
    assert ev._packed is None and ev.body == body


def test_events_without_findings_share_no_list() -> None:
    a, b = _event({"eventType": "ping"}), _event({"eventType": "ping"})
    a.add_finding(Finding("ts-type", Severity.ERROR, "m"))
    assert [f.rule for f in a.findings] == ["ts-type"] and b.findings == []


def test_the_analyzer_packs_kept_events() -> None:
    s = clean_vod().analyze().sessions[0]
    assert all(ev._packed is not None for ev in s.events)
    assert s.events[0].body["eventType"] == "sessionStart" and "media.id" in s.events[0].params


def test_recent_timestamps_keep_the_last_64_like_a_bounded_deque() -> None:
    import random
    from collections import deque

    from mcscope.core.state import RECENT_TS, RecentTimestamps

    rng = random.Random(7)
    ring, ref = RecentTimestamps(), deque(maxlen=RECENT_TS)
    values = [rng.randrange(1_700_000_000_000, 1_700_000_100_000) for _ in range(300)]
    values[150:150] = [2**70, -(2**70)]  # beyond int64: the ring falls back to a deque, same answers
    for ts in values:
        probe = rng.choice(values)
        assert ring.count_greater(probe) == sum(1 for other in ref if other > probe)
        ring.append(ts)
        ref.append(ts)
        assert list(ring) == list(ref) and len(ring) == len(ref)


def test_an_integer_playhead_too_large_for_a_float_is_no_playhead() -> None:
    huge = 10**400
    ev = Event(0, "s", "f", {"playerTime": {"playhead": huge, "ts": 1_700_000_000_000}, "eventType": "ping"}, 1.0, 204)
    assert ev.playhead is None and ev.ts == 1_700_000_000_000  # float() raised OverflowError here
    ev.pack()
    assert ev.body == {"playerTime": {"playhead": huge, "ts": 1_700_000_000_000}, "eventType": "ping"}


def test_a_packed_integer_playhead_beyond_a_floats_precision_comes_back_exact() -> None:
    body = {"playerTime": {"playhead": 2**53 + 1, "ts": 1_700_000_000_000}, "eventType": "ping"}
    ev = Event(0, "s", "f", dict(body), 1.0, 204)
    ev.pack()
    assert ev.body == body and ev._packed is None  # not packed: float(2**53 + 1) is 2**53
    small = Event(0, "s", "f", {"playerTime": {"playhead": 7, "ts": 1_700_000_000_000}, "eventType": "ping"}, 1.0, 204)
    small.pack()
    assert small._packed is not None and small.body["playerTime"]["playhead"] == 7


def test_media_length_and_live_content_follow_the_media_set() -> None:
    s = SessionState("k", "sid", Config())
    assert s.media == {} and s.media_length is None and not s.is_live_content
    s.media = {"contentType": "Linear", "length": 86400}
    assert s.is_live_content and s.media_length == 86400.0
    for length in (0, -5, True, "60", None, 10**400):
        s.media = {"contentType": "vod", "length": length}
        assert s.media_length is None and not s.is_live_content, length
    s.media = {"contentType": 5, "length": 12.5}
    assert s.media_length == 12.5 and not s.is_live_content
