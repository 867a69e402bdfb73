"""Per-session state shared by the rule families, and the parsed event.

The rule families in ``addon/rules/`` read and update a :class:`SessionState` one event at a time.
Tri-state fields (``bool | None``) use ``None`` for "not observed yet": a capture that begins
mid-session does not know whether an ad break is open, and the rules that depend on it stay silent.
"""

from __future__ import annotations

from array import array
from collections import deque
from typing import Any

from mcscope.core.config import Config
from mcscope.core.model import Finding, Severity
from mcscope.core.rules.catalogue import RULES
from mcscope.core.timeline import TimelineRecorder

_NUMBER = int | float
_NO_FINDINGS: list[Finding] = []  # shared until an event gets its first finding; never appended to
_NO_MEMBERS: dict[str, Any] = {}  # the packed body of an event that carries nothing else; never mutated
_INT_PLAYHEAD, _FLOAT_PLAYHEAD = 1, 2


#: Beyond this an integer ts cannot even be a float (what the rules' arithmetic on times needs).
_HUGE_TS = 10**308


class Event:
    """One Media Collection API event as mcscope judged it."""

    __slots__ = (
        "index", "sid", "flow", "event_type", "playhead", "ts", "t", "received", "_body", "_packed", "status",
        "findings", "ignored", "ignored_reason", "downloaded", "context",
    )

    def __init__(
        self,
        index: int,
        sid: str | None,
        flow: str,
        body: Any,
        received: float,
        status: int | None,
        downloaded: bool = False,
    ) -> None:
        self.index = index
        self.sid = sid
        self.flow = flow
        self.received = received
        self.status = status
        self.downloaded = downloaded
        self.findings: list[Finding] = _NO_FINDINGS  # a list of its own on the first finding
        self._packed: int | None = None  # see pack()
        self.ignored = False
        self.ignored_reason: str | None = None
        self.context = "main"  # main | ad | break | ignored-ad | unknown | dropped
        et = pt = None
        if isinstance(body, dict):
            self._body: dict[str, Any] | None = body
            et = body.get("eventType")
            pt = body.get("playerTime")
        else:
            self._body = None
        self.event_type: str | None = et if isinstance(et, str) else None
        playhead = ts = None
        if isinstance(pt, dict):
            playhead = _playhead(pt.get("playhead"))
            raw_ts = pt.get("ts")
            if (type(raw_ts) is int or isinstance(raw_ts, int) and not isinstance(raw_ts, bool)) and \
                    -_HUGE_TS < raw_ts < _HUGE_TS:
                ts = raw_ts  # (an integer no float can hold is no time: judged by ts-type, like a string)
            elif isinstance(raw_ts, float) and raw_ts == raw_ts and abs(raw_ts) < 1e18:
                ts = int(raw_ts)  # judged by ts-type, still placed on the timeline
        self.playhead: float | None = playhead
        self.ts: int | None = ts
        # The time the event is placed at: its ts when plausible, else when the proxy saw it.
        self.t: int = (ts if ts is not None and 1e12 <= ts <= 1e14
                       else int(received * 1000) if -1e11 < received < 1e11 else 0)

    @property
    def body(self) -> dict[str, Any] | None:
        """The event's JSON object (rebuilt from the event's own fields once it was packed)."""
        body = self._body
        if self._packed is None or body is None:
            return body
        playhead: float | int = int(self.playhead) if self._packed == _INT_PLAYHEAD else self.playhead  # type: ignore[arg-type]
        return {"playerTime": {"playhead": playhead, "ts": self.ts}, "eventType": self.event_type, **body}

    def pack(self) -> None:
        """Once judged, keep only what the event's fields do not already hold.

        A window may keep a million events: a ping's parsed body (two dicts, their keys, the eventType
        string) is most of its memory, and ``event_type``, ``ts`` and ``playhead`` hold the same values.
        Only a well-formed ``playerTime`` is packed, so ``body`` returns an equal object.
        """
        body = self._body
        if body is None or self._packed is not None or type(body.get("eventType")) is not str:
            return
        pt = body.get("playerTime")
        if type(pt) is not dict or len(pt) != 2 or type(pt.get("ts")) is not int:
            return
        ph = pt.get("playhead")
        kind = type(ph)
        if kind is int and self.playhead is not None and int(self.playhead) == ph:  # the float holds it exactly
            packed = _INT_PLAYHEAD
        elif kind is float:
            packed = _FLOAT_PLAYHEAD
        else:
            return
        rest = {k: v for k, v in body.items() if k != "playerTime" and k != "eventType"}
        self._body = rest or _NO_MEMBERS
        self._packed = packed

    @property
    def params(self) -> dict[str, Any]:
        p = self._body.get("params") if self._body is not None else None
        return p if isinstance(p, dict) else {}

    @property
    def qoe(self) -> dict[str, Any]:
        q = self._body.get("qoeData") if self._body is not None else None
        return q if isinstance(q, dict) else {}

    def ts_fraction_digits(self) -> int | None:
        """How many digits the fraction of the timestamp as sent has (an integer ``ts`` has none)."""
        return None

    def add_finding(self, finding: Finding) -> None:
        if self.findings is _NO_FINDINGS:
            self.findings = [finding]
        else:
            self.findings.append(finding)

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "sid": self.sid,
            "flow": self.flow,
            "eventType": self.event_type,
            "playhead": self.playhead,
            "ts": self.ts,
            "t": self.t,
            "received": self.received,
            "status": self.status,
            "body": self.body,
            "context": self.context,
            "downloaded": self.downloaded,
            "ignored": self.ignored,
            "ignored_reason": self.ignored_reason,
            "findings": [f.to_dict() for f in self.findings],
        }


def _playhead(value: Any) -> float | None:
    """A JSON number as the event's playhead; None for anything else, and for an integer too large for a float
    (a playhead of 400 digits judges nothing, where float() raised)."""
    kind = type(value)
    if kind is float:
        return value
    if kind is int or isinstance(value, _NUMBER) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return None
    return None


class RecentTimestamps:
    """The ``ts`` of a session's last :data:`RECENT_TS` events (arrival-out-of-order counts how many of them a
    late event was overtaken by). Kept as int64s: a deque of 64 int objects was 3 KB of every session, the
    largest part of a finished session's state; ts beyond the int64 range fall back to a deque."""

    __slots__ = ("_ring",)

    def __init__(self) -> None:
        self._ring: array[int] | deque[int] = array("q")

    def append(self, ts: int) -> None:
        ring = self._ring
        if type(ring) is array:
            try:
                ring.append(ts)
            except OverflowError:
                self._ring = deque(ring, maxlen=RECENT_TS)
                self._ring.append(ts)
                return
            if len(ring) > RECENT_TS:
                del ring[0]
        else:
            ring.append(ts)

    def count_greater(self, ts: int) -> int:
        return sum(1 for other in self._ring if other > ts)

    def __len__(self) -> int:
        return len(self._ring)

    def __iter__(self) -> Any:
        return iter(self._ring)


#: How many recent ``ts`` a session keeps.
RECENT_TS = 64


class SessionState:
    """Everything the rules need to know about one session so far."""

    #: "rest" or "edge" (``session.EdgeSession``): the protocol whose default severities its findings get
    protocol = "rest"
    #: the main ping interval is learnt from the session's first pings (Media Edge API; rules/pings.py)
    infers_ping_interval = False

    def __init__(self, key: str, sid: str | None, config: Config, downloaded: bool = False) -> None:
        self.key = key
        self.sid = sid
        self.config = config
        self.downloaded = downloaded
        self.events: list[Event] = []
        self.last_event: Event | None = None
        self.event_count = 0
        self.findings: list[Finding] = []
        self.counts = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
        self.ignored_count = 0
        self.timeline: TimelineRecorder | None = TimelineRecorder() if config.keep_events else None
        self.fired: set[str] = set()  # once-per-session rules already reported
        self.media: dict[str, Any] = {}
        self.client: str | None = None

        # lifecycle
        self.observed_start = False
        self.start_event: Event | None = None
        self.completed = False
        self.closed: str | None = None  # ended | timeout-idle | timeout-playhead | gone
        self.close_reason: str | None = None
        self.first_ts: int | None = None
        self.last_ts: int | None = None
        self.last_t: int | None = None
        self.first_received: float | None = None
        self.last_received: float | None = None
        self.max_ts: int | None = None
        self.recent_ts = RecentTimestamps()
        self.restamp_run = 0
        self.restamp_ping = False
        self.restamp_first_ts = 0
        self.playhead: float | None = None
        self.playhead_change_ts: int | None = None
        self.last_ts_fraction: int | None = None  # digits of the previous timestamp's fraction (ts-backwards)

        # playback: starting | playing | paused | buffering, None = unknown
        self.playback: str | None = None
        self.content_started: bool | None = None
        self.pause_playhead: float | None = None
        self.pause_reported = False
        self.stall_run = 0
        self.stall_start_t: int | None = None
        self.stall_playhead: float | None = None
        self.last_event_playhead: float | None = None
        self.last_event_t: int | None = None
        self.stalled = False
        self.awaiting_play_after_break = False
        self.error_pending: Event | None = None

        # ads
        self.in_break: bool | None = None
        self.in_ad: bool | None = None
        self.ignored_ad: Event | None = None  # open ad that Adobe ignores (outside a break)
        self.break_event: Event | None = None
        self.break_ads = 0
        self.break_ad_closed = False
        self.break_playhead: float | None = None
        self.break_moved_reported = False
        self.breaks_seen = 0
        self.pod_indexes: set[Any] = set()
        self.ad_event: Event | None = None
        self.break_play_between: Event | None = None
        self.first_play: Event | None = None

        # chapters and player states
        self.in_chapter: bool | None = None
        self.active_states: set[str] = set()
        self.known_states: set[str] = set()  # states whose on/off status has been observed
        self.seen_states: list[str] = []
        self.state_spellings: dict[str, set[str]] = {}

        # pings
        self.any_ping = False
        self.main_ref: int | None = None  # t of the previous main-content event: the ping timer's start
        self.main_ref_kind = ""  # that event's type (or pings.IGNORED_AD), for messages
        self.last_main_ping_t: int | None = None  # for pings that come too often
        self.short_pings_reported = False
        self.first_main_ping_seen = False
        self.ping_interval: float | None = None  # the session's main interval once settled (pings.interval)
        self.inferred_ping_interval = False  # settled on its pings' interval rather than the tunable
        self.ping_gaps: list[int] = []  # the first main-content ping gaps (ms), while learning
        self.pending_gaps: list[tuple[Event, int, str, bool]] = []  # (event, timer start, its kind, first ping?)
        self.ad_ref: int | None = None  # t of the previous event of the open ad
        self.ad_start_t: int | None = None
        self.ad_pings = 0
        self.ad_quiet_max = 0  # the open ad's longest stretch without any event (ms)
        self.ad_gap_reported = False

        # qoe
        self.dropped_frames: int | None = None
        self.time_to_start: Any = None
        self.current_bitrate: int | None = None

        # metrics accumulators (ms / counts)
        self.m: dict[str, float] = {
            "content_time": 0, "ad_time": 0, "ignored_ad_time": 0, "pause_count": 0, "pause_time": 0,
            "buffer_count": 0, "buffer_time": 0, "stalls": 0, "bitrate_changes": 0, "errors": 0,
            "content_start": 0, "content_complete": 0, "ads_started": 0, "ads_ignored": 0,
            "chapters_started": 0, "bitrate_weighted": 0, "bitrate_time": 0, "stall_time": 0,
        }
        self.max_content_playhead: float | None = None

    # --- findings -----------------------------------------------------------------------------------
    def emit(
        self,
        rule: str,
        message: str,
        event: Event | None = None,
        severity: Severity | None = None,
        ignored: bool = False,
    ) -> Finding | None:
        """Record a finding unless the user ignores the rule. ``severity`` overrides the default."""
        cfg = self.config
        if rule in cfg.ignore:
            return None
        info = RULES[rule]
        sev = cfg.severity_of(rule, self.protocol, severity)
        finding = Finding(
            rule=rule,
            severity=sev,
            message=message,
            sid=self.sid,
            event=event.index if event is not None else None,
            flow=event.flow if event is not None else None,
            ts=event.ts if event is not None else None,
            ignored=ignored,
            consequence=info.consequence if ignored else None,
            protocol=self.protocol,
        )
        self.findings.append(finding)
        self.counts[sev] += 1
        if event is not None:
            event.add_finding(finding)
        return finding

    def emit_once(self, rule: str, message: str, event: Event | None = None, **kw: Any) -> Finding | None:
        if rule in self.fired:
            return None
        self.fired.add(rule)
        return self.emit(rule, message, event, **kw)

    def drop(self, event: Event, reason: str) -> None:
        """Mark an event as one Adobe ignores or drops."""
        if not event.ignored:
            event.ignored = True
            event.ignored_reason = reason
            self.ignored_count += 1

    @property
    def media(self) -> dict[str, Any]:
        """What the sessionStart says of the media (id, name, contentType, length, ...); set whole, never changed
        in place: :attr:`is_live_content` and :attr:`media_length`, read at every event, are kept from it."""
        return self._media

    @media.setter
    def media(self, media: dict[str, Any]) -> None:
        self._media = media
        ct = media.get("contentType")
        self._live_content = isinstance(ct, str) and ct.lower() in ("live", "linear")
        length = media.get("length")
        self._media_length: float | None = None
        if isinstance(length, int | float) and not isinstance(length, bool) and length > 0:
            try:
                self._media_length = float(length)
            except OverflowError:  # an integer of hundreds of digits is no length
                pass

    @property
    def is_live_content(self) -> bool:
        return self._live_content

    @property
    def media_length(self) -> float | None:
        return self._media_length

    def tun(self, name: str) -> float:
        return self.config.tunables[name]
