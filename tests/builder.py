"""Build Media Collection API captures in tests: a scripted player that produces real Exchanges.

    c = Capture()
    c.start()                        # sessionStart -> 201 + Location
    c.ev("play", dt=1000)            # dt: ms since the previous event; the playhead follows playback
    c.ping_for(30)                   # 10 s pings for 30 s of playing
    an = c.analyze()                 # Analyzer fed with every exchange, finish() called
    assert "ping-interval" not in rules(an)
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from mcscope.core.config import Config
from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer
from mcscope.sim.script import event_body

HOST = "https://example.hb-api.omtrdc.net"
T0 = 1_700_000_000_000
CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "OPTIONS,POST,PUT"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Expose-Headers", "Location"),
]


def start_params(**over: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "analytics.trackingServer": "example.sc.omtrdc.net",
        "analytics.reportSuite": "examplersid",
        "visitor.marketingCloudOrgId": "0123456789ABCDEF01234567@AdobeOrg",
        "visitor.marketingCloudUserId": "12345678901234567890123456789012345678",
        "media.id": "episode-1",
        "media.name": "Episode 1",
        "media.length": 600,
        "media.contentType": "vod",
        "media.streamType": "video",
        "media.playerName": "test-player",
        "media.channel": "test-channel",
    }
    return override(params, over)


def override(params: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Apply keyword overrides to ``params`` in place: ``a__b`` names the key ``a.b``; None removes the key."""
    for key, value in over.items():
        key = key.replace("__", ".")
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params


class Player:
    """What both capture builders (REST here, Edge in tests/edge_builder.py) share: a virtual clock, a
    playhead that follows playback, and judging what was captured. Subclasses define ``ev``."""

    exchanges: list[Exchange]
    ts: int
    playhead: float
    playing: bool
    in_break: bool

    def ev(self, event_type: str, dt: int = 1000, **kw: Any) -> Exchange:
        raise NotImplementedError

    def follow(self, event_type: str) -> None:
        """What the event does to the player: playing or not, inside an ad break or not."""
        if event_type == "play":
            self.playing = True
        elif event_type in ("pauseStart", "bufferStart", "sessionEnd", "sessionComplete"):
            self.playing = False
        elif event_type == "adBreakStart":
            self.in_break = True
        elif event_type == "adBreakComplete":
            self.in_break = False

    def advance(self, dt: int) -> None:
        self.ts += dt
        if self.playing and not self.in_break:
            self.playhead += dt / 1000

    def ping_for(self, seconds: float, every: int = 10000) -> None:
        for _ in range(int(seconds * 1000 // every)):
            self.ev("ping", dt=every)

    def analyze(self, config: Config | None = None) -> Analyzer:
        an = Analyzer(config)
        for ex in self.exchanges:
            an.feed(ex)
        an.finish()
        return an


class Capture(Player):
    def __init__(self, t0: int = T0, sid: str = "a" * 64, live: bool = False) -> None:
        self.exchanges: list[Exchange] = []
        self.ts = t0
        self.sid = sid
        self.playhead = 0.0
        self.playing = False
        self.in_break = False
        self.live = live
        self._flow = 0

    # --- low level -------------------------------------------------------------------------------------
    def post(self, path: str, body: Any, status: int | None = 204, headers: list[tuple[str, str]] | None = None,
             resp_headers: list[tuple[str, str]] | None = None, resp_body: bytes = b"", raw: bytes | None = None,
             method: str = "POST", error: str | None = None, received: float | None = None) -> Exchange:
        self._flow += 1
        data = raw if raw is not None else json.dumps(body).encode()
        ex = Exchange(
            flow_id=f"f{self._flow}",
            method=method,
            url=HOST + path,
            request_headers=headers if headers is not None else [("Content-Type", "application/json")],
            request_body=data,
            response_status=status,
            response_headers=(resp_headers if resp_headers is not None else list(CORS)),
            response_body=resp_body,
            timestamp_start=received if received is not None else self.ts / 1000,
            timestamp_end=(received if received is not None else self.ts / 1000) + 0.01,
            error=error,
            live=self.live,
        )
        self.exchanges.append(ex)
        return ex

    def body(self, event_type: str, playhead: float | None = None, params: dict | None = None,
             qoe: dict | None = None, cm: dict | None = None, ts: Any = None) -> dict[str, Any]:
        return event_body(event_type, self.playhead if playhead is None else playhead,
                          self.ts if ts is None else ts, params, qoe, cm)

    # --- events ----------------------------------------------------------------------------------------
    def start(self, params: dict[str, Any] | None = None, dt: int = 0, playhead: float = 0.0, status: int = 201,
              location: str | None = None, **kw: Any) -> Exchange:
        self.advance(dt)
        self.playhead = playhead
        body = self.body("sessionStart", playhead, params if params is not None else start_params())
        resp = [("Content-Type", "application/octet-stream")] + list(CORS)
        if status == 201:
            resp.append(("Location", location if location is not None else f"/api/v1/sessions/{self.sid}"))
        return self.post("/api/v1/sessions", body, status=status, resp_headers=resp, **kw)

    def ev(self, event_type: str, dt: int = 1000, playhead: float | None = None, params: dict | None = None,
           qoe: dict | None = None, cm: dict | None = None, status: int = 204, sid: str | None = None,
           ts: Any = None, **kw: Any) -> Exchange:
        self.advance(dt)
        if playhead is not None:
            self.playhead = playhead
        body = self.body(event_type, None, params, qoe, cm, ts)
        self.follow(event_type)
        return self.post(f"/api/v1/sessions/{self.sid if sid is None else sid}/events", body, status=status, **kw)

    def ad_break(self, ads: int = 1, ad_seconds: int = 5, index: int = 1, pings: bool = True) -> None:
        """A complete ad break with ``ads`` ads, 1 s ad pings, adComplete right before the next adStart."""
        self.ev("adBreakStart", dt=10, params={"media.ad.podIndex": index, "media.ad.podSecond": self.playhead})
        for n in range(1, ads + 1):
            self.ev("adStart", dt=10, params=ad_params(position=n))
            for _ in range(ad_seconds - 1 if pings else 0):
                self.ev("ping", dt=1000)
            self.ev("adComplete", dt=1000 if pings else ad_seconds * 1000)
        self.ev("adBreakComplete", dt=10)


def ad_params(position: int = 1, **over: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "media.ad.id": f"ad-{position}",
        "media.ad.name": f"Ad {position}",
        "media.ad.length": 5,
        "media.ad.podPosition": position,
        "media.ad.playerName": "test-player",
    }
    return override(params, over)


def clean_vod(c: Capture | None = None, params: dict[str, Any] | None = None) -> Capture:
    """A spec-perfect VOD session: pre-roll with two ads, content with 10 s pings, a mid-roll, complete
    (played on ``c``, a new Capture by default, with ``params`` or ``start_params()``)."""
    c = Capture() if c is None else c
    c.start(params)
    c.ad_break(ads=2, index=1)
    c.ev("play", dt=10)
    c.ping_for(30)
    c.ad_break(ads=1, index=2)
    c.ev("play", dt=10)
    c.ping_for(20)
    c.ev("sessionComplete", dt=5000)
    return c


def frozen_then(event_type: str, frozen_ms: int) -> Capture:
    """Adobe's SDK at the playhead timeout: play, a ping, pauseStart (event 3, where the playhead stops), a ping
    every 10 s while paused, then ``event_type`` exactly ``frozen_ms`` after the pauseStart, 10 to 20 s after
    the last ping."""
    c = Capture()
    c.start()
    c.ev("play", dt=1000)
    c.ev("ping", dt=10000)
    c.ev("pauseStart", dt=1000)
    pings = max(0, frozen_ms - 10000) // 10000
    for _ in range(pings):
        c.ev("ping", dt=10000)
    c.ev(event_type, dt=frozen_ms - pings * 10000)
    return c


def rules(an: Analyzer) -> Counter[str]:
    return Counter(f.rule for f in an.all_findings())


def serious(an: Analyzer) -> list[str]:
    """Findings at warning level or above, as 'rule: message' lines (for readable assertion failures)."""
    return [f"{f.rule}: {f.message}" for f in an.all_findings() if f.severity >= 2]
