"""Build Media Edge API captures in tests: a scripted Edge Media SDK-style player producing real Exchanges.

    c = EdgeCapture()
    c.start()                        # POST /ee/va/v1/sessionStart -> 200 + media-analytics:new-session handle
    c.ev("play", dt=1000)            # POST /ee/va/v1/play -> 204; dt: ms since the previous event
    c.ping_for(30)                   # 10 s pings for 30 s of playing
    an = c.analyze()

The API mirrors ``tests.builder.Capture``; bodies are XDM (``events[0].xdm``), timestamps ISO 8601 UTC with
milliseconds as Adobe's SDKs send them, playheads integers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mcscope.core.model import Exchange
from tests.builder import Player

HOST = "https://edge.adobedc.net"
T0 = 1_700_000_000_000
CONFIG_ID = "d1d4e5f6-0000-4000-8000-00000000c0de"
SID = "99cf4e3e7145d8e2b8f4f1e9e6ed5b6a3bd7ad8d5d08a7a0d6f7e2f1c1b03a4d"
ECID = "12345678901234567890123456789012345678"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def session_details(**over: Any) -> dict[str, Any]:
    details: dict[str, Any] = {
        "name": "episode-1", "friendlyName": "Episode 1", "length": 600, "contentType": "VOD",
        "streamType": "video", "playerName": "test-player", "channel": "test-channel",
    }
    for key, value in over.items():
        if value is None:
            details.pop(key, None)
        else:
            details[key] = value
    return details


def ad_details(position: int = 1, **over: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": f"ad-{position}", "friendlyName": f"Ad {position}", "length": 5,
                               "podPosition": position, "playerName": "test-player"}
    for key, value in over.items():
        if value is None:
            details.pop(key, None)
        else:
            details[key] = value
    return details


def new_session_answer(sid: str = SID, hint: str | None = None, streamed: bool = False,
                       request_id: str = "req-0001") -> bytes:
    handles: list[dict[str, Any]] = [
        {"payload": [{"sessionId": sid}], "type": "media-analytics:new-session", "eventIndex": 0}]
    if hint:
        handles.append({"payload": [{"scope": "EdgeNetwork", "hint": hint, "ttlSeconds": 1800}],
                        "type": "locationHint:result"})
    body = {"requestId": request_id, "handle": handles}
    text = json.dumps(body)
    return ("\u0000" + text + "\n").encode() if streamed else text.encode()


def problem(code: str = "va-edge-0400-400", status: int = 400, details: Any = None, title: str = "Bad Request") -> bytes:
    return json.dumps({"type": f"https://ns.adobe.com/aep/errors/{code}", "status": status, "title": title,
                       "detail": "Invalid request. Please check your input and try again.",
                       "report": {"details": details if details is not None else []}}).encode()


class EdgeCapture(Player):
    def __init__(self, t0: int = T0, sid: str = SID, live: bool = False, hint: str | None = None,
                 host: str = HOST) -> None:
        self.exchanges: list[Exchange] = []
        self.ts = t0
        self.sid = sid
        self.playhead = 0.0
        self.playing = False
        self.in_break = False
        self.live = live
        self.hint = hint  # the /ee/{hint}/ every call is sent under
        self.host = host
        self._flow = 0

    # --- low level -------------------------------------------------------------------------------------
    def url(self, segment: str, hint: Any = ..., query: str | None = None) -> str:
        h = self.hint if hint is ... else hint
        base = f"/ee/{h}" if h else "/ee"
        q = f"configId={CONFIG_ID}&requestId=r{self._flow + 1}" if query is None else query
        return f"{self.host}{base}{segment}" + (f"?{q}" if q else "")

    def post(self, url: str, body: Any, status: int | None = 204, headers: list[tuple[str, str]] | None = None,
             resp_body: bytes = b"", resp_headers: list[tuple[str, str]] | None = None, raw: bytes | None = None,
             method: str = "POST", error: str | None = None, received: float | None = None) -> Exchange:
        self._flow += 1
        data = raw if raw is not None else json.dumps(body).encode()
        t = received if received is not None else self.ts / 1000
        ex = Exchange(
            flow_id=f"f{self._flow}", method=method, url=url,
            request_headers=headers if headers is not None else [("Content-Type", "application/json")],
            request_body=data, response_status=status,
            response_headers=resp_headers if resp_headers is not None else [("Content-Type", "application/json")],
            response_body=resp_body, timestamp_start=t, timestamp_end=t + 0.01, error=error, live=self.live)
        self.exchanges.append(ex)
        return ex

    def xdm(self, event_type: str, playhead: Any = None, mc: dict[str, Any] | None = None, sid: Any = ...,
            timestamp: Any = ...) -> dict[str, Any]:
        collection: dict[str, Any] = {"playhead": int(self.playhead) if playhead is None else playhead}
        if event_type != "sessionStart":
            s = self.sid if sid is ... else sid
            if s is not None:
                collection["sessionID"] = s
        collection.update(mc or {})
        xdm: dict[str, Any] = {"eventType": f"media.{event_type}", "_id": f"id-{self._flow + 1}",
                               "timestamp": iso(self.ts) if timestamp is ... else timestamp,
                               "mediaCollection": collection}
        if timestamp is None:
            del xdm["timestamp"]
        return xdm

    def envelope(self, xdm: dict[str, Any] | list[dict[str, Any]], identity: bool = True) -> dict[str, Any]:
        events = xdm if isinstance(xdm, list) else [xdm]
        body: dict[str, Any] = {
            "events": [{"xdm": x} for x in events],
            "meta": {"konductorConfig": {"streaming": {"enabled": True, "recordSeparator": "\u0000",
                                                       "lineFeed": "\n"}}},
            "xdm": {"implementationDetails": {"environment": "app", "name": "test", "version": "1.0"}},
        }
        if identity:
            body["xdm"]["identityMap"] = {"ECID": [{"id": ECID, "authenticatedState": "ambiguous",
                                                    "primary": False}]}
        return body

    # --- events ----------------------------------------------------------------------------------------
    def start(self, details: dict[str, Any] | None = None, dt: int = 0, playhead: float = 0, status: int = 200,
              resp_body: bytes | None = None, mc: dict[str, Any] | None = None, path: str = "sessionStart",
              answer_hint: str | None = None, identity: bool = True, streamed: bool = True,
              xdm: dict[str, Any] | None = None, **kw: Any) -> Exchange:
        self.advance(dt)
        self.playhead = playhead
        collection = {"sessionDetails": details if details is not None else session_details()}
        collection.update(mc or {})
        body = self.envelope(xdm if xdm is not None else self.xdm("sessionStart", int(playhead), collection),
                             identity)
        if resp_body is None:
            resp_body = new_session_answer(self.sid, answer_hint, streamed) if status == 200 else b""
        return self.post(self.url(f"/va/v1/{path}", kw.pop("hint", ...)), body, status=status,
                         resp_body=resp_body, **kw)

    def interact_start(self, details: dict[str, Any] | None = None, status: int = 200, **kw: Any) -> Exchange:
        """The Web SDK's sessionStart: an ordinary interact call carrying media.sessionStart."""
        self.playhead = 0
        collection = {"sessionDetails": details if details is not None else session_details()}
        body = self.envelope(self.xdm("sessionStart", 0, collection))
        return self.post(self.url("/v1/interact"), body, status=status, resp_body=new_session_answer(self.sid),
                         headers=[("Content-Type", "text/plain; charset=UTF-8")], **kw)

    def ev(self, event_type: str, dt: int = 1000, playhead: float | None = None, mc: dict[str, Any] | None = None,
           status: int = 204, sid: Any = ..., path: str | None = None, timestamp: Any = ...,
           resp_body: bytes = b"", xdm: dict[str, Any] | None = None, hint: Any = ..., **kw: Any) -> Exchange:
        self.advance(dt)
        if playhead is not None:
            self.playhead = playhead
        body = self.envelope(xdm if xdm is not None else self.xdm(event_type, None, mc, sid, timestamp))
        self.follow(event_type)
        return self.post(self.url(f"/va/v1/{path or event_type}", hint), body, status=status, resp_body=resp_body,
                         **kw)

    def ad_break(self, ads: int = 1, ad_seconds: int = 5, index: int = 1, pings: bool = True) -> None:
        """A complete ad break: adBreakStart, per ad adStart + 1 s pings + adComplete, adBreakComplete."""
        self.ev("adBreakStart", dt=10, mc={"advertisingPodDetails": {"index": index, "offset": int(self.playhead)}})
        for n in range(1, ads + 1):
            self.ev("adStart", dt=10, mc={"advertisingDetails": ad_details(n)})
            for _ in range(ad_seconds - 1 if pings else 0):
                self.ev("ping", dt=1000)
            self.ev("adComplete", dt=1000 if pings else ad_seconds * 1000)
        self.ev("adBreakComplete", dt=10)


def edge_vod(c: EdgeCapture | None = None) -> EdgeCapture:
    """A spec-perfect Edge VOD session: pre-roll with two ads, content with 10 s pings, a chapter, a mid-roll,
    a bitrate change, complete."""
    c = EdgeCapture() if c is None else c
    c.start()
    c.ad_break(ads=2, index=1)
    c.ev("play", dt=10)
    c.ev("chapterStart", dt=10, mc={"chapterDetails": {"index": 1, "offset": 0, "length": 30,
                                                        "friendlyName": "Intro"}})
    c.ping_for(30)
    c.ev("chapterComplete", dt=1000)
    c.ev("bitrateChange", dt=1000, mc={"qoeDataDetails": {"bitrate": 3000}})
    c.ad_break(ads=1, index=2)
    c.ev("play", dt=10)
    c.ev("statesUpdate", dt=1000, mc={"statesStart": [{"name": "fullscreen"}]})
    c.ping_for(20)
    c.ev("sessionComplete", dt=5000)
    return c
