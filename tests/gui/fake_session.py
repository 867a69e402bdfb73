"""Hand-made sessions shaped like ``mcscope.core.session.Session`` (contract shapes) for GUI tests.

Segments are plain dicts with the contract keys, events and findings small namespaces, so the GUI is
tested against the shapes, independent of the core's analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcscope.core.model import Finding, Severity

T0 = 1_700_000_000_000  # epoch ms of the fake session start


@dataclass
class FakeEvent:
    index: int
    event_type: str | None
    ts: int | None
    playhead: float | None = 0.0
    sid: str = "sid-1"
    flow: str = "flow"
    received: float = 0.0
    body: dict[str, Any] | None = None
    status: int | None = 204
    findings: list[Finding] = field(default_factory=list)
    ignored: bool = False
    ignored_reason: str | None = None
    downloaded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "eventType": self.event_type, "ts": self.ts}


@dataclass
class FakeSession:
    key: str
    media: dict[str, Any]
    events: list[FakeEvent] = field(default_factory=list)
    segs: list[dict[str, Any]] = field(default_factory=list)
    status: str = "completed"
    client: str | None = None
    downloaded: bool = False

    @property
    def sid(self) -> str:
        return self.key

    @property
    def findings(self) -> list[Finding]:
        return [f for e in self.events for f in e.findings]

    @property
    def first_ts(self) -> int | None:
        return self.events[0].ts if self.events else None

    @property
    def last_ts(self) -> int | None:
        return self.events[-1].ts if self.events else None

    def segments(self) -> list[dict[str, Any]]:
        return list(self.segs)


def seg(lane: str, kind: str, start: float, end: float | None = None, label: str = "", *, ignored: bool = False,
        reason: str | None = None, event: int | None = None, value: float | None = None) -> dict[str, Any]:
    return {"lane": lane, "kind": kind, "start": start, "end": start if end is None else end, "label": label,
            "ignored": ignored, "reason": reason, "event": event, "value": value}


class Builder:
    """Appends events (ts in seconds from T0) and their segments."""

    def __init__(self, key: str, name: str, status: str = "completed") -> None:
        self.s = FakeSession(key=key, media={"id": key + "-media", "name": name, "playerName": "demo-player"},
                             status=status)

    def ev(self, t: float, etype: str, playhead: float, *, findings: list[tuple[str, Severity]] = (),
           ignored: str | None = None) -> int:
        i = len(self.s.events)
        ts = int(T0 + t * 1000)
        fs = [Finding(rule=r, severity=sev, message=f"{r} at {t}s", sid=self.s.key, event=i, ts=ts,
                      ignored=ignored is not None) for r, sev in findings]
        self.s.events.append(FakeEvent(i, etype, ts, playhead, sid=self.s.key, findings=fs,
                                       ignored=ignored is not None, ignored_reason=ignored))
        self.s.segs.append(seg("playhead", "playhead", ts, ts, etype, event=i, value=playhead))
        for f in fs:
            self.s.segs.append(seg("finding", f.severity.label, ts, ts, f.rule, event=i))
        if etype == "ping":
            self.s.segs.append(seg("ping", "ping", ts, ts, "ping", event=i))
        if ignored and ignored.startswith("dropped"):
            self.s.segs.append(seg("ignored", etype, ts, ts, etype, ignored=True, reason=ignored, event=i))
        return i

    def span(self, lane: str, kind: str, a: float, b: float, label: str = "", **kw: Any) -> None:
        self.s.segs.append(seg(lane, kind, T0 + a * 1000, T0 + b * 1000, label, **kw))


def clean_session(key: str = "clean-1") -> FakeSession:
    """Pre-roll break with one ad, 60 s of content with pings, a pause, a chapter, bitrate steps."""
    b = Builder(key, "Clean VOD with pre-roll")
    e0 = b.ev(0, "sessionStart", 0)
    b.ev(0.5, "adBreakStart", 0)
    a = b.ev(0.6, "adStart", 0)
    b.span("adbreak", "break", 0.5, 15.8, "pre-roll", event=1)
    b.span("ad", "ad", 0.6, 15.6, "ad-1 (15 s)", event=a)
    for t in (1.6, 2.6, 3.6):
        i = b.ev(t, "ping", 0)
        b.s.segs[-1]["kind"] = "ad-ping"
        _ = i
    b.ev(15.6, "adComplete", 0)
    b.ev(15.8, "adBreakComplete", 0)
    p = b.ev(16, "play", 0)
    b.ev(16.1, "chapterStart", 0)
    b.span("chapter", "chapter", 16.1, 76, "Chapter 1", event=p + 1)
    b.span("playback", "starting", 0, 16, "starting", event=e0)
    b.span("playback", "playing", 16, 40, "playing", event=p)
    for t in (26, 36):
        b.ev(t, "ping", t - 16)
    q = b.ev(40, "pauseStart", 24)
    b.span("playback", "paused", 40, 46, "paused", event=q)
    r = b.ev(46, "play", 24)
    b.span("playback", "playing", 46, 76, "playing", event=r)
    b.span("bitrate", "bitrate", 16, 50, "", value=2_500_000)
    b.span("bitrate", "bitrate", 50, 76, "", value=4_000_000)
    b.span("state", "fullscreen", 30, 60, "fullscreen")
    for t in (56, 66):
        b.ev(t, "ping", t - 22)
    b.ev(76, "sessionComplete", 54)
    return b.s


def ignored_ad_session(key: str = "ignored-1") -> FakeSession:
    """An ad with no ad break (ignored, counted as content), a ping gap, an error, events after end."""
    b = Builder(key, "Ad outside break", status="ended")
    b.ev(0, "sessionStart", 0)
    p = b.ev(1, "play", 0)
    b.span("playback", "playing", 1, 20, "playing", event=p)
    b.ev(11, "ping", 10)
    a = b.ev(20, "adStart", 19, findings=[("ad-outside-break", Severity.ERROR)],
             ignored="ad time counted as main content")
    b.span("ad", "ad", 20, 35, "ad-9 (15 s)", ignored=True, reason="ad outside an ad break", event=a)
    b.span("content-ignored-ad", "ignored-ad", 20, 35, "ad counted as content", ignored=True,
           reason="ad outside an ad break", event=a)
    b.span("playback", "playing", 20, 35, "playing", event=a)
    c = b.ev(35, "adComplete", 19, findings=[("ad-outside-break", Severity.ERROR)],
             ignored="ad time counted as main content")
    _ = c
    b.span("playback", "playing", 35, 60, "playing", event=c)
    b.span("ping-gap", "ping-gap", 11, 45, "gap 34 s")
    b.ev(45, "ping", 29, findings=[("ping-interval", Severity.WARNING)])
    b.ev(50, "bufferStart", 34)
    b.span("playback", "buffering", 50, 53, "buffering", event=len(b.s.events) - 1)
    err = b.ev(53, "error", 34, findings=[("error-without-id", Severity.INFO)])
    b.span("error", "error", 53, 53, "player error", event=err)
    b.ev(60, "sessionEnd", 41)
    b.ev(70, "ping", 51, findings=[("event-after-end", Severity.ERROR)], ignored="dropped: session ended")
    b.ev(80, "ping", 61, findings=[("event-after-end", Severity.ERROR)], ignored="dropped: session ended")
    return b.s


def big_session(n: int = 100_000, key: str = "big-1") -> FakeSession:
    """``n`` events (pings every 10 s, state changes) with segments built in bulk (benchmarks)."""
    s = FakeSession(key=key, media={"id": "big", "name": f"{n} events"}, status="open")
    segs = s.segs
    events = s.events
    for i in range(n):
        ts = T0 + i * 1000
        events.append(FakeEvent(i, "ping", ts, float(i)))
        segs.append({"lane": "playhead", "kind": "playhead", "start": ts, "end": ts, "label": "", "ignored": False,
                     "reason": None, "event": i, "value": float(i)})
        segs.append({"lane": "ping", "kind": "ping", "start": ts, "end": ts, "label": "", "ignored": False,
                     "reason": None, "event": i, "value": None})
        if i % 7 == 0:
            kind = ("playing", "paused", "buffering")[i % 3]
            segs.append({"lane": "playback", "kind": kind, "start": ts, "end": ts + 7000, "label": kind,
                         "ignored": False, "reason": None, "event": i, "value": None})
        if i % 50 == 0:
            segs.append({"lane": "finding", "kind": ("info", "warning", "error")[i % 3], "start": ts, "end": ts,
                         "label": "rule", "ignored": False, "reason": None, "event": i, "value": None})
        if i % 500 == 0:
            segs.append({"lane": "ad", "kind": "ad", "start": ts, "end": ts + 15000, "label": "ad",
                         "ignored": i % 1000 == 0, "reason": "outside break", "event": i, "value": None})
    return s
