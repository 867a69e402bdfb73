"""Real sessions for the GUI tests: scripted captures (tests/builder.py) judged by the real Analyzer.

Times in the docstrings are seconds from ``T0`` (the epoch ms of each session's sessionStart).
"""

from __future__ import annotations

import dataclasses
import json

from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer, Session
from tests.builder import T0, Capture, Player, ad_params, start_params
from tests.edge_builder import EdgeCapture, problem, session_details

__all__ = ["T0", "analyze", "big_session", "clean_capture", "clean_session", "edge_clean_capture", "edge_clean_session",
           "edge_rejected_capture", "edge_rejected_session", "edge_start_207_capture", "edge_start_207_session",
           "ignored_ad_capture", "ignored_ad_session", "mixed_analyzer", "mixed_exchanges", "sid_of"]


def sid_of(key: str) -> str:
    """A session id spelled like the collector's (64 hex digits), unique per ``key``."""
    return key.encode().hex().ljust(64, "0")[:64]


def analyze(capture: Player) -> Session:
    """The one session of ``capture``, as the Analyzer judged it (``finish()`` called)."""
    sessions = capture.analyze().sessions
    assert len(sessions) == 1, [s.key for s in sessions]
    return sessions[0]


def _at(c: Capture, seconds: float) -> int:
    """Milliseconds from the previous event to ``seconds`` after T0."""
    return int(T0 + seconds * 1000) - c.ts


def clean_capture(key: str = "clean-1", mute: bool = False) -> Capture:
    """Pre-roll break (0.5-15.8 s) with one 15 s ad and 1 s ad pings, then 60 s of content (16-76 s): a
    chapter, 10 s pings, a pause (40-46 s), bitrate steps at 16 s and 50 s, player state "fullscreen"
    (30-60 s) and, with ``mute``, "mute" (40-70 s) overlapping it."""
    c = Capture(sid=sid_of(key))
    c.start(start_params(media__id=f"{key}-media", media__name="Clean VOD with pre-roll",
                         media__playerName="demo-player"))
    c.ev("adBreakStart", dt=_at(c, 0.5), params={"media.ad.podIndex": 1, "media.ad.podSecond": 0,
                                                 "media.ad.podFriendlyName": "pre-roll"})
    c.ev("adStart", dt=_at(c, 0.6), params=ad_params(1, media__ad__length=15))
    for t in range(1, 15):
        c.ev("ping", dt=_at(c, 0.6 + t))
    c.ev("adComplete", dt=_at(c, 15.6))
    c.ev("adBreakComplete", dt=_at(c, 15.8))
    c.ev("play", dt=_at(c, 16), qoe={"media.qoe.bitrate": 2_500_000})
    c.ev("chapterStart", dt=_at(c, 16.1), params={"media.chapter.index": 1, "media.chapter.offset": 0,
                                                  "media.chapter.length": 60,
                                                  "media.chapter.friendlyName": "Chapter 1"})
    c.ev("ping", dt=_at(c, 26))
    c.ev("stateStart", dt=_at(c, 30), params={"media.state.name": "fullscreen"})
    c.ev("ping", dt=_at(c, 36))
    c.ev("pauseStart", dt=_at(c, 40))
    if mute:
        c.ev("stateStart", dt=_at(c, 40.1), params={"media.state.name": "mute"})
    c.ev("ping", dt=_at(c, 46))
    c.ev("play", dt=_at(c, 46.1))
    c.ev("bitrateChange", dt=_at(c, 50), qoe={"media.qoe.bitrate": 4_000_000})
    c.ev("ping", dt=_at(c, 56))
    c.ev("stateEnd", dt=_at(c, 60), params={"media.state.name": "fullscreen"})
    c.ev("ping", dt=_at(c, 66))
    if mute:
        c.ev("stateEnd", dt=_at(c, 70.1), params={"media.state.name": "mute"})
    c.ev("chapterComplete", dt=_at(c, 75.9))
    c.ev("sessionComplete", dt=_at(c, 76))
    return c


def clean_session(key: str = "clean-1", mute: bool = False) -> Session:
    return analyze(clean_capture(key, mute))


def ignored_ad_capture(key: str = "ignored-1") -> Capture:
    """An ad with no ad break (20-35 s: ignored, counted as content; its pings at 21 s and 31 s), a late
    ping (48 s: ping-interval), a buffer (50 s), a player error without an id (53 s), sessionEnd (60 s) and
    two pings after it (70 s, 80 s: dropped)."""
    c = Capture(sid=sid_of(key))
    c.start(start_params(media__id=f"{key}-media", media__name="Ad outside break", media__playerName="demo-player"))
    c.ev("play", dt=_at(c, 1))
    c.ev("ping", dt=_at(c, 11))
    c.ev("adStart", dt=_at(c, 20), params=ad_params(9, media__ad__length=15))
    c.ev("ping", dt=_at(c, 21))
    c.ev("ping", dt=_at(c, 31))
    c.ev("adComplete", dt=_at(c, 35))
    c.ev("ping", dt=_at(c, 48))  # 17 s after the previous ping
    c.ev("bufferStart", dt=_at(c, 50))
    c.ev("error", dt=_at(c, 53), qoe={"media.qoe.errorSource": "player"})
    c.ev("ping", dt=_at(c, 58))
    c.ev("sessionEnd", dt=_at(c, 60))
    c.ev("ping", dt=_at(c, 70))
    c.ev("ping", dt=_at(c, 80))
    return c


def ignored_ad_session(key: str = "ignored-1") -> Session:
    return analyze(ignored_ad_capture(key))


def big_session(n: int = 100_000, key: str = "big-1") -> Session:
    """``n`` events: sessionStart, play, then a ping every second with a bitrate change every 7th (open)."""
    c = Capture(sid=sid_of(key))
    c.start(start_params(media__id="big", media__name=f"{n} events"))
    c.ev("play", dt=1000)
    for i in range(n - 2):
        qoe = {"media.qoe.bitrate": 1_000_000 + (i % 3) * 500_000} if i % 7 == 0 else None
        c.ev("ping", dt=1000, qoe=qoe)
    an = Analyzer()
    for ex in c.exchanges:
        an.feed(ex)
    return an.sessions[0]


# --------------------------------------------------------------------------------------- Media Edge API
#: the JSONPath + reason list of the problem+json answer in :func:`edge_rejected_capture`
BITRATE_DETAILS = [
    {"name": "$.events[0].xdm.mediaCollection.qoeDataDetails.bitrate", "reason": "Expected integer, got string"},
    {"name": "$.events[0].xdm.mediaCollection.qoeDataDetails.droppedFrames", "reason": "Expected integer, got "
     "boolean"},
]
#: the 207 errors[] entry of :func:`edge_start_207_capture`
START_207_ERROR = {
    "type": "https://ns.adobe.com/aep/errors/va-edge-0400-400", "status": 400, "title": "Invalid request",
    "report": {"eventIndex": 0, "details": [{"name": "$.xdm.mediaCollection.sessionDetails.name",
                                             "reason": "Missing required field"}]},
}


def edge_clean_capture(key: str = "edge-1", hint: str = "or2", t0: int = T0, name: str = "Edge VOD with pre-roll"
                       ) -> EdgeCapture:
    """A spec-perfect Edge session: sessionStart under /ee/ answered (streamed) with the new-session handle and
    location hint ``hint``; every later call under /ee/{hint}/ (media id ``{key}-media``, title ``name``): a pre-roll with one 5 s ad, 30 s of content
    with 10 s pings, a bitrate change, complete."""
    c = EdgeCapture(t0=t0, sid=sid_of(key))
    c.start(session_details(name=f"{key}-media", friendlyName=name), answer_hint=hint)
    c.hint = hint
    c.ad_break(ads=1, index=1)
    c.ev("play", dt=10)
    c.ping_for(20)
    c.ev("bitrateChange", dt=1000, mc={"qoeDataDetails": {"bitrate": 3000}})
    c.ping_for(10)
    c.ev("sessionComplete", dt=5000)
    return c


def edge_clean_session(key: str = "edge-1") -> Session:
    return analyze(edge_clean_capture(key))


def edge_rejected_capture(key: str = "edge-bad", t0: int = T0) -> EdgeCapture:
    """An Edge session whose bitrateChange (12 s) carries a string bitrate and a boolean droppedFrames: the Edge
    answers 400 problem+json with :data:`BITRATE_DETAILS`; the session goes on and completes at 30 s."""
    c = EdgeCapture(t0=t0, sid=sid_of(key))
    c.start(session_details(name=f"{key}-media", friendlyName="Edge VOD, bad bitrate"))
    c.ev("play", dt=1000)
    c.ev("ping", dt=10_000)
    c.ev("bitrateChange", dt=1000, mc={"qoeDataDetails": {"bitrate": "3000", "droppedFrames": False}}, status=400,
         resp_body=problem(details=BITRATE_DETAILS),
         resp_headers=[("Content-Type", "application/problem+json;charset=utf-8")])
    c.ev("ping", dt=9000)
    c.ev("sessionComplete", dt=9000)
    return c


def edge_rejected_session(key: str = "edge-bad") -> Session:
    return analyze(edge_rejected_capture(key))


def edge_start_207_capture(key: str = "edge-207", t0: int = T0) -> EdgeCapture:
    """An Edge sessionStart without ``sessionDetails.name``, answered 207 Multi-Status with
    :data:`START_207_ERROR` and no new-session handle (the Edge opened no session)."""
    c = EdgeCapture(t0=t0, sid=sid_of(key))
    body = {"requestId": "req-207", "handle": [], "errors": [START_207_ERROR]}
    c.start(session_details(name=None), status=207, resp_body=json.dumps(body).encode())
    return c


def edge_start_207_session(key: str = "edge-207") -> Session:
    return analyze(edge_start_207_capture(key))


def mixed_exchanges() -> list[Exchange]:
    """One capture of two REST sessions (clean, ignored ad) and three Edge sessions (clean, a 400 problem+json
    answer, a 207 sessionStart), one minute apart, in request order; flow ids unique across the capture."""
    players: list[tuple[str, Player]] = [
        ("rest-clean", clean_capture("rest-clean")),
        ("rest-ignored", ignored_ad_capture("rest-ignored")),
        ("edge-clean", edge_clean_capture("edge-clean", t0=T0 + 60_000)),
        ("edge-bad", edge_rejected_capture("edge-bad", t0=T0 + 120_000)),
        ("edge-207", edge_start_207_capture("edge-207", t0=T0 + 180_000)),
    ]
    out = [dataclasses.replace(ex, flow_id=f"{name}-{ex.flow_id}") for name, p in players for ex in p.exchanges]
    return sorted(out, key=lambda ex: ex.timestamp_start)


def mixed_analyzer() -> Analyzer:
    an = Analyzer()
    for ex in mixed_exchanges():
        an.feed(ex)
    an.finish()
    return an
