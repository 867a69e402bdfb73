"""Numpy column store behind the timeline widget (no painting here).

A session's ``segments()`` (``mcscope.core.timeline.Segment``) are split per lane into sorted column arrays
so that painting is ``searchsorted`` culling plus per-pixel-column de-duplication, independent of the
number of events. Times are kept in milliseconds relative to the session origin ``t0`` (absolute epoch ms).
Segment values are read defensively (a core bug may leave garbage in one): unusable ones are skipped.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mcscope.core.status import REJECTED

if TYPE_CHECKING:
    from mcscope.core.session import Session
    from mcscope.core.state import Event
    from mcscope.core.timeline import Segment

log = logging.getLogger(__name__)


def event_index(ref: object) -> int | None:
    """``Segment.event`` as an event index (None when absent or not an int)."""
    return ref if isinstance(ref, int) and not isinstance(ref, bool) else None


def session_counts(session: Session) -> dict[str, int]:
    """{"error", "warning", "info", "ignored"} counts from a session's findings and events."""
    counts = {"error": 0, "warning": 0, "info": 0, "ignored": 0}
    for f in session.findings:
        counts[f.severity.label] += 1
    counts["ignored"] = sum(1 for e in session.events if e.ignored)
    return counts


def worst_severity(counts: dict[str, int]) -> str | None:
    for label in ("error", "warning", "info"):
        if counts.get(label):
            return label
    return None


def session_title(session: Session) -> str:
    """What the lists and the timeline call a session: its media name, else its media id. A session whose
    sessionStart was refused has neither (nothing was opened, its key is ``flow:…`` or ``edge:flow:…``):
    then the names its request carried (Edge ``sessionDetails.friendlyName``, then ``.name``; REST
    ``media.name``, then ``media.id``), else "rejected sessionStart (flow …)"."""
    media = session.media
    title = media.get("name") or media.get("id")
    if title:
        return str(title)
    events = session.events
    first = events[0] if events else None
    start = first if first is not None and first.event_type == "sessionStart" else None
    named = requested_name(start) if start is not None else None
    if named:
        return named
    key = str(session.key or "")
    flow = getattr(first, "flow", None) if first is not None else None
    if isinstance(flow, str) and flow and (key.startswith("flow:") or key.startswith("edge:flow:")):
        what = (first.event_type if first is not None else None) or "request"
        return f"{'rejected ' if session.status == REJECTED else ''}{what} (flow {flow})"
    return key or "?"


def requested_name(start: Event) -> str | None:
    """The media name a sessionStart asked for, whatever the collector answered (None: it named none)."""
    xdm = getattr(start, "xdm", None)
    if isinstance(xdm, dict):
        collection = xdm.get("mediaCollection")
        details = collection.get("sessionDetails") if isinstance(collection, dict) else None
        if isinstance(details, dict):
            for key in ("friendlyName", "name"):
                label = _label(details.get(key))
                if label:
                    return label
    params = start.params
    for key in ("media.name", "media.id"):
        label = _label(params.get(key))
        if label:
            return label
    return None


def _label(value: object) -> str | None:
    """A name as sent: a non-blank string or a number (an object or a list where a name belongs is no name)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


POINT_LANES = frozenset({"ping", "error", "finding", "playhead", "ignored"})


@dataclass
class LaneColumns:
    """Sorted columns of one lane. ``cum_end`` is the running max of ``end`` (monotonic, for culling)."""

    start: np.ndarray
    end: np.ndarray
    cum_end: np.ndarray
    kind: np.ndarray  # int32 code into ``kinds``
    ignored: np.ndarray  # bool
    value: np.ndarray  # float64, NaN when absent
    event: np.ndarray  # float64 event index, NaN when absent
    segs: list[Segment]
    kinds: list[str]

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def visible(self, t0: float, t1: float) -> tuple[int, int]:
        """Index range [i0, i1) that may intersect [t0, t1]."""
        i0 = int(np.searchsorted(self.cum_end, t0, side="left"))
        i1 = int(np.searchsorted(self.start, t1, side="right"))
        return i0, max(i0, i1)

    def hit(self, t: float, tol: float) -> int | None:
        """Index of the segment under time ``t`` (± ``tol``), preferring the nearest, then the shortest."""
        i0, i1 = self.visible(t - tol, t + tol)
        if i1 <= i0:
            return None
        if i1 - i0 > 5000:
            i0 = i1 - 5000
        s = self.start[i0:i1]
        e = self.end[i0:i1]
        ok = (s <= t + tol) & (e >= t - tol)
        if not ok.any():
            return None
        cand = np.flatnonzero(ok)
        dist = np.maximum(0.0, np.maximum(s[cand] - t, t - e[cand]))
        length = e[cand] - s[cand]
        best = np.lexsort((length, dist))[0]
        return i0 + int(cand[best])

    def time_of_event(self, index: int) -> float | None:
        hits = np.flatnonzero(self.event == index)
        return float(self.start[hits[0]]) if len(hits) else None


def _empty_lane() -> LaneColumns:
    z = np.zeros(0, dtype=np.float64)
    return LaneColumns(z, z, z, np.zeros(0, np.int32), np.zeros(0, bool), z, z, [], [])


@dataclass
class SessionColumns:
    """All lanes of one session, relative to ``t0`` (epoch ms)."""

    t0: float = 0.0
    lanes: dict[str, LaneColumns] = field(default_factory=dict)
    t_min: float = 0.0
    t_max: float = 1000.0
    playhead_range: tuple[float, float] = (0.0, 1.0)
    bitrate_max: float = 1.0
    dropped_from: float | None = None  # relative ms of the first event dropped after end/timeout
    dropped_reason: str | None = None
    bad_segments: int = 0
    build_ms: float = 0.0
    state_rows: list[LaneColumns] = field(default_factory=list)  # one sub-row per player state name
    _event_times: dict[int, float | None] = field(default_factory=dict)

    def lane(self, name: str) -> LaneColumns:
        return self.lanes.get(name) or _empty_lane()

    def event_time(self, index: int) -> float | None:
        """Relative ms of event ``index`` (its playhead point, else its first mark in any lane)."""
        if index in self._event_times:
            return self._event_times[index]
        found = None
        for name in ("playhead", *self.lanes):
            found = self.lane(name).time_of_event(index)
            if found is not None:
                break
        self._event_times[index] = found
        return found


def session_origin(session: Session, segments: list[Segment]) -> float:
    first = _num(session.first_ts)
    if first is not None:
        return first
    starts = [s for s in (_num(seg.start) for seg in segments) if s is not None]
    return min(starts) if starts else 0.0


def _float_col(values: list[Any]) -> np.ndarray:
    """float64 column; None/garbage -> NaN (fast path when everything is numeric or None)."""
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([math.nan if (v := _num(x)) is None else v for x in values], dtype=np.float64)


def _event_col(values: list[Any]) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([math.nan if (i := event_index(x)) is None else i for x in values], dtype=np.float64)


def _columns(segments: list[Segment]) -> dict[str, list[Any]]:
    names = ("lane", "kind", "start", "end", "ignored", "value", "event")
    return {n: [getattr(s, n) for s in segments] for n in names}


def build_session_columns(session: Session, segments: list[Segment] | None = None) -> SessionColumns:
    """Turn ``session.segments()`` into per-lane sorted columns (vectorised). Bad segments are skipped."""
    t_build = time.perf_counter()
    if segments is None:
        try:
            segments = list(session.segments())
        except Exception:
            # Boundary: the core's timeline of live, arbitrary captured data, drawn inside a paint event.
            # Whatever goes wrong there, the window shows the session without its timeline and keeps running.
            log.exception("session.segments() failed")
            segments = []
    t0 = session_origin(session, segments)
    open_end = _num(session.last_ts)  # open intervals (end None) run to the latest event
    cols = SessionColumns(t0=t0)
    if segments:
        c = _columns(segments)
        start = _float_col(c["start"])
        end_raw = c["end"]
        end = _float_col(end_raw)
        lane_codes: dict[Any, int] = {}
        lane = np.fromiter((lane_codes.setdefault(x, len(lane_codes)) for x in c["lane"]), np.int32,
                           len(segments))
        kind_codes: dict[Any, int] = {}
        kind = np.fromiter((kind_codes.setdefault(x, len(kind_codes)) for x in c["kind"]), np.int32,
                           len(segments))
        kinds = [str(k) if k is not None else "none" for k in kind_codes]
        ignored = np.array([bool(x) for x in c["ignored"]], dtype=bool)
        value = _float_col(c["value"])
        event = _event_col(c["event"])
        valid = np.isfinite(start)
        lane_names = {code: name for name, code in lane_codes.items()}
        for code, name in lane_names.items():
            if not isinstance(name, str):
                valid &= lane != code
        cols.bad_segments = int((~valid).sum())
        start = start - t0
        end = end - t0
        open_mask = np.fromiter((x is None for x in end_raw), bool, len(segments))
        point_lane = np.isin(lane, [code for name, code in lane_codes.items() if name in POINT_LANES])
        if open_end is not None:
            end = np.where(open_mask & ~point_lane, open_end - t0, end)
        end = np.where(np.isfinite(end) & (end >= start), end, start)
        order = np.flatnonzero(valid)
        order = order[np.lexsort((start[order], lane[order]))]
        lane_sorted = lane[order]
        bounds = np.flatnonzero(np.diff(lane_sorted)) + 1
        for chunk in np.split(order, bounds):
            if not len(chunk):
                continue
            name = lane_names[int(lane[chunk[0]])]
            e = end[chunk]
            cols.lanes[name] = LaneColumns(
                start=start[chunk], end=e, cum_end=np.maximum.accumulate(e), kind=kind[chunk],
                ignored=ignored[chunk], value=value[chunk], event=event[chunk],
                segs=[segments[i] for i in chunk.tolist()], kinds=kinds)
    _finish(cols)
    cols.build_ms = (time.perf_counter() - t_build) * 1000
    return cols


MAX_STATE_ROWS = 4


def subset(lane: LaneColumns, mask: np.ndarray) -> LaneColumns:
    idx = np.flatnonzero(mask)
    e = lane.end[idx]
    return LaneColumns(lane.start[idx], e, np.maximum.accumulate(e) if len(e) else e, lane.kind[idx],
                       lane.ignored[idx], lane.value[idx], lane.event[idx], [lane.segs[i] for i in idx.tolist()],
                       lane.kinds)


def split_by_kind(lane: LaneColumns, max_rows: int = MAX_STATE_ROWS) -> list[LaneColumns]:
    """Sub-lanes, one per kind in order of first appearance (kinds beyond ``max_rows`` share rows)."""
    if not len(lane):
        return []
    _, first = np.unique(lane.kind, return_index=True)
    order = lane.kind[np.sort(first)]
    row_of = {int(k): i % max_rows for i, k in enumerate(order.tolist())}
    rows = np.fromiter((row_of[int(k)] for k in lane.kind), np.int32, len(lane))
    return [subset(lane, rows == r) for r in range(min(max_rows, len(order)))]


def _finish(cols: SessionColumns) -> None:
    cols.state_rows = split_by_kind(cols.lane("state"))
    starts = [ln.start[0] for ln in cols.lanes.values() if len(ln)]
    ends = [ln.cum_end[-1] for ln in cols.lanes.values() if len(ln)]
    if starts:
        cols.t_min = float(min(0.0, min(starts)))
        cols.t_max = float(max(ends))
    if cols.t_max - cols.t_min < 1000.0:
        cols.t_max = cols.t_min + 1000.0
    ph = cols.lane("playhead").value
    ph = ph[np.isfinite(ph)] if len(ph) else ph
    if len(ph):
        lo, hi = float(ph.min()), float(ph.max())
        cols.playhead_range = (lo, hi if hi > lo else lo + 1.0)
    br = cols.lane("bitrate").value
    br = br[np.isfinite(br)] if len(br) else br
    if len(br) and float(br.max()) > 0:
        cols.bitrate_max = float(br.max())
    dropped = cols.lane("ignored")
    if len(dropped):
        cols.dropped_from = float(dropped.start[0])
        cols.dropped_reason = dropped.segs[0].reason or dropped.segs[0].label


def column_dedup(px: np.ndarray, kind: np.ndarray, nkinds: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique (pixel column, kind) pairs: at most one mark per kind per pixel column."""
    if not len(px):
        return px, kind
    if kind.min() == kind.max() and (len(px) < 2 or bool((px[1:] >= px[:-1]).all())):
        keep = np.empty(len(px), bool)  # one kind, sorted columns: no sort needed
        keep[0] = True
        np.not_equal(px[1:], px[:-1], out=keep[1:])
        return px[keep], kind[keep]
    key = px.astype(np.int64) * max(1, nkinds) + kind.astype(np.int64)
    uk = np.unique(key)
    return uk // max(1, nkinds), uk % max(1, nkinds)


def nice_step(span_ms: float, max_ticks: int) -> float:
    """A 1-2-5 tick step in ms giving at most ``max_ticks`` ticks over ``span_ms``."""
    if not math.isfinite(span_ms) or span_ms <= 0 or max_ticks <= 0:
        return 1000.0
    raw = span_ms / max_ticks
    steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000,
             120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000,
             21_600_000, 43_200_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000, 365 * 86_400_000]
    for s in steps:
        if s >= raw:
            return float(s)
    year = 365 * 86_400_000
    return float(year * 10 ** math.ceil(math.log10(raw / year)))


def format_rel(ms: float, step: float = 1000.0) -> str:
    """Seconds from session start: ``12 s``, ``1:05``, ``1:02:03``; decimals when the step needs them."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    if step < 1000 and ms < 60_000:
        decimals = 3 if step < 10 else 2 if step < 100 else 1
        return f"{sign}{ms / 1000:.{decimals}f} s"
    secs = int(round(ms / 1000))
    if secs < 60:
        return f"{sign}{secs} s"
    if secs >= 86_400:
        d, rem = divmod(secs, 86_400)
        if d >= 365:
            return f"{sign}{d / 365.25:.1f} y" if d < 36_500 else f"{sign}{d // 365} y"
        return f"{sign}{d} d {rem // 3600} h" if rem // 3600 else f"{sign}{d} d"
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"


def format_wall(epoch_ms: float) -> str:
    """Local wall-clock time with milliseconds (``14:03:22.512``)."""
    try:
        dt = _dt.datetime.fromtimestamp(epoch_ms / 1000.0)
    except (OverflowError, OSError, ValueError):
        return "?"
    return dt.strftime("%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def _local(epoch_ms: float) -> _dt.datetime | None:
    try:
        return _dt.datetime.fromtimestamp(epoch_ms / 1000.0)
    except (OverflowError, OSError, ValueError):
        return None


def wall_text(epoch_ms: float, step: float = 1000.0, with_date: bool = False) -> str:
    """Local wall-clock time as precise as a tick ``step`` (ms) needs: ``14:03:22.512``, ``14:03:22``,
    ``14:03``; a day or more (or ``with_date``): the date too, ``3 Mar 2019`` / ``3 Mar 2019 14:03``."""
    dt = _local(epoch_ms)
    if dt is None:
        return "?"
    if step >= 86_400_000:
        return f"{dt.day} {dt:%b %Y}"
    if step < 1000:
        clock = dt.strftime("%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"
    elif step < 60_000:
        clock = dt.strftime("%H:%M:%S")
    else:
        clock = dt.strftime("%H:%M")
    return f"{dt.day} {dt:%b %Y} {clock}" if with_date else clock


def same_day(a_ms: float, b_ms: float) -> bool:
    """Both times fall on the same local calendar day."""
    a, b = _local(a_ms), _local(b_ms)
    return a is not None and b is not None and a.date() == b.date()


def format_duration(ms: float) -> str:
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return format_rel(ms)


def format_bitrate(bps: float) -> str:
    if not math.isfinite(bps):
        return "?"
    if bps >= 1e6:
        return f"{bps / 1e6:.1f} Mbps"
    if bps >= 1e3:
        return f"{bps / 1e3:.0f} kbps"
    return f"{bps:.0f} bps"
