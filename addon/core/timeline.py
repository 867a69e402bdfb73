"""Timeline segments of a session, recorded while its events are judged (times in ts milliseconds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Lanes in drawing order; see the contract in README "Timeline lanes".
LANES: tuple[str, ...] = (
    "playback", "adbreak", "ad", "content-ignored-ad", "chapter", "state", "ping", "ping-gap",
    "bitrate", "error", "finding", "playhead", "ignored",
)


@dataclass(slots=True)
class Segment:
    lane: str
    kind: str
    start: int
    end: int | None  # None while open; equal to start for points
    label: str = ""
    ignored: bool = False
    reason: str | None = None
    event: int | None = None
    value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lane": self.lane, "kind": self.kind, "start": self.start, "end": self.end, "label": self.label,
            "ignored": self.ignored, "reason": self.reason, "event": self.event, "value": self.value,
        }


class TimelineRecorder:
    """Collects segments; an interval stays open under a key until it is closed."""

    __slots__ = ("segments", "_open")

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self._open: dict[tuple[str, str], Segment] = {}

    def point(self, lane: str, kind: str, t: int, label: str = "", **kw: Any) -> Segment:
        seg = Segment(lane, kind, t, t, label, **kw)
        self.segments.append(seg)
        return seg

    def open(self, lane: str, key: str, kind: str, t: int, label: str = "", **kw: Any) -> Segment:
        self.close(lane, key, t)
        seg = Segment(lane, kind, t, None, label, **kw)
        self.segments.append(seg)
        self._open[(lane, key)] = seg
        return seg

    def close(self, lane: str, key: str, t: int) -> Segment | None:
        seg = self._open.pop((lane, key), None)
        if seg is not None:
            seg.end = max(t, seg.start)
        return seg

    def get_open(self, lane: str, key: str) -> Segment | None:
        return self._open.get((lane, key))

    def close_all(self, t: int) -> None:
        for (lane, key) in list(self._open):
            self.close(lane, key, t)

    def snapshot(self, end: int | None) -> list[Segment]:
        """All segments; intervals still open are shown up to ``end``."""
        if end is None or not self._open:
            return list(self.segments)
        out = []
        open_ids = {id(s) for s in self._open.values()}
        for seg in self.segments:
            if id(seg) in open_ids:
                seg = Segment(seg.lane, seg.kind, seg.start, max(end, seg.start), seg.label, seg.ignored,
                              seg.reason, seg.event, seg.value)
            out.append(seg)
        return out
