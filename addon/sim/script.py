"""Scripted media players: the building blocks of the ``mcscope simulate`` scenarios.

A :class:`Player` records what a real media client would send, as a list of protocol-neutral :class:`Step`
(virtual time offset in seconds, endpoint, the event in the MC API's JSON shape, which is also the core's event
model). A wire (``sim/wire.py`` for REST, ``sim/edge_wire.py`` for the Media Edge API) turns each step into
the request of its protocol. A virtual clock gives every event a ``ts`` (ms) equal to ``t0_ms + offset``, so
a scenario played at any speed carries the same timestamps.

The player keeps the bookkeeping a well-behaved client does: ``ts`` strictly increasing (>= 1 ms
apart), content pings every 10 s (also while paused or buffering), ad pings every 1 s, playhead frozen
inside ad breaks and equal to ``podSecond``, ``play`` after every ad break that resumes content,
chapter offsets equal to the playhead. Faulty scenarios break these rules on purpose, either through
the low-level :meth:`Player.emit` or the ``ts_divisor`` / ``playhead_factor`` knobs; a :class:`Tweak`
(:meth:`Player.tweaked`) makes the requests of some steps deviate on the wire (a wrong path, no sessionID…).
With ``restart_pings`` (the Edge SDKs' timer) the next ping falls due one interval after the previous
event of any type rather than after the previous ping.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = [
    "Step", "Tweak", "Player", "Client", "Scenario", "SCENARIOS", "EDGE_SCENARIOS", "BY_PROTOCOL", "scenario",
    "base_params", "event_body",
]

MAIN_PING_S = 10.0
AD_PING_S = 1.0
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Tweak:
    """How one request deviates from what its client would send (faulty scenarios); None: as the client does.

    ``content_type`` applies to every protocol; the others are read by the Edge wire only."""

    content_type: str | None = None
    path: str | None = None  # the /va/v1/{path} segment instead of the event's own type
    query: str | None = None  # the query string instead of configId=…&requestId=… ("" = none)
    hint: str | None = None  # send under /ee/{hint}/ instead of the session's hint ("" = without a hint)
    session_id: Literal["answer", "omit", "request-id"] = "answer"  # where mediaCollection.sessionID comes from
    edit: Callable[[dict[str, Any]], None] | None = None  # changes the encoded request body in place


@dataclass(frozen=True, slots=True)
class Step:
    """One request of a scripted player."""

    at: float  # virtual seconds since the player started
    endpoint: str  # "sessions" | "events" | "downloaded"
    body: Any  # JSON-serialisable object/array, or bytes sent verbatim
    sid: str | None = None  # for "events": a fixed sid instead of the one the collector gave
    tweak: Tweak | None = None

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()

    @property
    def event_type(self) -> str | None:
        if isinstance(self.body, dict):
            value = self.body.get("eventType")
            return value if isinstance(value, str) else None
        if isinstance(self.body, list):
            return "batch"
        return None


def base_params(index: int = 0, **over: Any) -> dict[str, Any]:
    """A complete, correctly typed ``sessionStart`` params object (all required keys + stream type + ECID)."""
    params: dict[str, Any] = {
        "analytics.trackingServer": "example.sc.omtrdc.net",
        "analytics.reportSuite": "mcscope-demo",
        "analytics.enableSSL": True,
        "visitor.marketingCloudOrgId": "0123456789ABCDEF01234567@AdobeOrg",
        "visitor.marketingCloudUserId": f"{71234567890123456789 + index}",
        "media.id": "demo-video",
        "media.name": "Demo video",
        "media.length": 600,
        "media.contentType": "vod",
        "media.streamType": "video",
        "media.playerName": "mcscope-simulator",
        "media.channel": "web",
        "media.sdkVersion": "1.0.0",
    }
    params.update(over)
    return params


def event_body(
    event_type: str,
    playhead: Any,
    ts: Any,
    params: dict[str, Any] | None = None,
    qoe: dict[str, Any] | None = None,
    custom: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One MC API event: ``playerTime`` and ``eventType``, then ``params``, ``qoeData``, ``customMetadata``
    when given."""
    doc: dict[str, Any] = {"playerTime": {"playhead": playhead, "ts": ts}, "eventType": event_type}
    if params is not None:
        doc["params"] = params
    if qoe is not None:
        doc["qoeData"] = qoe
    if custom is not None:
        doc["customMetadata"] = custom
    return doc


class Player:
    """Records the steps of one scripted playback."""

    def __init__(self, t0_ms: int, index: int = 0, *, restart_pings: bool = False) -> None:
        self.t0_ms = int(t0_ms)
        self.index = index
        self.t = 0.0  # virtual seconds
        self.playhead = 0.0
        self.state = "idle"  # idle | playing | paused | buffering
        self.in_break = False
        self.in_ad = False
        self.started = False
        self.steps: list[Step] = []
        self.main_ping_due: float | None = None
        self.ad_ping_due: float | None = None
        self.ts_divisor = 1  # 1000 -> ts in seconds (faulty)
        self.playhead_factor = 1.0  # 1000 -> playhead in ms (faulty)
        self.main_ping_interval = MAIN_PING_S
        self.ad_ping_interval = AD_PING_S
        self.pings = True
        self.restart_pings = restart_pings  # the ping timer restarts at every event (Edge SDKs)
        self._tweak: Tweak | None = None
        self._last_ms: int | None = None
        self.media_suffix = f"-p{index}" if index else ""  # appended to media.id: players differ

    # ------------------------------------------------------------------ clock
    @property
    def ts(self) -> int:
        return (self.t0_ms + round(self.t * 1000)) // self.ts_divisor

    def _move_to(self, t: float) -> None:
        t = round(t, 3)
        if t <= self.t:
            return
        if self.state == "playing" and not self.in_break:
            self.playhead = round(self.playhead + (t - self.t), 3)
        self.t = t

    def _tick(self) -> None:
        """Keep ts strictly increasing: an event at the same instant as the previous one moves 1 ms on."""
        ms = round(self.t * 1000)
        if self._last_ms is not None and ms <= self._last_ms:
            self._move_to((self._last_ms + 1) / 1000)

    def wait(self, seconds: float) -> None:
        """Let virtual time pass, sending the pings that fall due (content: 10 s, ads: 1 s)."""
        end = round(self.t + max(0.0, seconds), 3)
        while self.pings:
            due = self.ad_ping_due if self.in_ad else (None if self.in_break else self.main_ping_due)
            if due is None or due > end - _EPS:
                break
            self._move_to(due)
            self.emit("ping")
            if self.in_ad:
                self.ad_ping_due = round(due + self.ad_ping_interval, 3)
            else:
                self.main_ping_due = round(due + self.main_ping_interval, 3)
        self._move_to(end)

    # ------------------------------------------------------------------ raw events
    def body(
        self,
        event_type: str,
        params: dict[str, Any] | None = None,
        qoe: dict[str, Any] | None = None,
        custom: dict[str, str] | None = None,
        *,
        playhead: float | None = None,
        ts: int | None = None,
    ) -> dict[str, Any]:
        ph: Any = self.playhead if playhead is None else playhead
        if isinstance(ph, int | float) and not isinstance(ph, bool):
            ph = round(ph * self.playhead_factor, 3)
        return event_body(event_type, ph, self.ts if ts is None else ts, params, qoe, custom)

    def emit(
        self,
        event_type: str,
        params: dict[str, Any] | None = None,
        qoe: dict[str, Any] | None = None,
        custom: dict[str, str] | None = None,
        *,
        endpoint: str = "events",
        playhead: float | None = None,
        ts: int | None = None,
        sid: str | None = None,
    ) -> dict[str, Any]:
        """Record one event now (after moving the clock 1 ms on if needed)."""
        self._tick()
        doc = self.body(event_type, params, qoe, custom, playhead=playhead, ts=ts)
        self.add(doc, endpoint=endpoint, sid=sid)
        if self.restart_pings and event_type != "ping":
            self._restart_ping_timer()
        return doc

    def add(self, body: Any, *, endpoint: str = "events", sid: str | None = None) -> None:
        """Record an arbitrary body (bytes, array, malformed object) at the current instant."""
        self._tick()
        self._last_ms = round(self.t * 1000)
        self.steps.append(Step(self.t, endpoint, body, sid, self._tweak))

    @contextmanager
    def tweaked(self, **fields: Any) -> Iterator[None]:
        """Every step recorded inside the block carries ``Tweak(**fields)``."""
        previous, self._tweak = self._tweak, Tweak(**fields)
        try:
            yield
        finally:
            self._tweak = previous

    def _restart_ping_timer(self) -> None:
        if self.in_ad and self.ad_ping_due is not None:
            self.ad_ping_due = round(self.t + self.ad_ping_interval, 3)
        elif not self.in_break and self.main_ping_due is not None:
            self.main_ping_due = round(self.t + self.main_ping_interval, 3)

    # ------------------------------------------------------------------ session
    def start(
        self,
        params: dict[str, Any] | None = None,
        *,
        playhead: float = 0.0,
        qoe: dict[str, Any] | None = None,
        custom: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        params = base_params(self.index) if params is None else params
        if "media.id" in params and isinstance(params["media.id"], str):
            params = {**params, "media.id": params["media.id"] + self.media_suffix}
        self.playhead = playhead
        self.started = True
        return self.emit("sessionStart", params, qoe, custom, endpoint="sessions")

    def play(self, qoe: dict[str, Any] | None = None) -> None:
        self.state = "playing"
        self.emit("play", qoe=qoe)
        if self.main_ping_due is None:
            self.main_ping_due = round(self.t + self.main_ping_interval, 3)

    def content(self, seconds: float) -> None:
        """Play main content for ``seconds`` (the player must be playing)."""
        self.wait(seconds)

    def pause(self, seconds: float) -> None:
        self.state = "paused"
        self.emit("pauseStart")
        self.wait(seconds)
        self.play()

    def buffer(self, seconds: float) -> None:
        self.state = "buffering"
        self.emit("bufferStart")
        self.wait(seconds)
        self.play()

    def bitrate(self, bps: int) -> None:
        self.emit("bitrateChange", qoe={"media.qoe.bitrate": bps})

    def error(self, error_id: str, source: str = "player") -> None:
        self.emit("error", qoe={"media.qoe.errorID": error_id, "media.qoe.errorSource": source})

    def complete(self) -> None:
        self.emit("sessionComplete")

    def end(self) -> None:
        self.emit("sessionEnd")

    # ------------------------------------------------------------------ ads
    def break_start(self, pod_index: int, name: str | None = None) -> None:
        self._tick()  # params quote the playhead: settle the clock first
        params: dict[str, Any] = {
            "media.ad.podIndex": pod_index,
            "media.ad.podSecond": round(self.playhead, 3),
        }
        if name:
            params["media.ad.podFriendlyName"] = name
        self.in_break = True
        self.main_ping_due = None
        self.emit("adBreakStart", params)

    def ad(self, ad_id: str, length: float, position: int, *, name: str | None = None) -> None:
        params: dict[str, Any] = {
            "media.ad.id": ad_id,
            "media.ad.length": length,
            "media.ad.podPosition": position,
            "media.ad.playerName": "mcscope-ads",
        }
        if name:
            params["media.ad.name"] = name
        self.emit("adStart", params, custom={"campaign": "demo"})
        self.in_ad = True
        self.ad_ping_due = round(self.t + self.ad_ping_interval, 3)
        self.wait(length)
        self.in_ad = False
        self.ad_ping_due = None
        self.emit("adComplete")

    def break_complete(self) -> None:
        self.emit("adBreakComplete")
        self.in_break = False

    def ad_break(
        self, pod_index: int, ads: list[tuple[str, float]], *, name: str | None = None, resume: bool = True
    ) -> None:
        """A whole pod: adBreakStart, each ad (with 1 s pings), adBreakComplete, then ``play`` if resuming."""
        self.break_start(pod_index, name)
        for position, (ad_id, length) in enumerate(ads, start=1):
            self.ad(ad_id, length, position, name=f"Ad {ad_id}")
        self.break_complete()
        if resume:
            self.play()

    # ------------------------------------------------------------------ chapters and states
    def chapter_start(self, index: int, length: float, name: str | None = None) -> None:
        self._tick()
        params: dict[str, Any] = {
            "media.chapter.index": index,
            "media.chapter.offset": round(self.playhead, 3),
            "media.chapter.length": length,
        }
        if name:
            params["media.chapter.friendlyName"] = name
        self.emit("chapterStart", params, custom={"segment": f"part-{index}"})

    def chapter_complete(self) -> None:
        self.emit("chapterComplete")

    def state_start(self, name: str) -> None:
        self.emit("stateStart", {"media.state.name": name})

    def state_end(self, name: str) -> None:
        self.emit("stateEnd", {"media.state.name": name})


class Client(Protocol):
    """The client a scenario plays (REST scenarios have none: the MC API reference player)."""

    @property
    def protocol(self) -> str: ...

    @property
    def restart_pings(self) -> bool: ...


@dataclass(frozen=True)
class Scenario:
    """A named scripted playback. ``expected_rules`` (rule ids of rules.md) is empty for clean ones.

    ``expected_rules`` are what the scenario yields judged at the end of its own capture; ``timeout_rules``
    what a capture that runs on past the idle timeout adds (a session left open then times out). ``client``
    names the client and protocol that send the steps (None: a REST MC API client)."""

    name: str
    script: Callable[[Player], None]
    description: str
    expected_rules: frozenset[str] = field(default_factory=frozenset)
    timeout_rules: frozenset[str] = field(default_factory=frozenset)
    client: Client | None = None

    @property
    def clean(self) -> bool:
        return not self.expected_rules

    @property
    def protocol(self) -> str:
        return "rest" if self.client is None else self.client.protocol

    def steps(self, t0_ms: int, index: int = 0) -> list[Step]:
        player = Player(t0_ms, index, restart_pings=self.client is not None and self.client.restart_pings)
        self.script(player)
        return player.steps

    def duration(self) -> float:
        """Virtual length in seconds (offset of the last step)."""
        steps = self.steps(0)
        return steps[-1].at if steps else 0.0


SCENARIOS: dict[str, Scenario] = {}  # the REST MC API scenarios (sim/scenarios.py)
EDGE_SCENARIOS: dict[str, Scenario] = {}  # the Media Edge API scenarios (sim/edge_scenarios.py)
BY_PROTOCOL: dict[str, dict[str, Scenario]] = {"rest": SCENARIOS, "edge": EDGE_SCENARIOS}


def scenario(
    name: str,
    *expected_rules: str,
    timeout_rules: tuple[str, ...] = (),
    client: Client | None = None,
    description: str | None = None,
) -> Callable[[Callable[[Player], None]], Callable[[Player], None]]:
    """Register a scenario of ``client``'s protocol (a script may be registered for several clients);
    ``description`` defaults to the script's docstring, ``expected_rules`` are the rule ids it triggers."""

    def register(func: Callable[[Player], None]) -> Callable[[Player], None]:
        doc = " ".join((description or func.__doc__ or name).split())
        sc = Scenario(name, func, doc, frozenset(expected_rules), frozenset(timeout_rules), client)
        if any(name in registry for registry in BY_PROTOCOL.values()):
            raise ValueError(f"scenario {name!r} is registered twice")  # names are unique across protocols
        BY_PROTOCOL[sc.protocol][name] = sc
        return func

    return register
