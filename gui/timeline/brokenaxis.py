"""The overview's broken time axis (no Qt here): real time (ms from the origin) -> axis units.

Sessions of one capture can be minutes apart, those of several captures years apart. On one linear axis the
empty stretches take the width and the sessions become slivers. :func:`fit_axis` builds a piecewise-linear
map for the sessions in view instead:

- an empty stretch longer than a few gap widths collapses into a gap of a fixed share of the axis (drawn as
  a break, with the times on each side);
- a session shorter than a minimum share of the axis is widened to it (sessions it overlaps widen with it),
  so every session stays a readable bar.

Axis units are ms wherever nothing was collapsed or widened: with nothing to fit the map is the identity.
The shares are fractions of the whole axis, so the total ``T`` they depend on is solved exactly: the total is
a piecewise-linear function of itself, and each piece is solved in closed form.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: the length a session of no duration is given before it is widened (ms)
POINT_MS = 1.0
#: an empty stretch collapses when it would take more than this many gap widths
COLLAPSE_FACTOR = 3.0
#: what the shares shrink by when the sessions and gaps in view cannot all get them
SHRINK = 0.7


@dataclass(frozen=True)
class Gap:
    """A collapsed empty stretch: real ms ``t0``..``t1``, drawn over axis units ``u0``..``u1``."""

    t0: float
    t1: float
    u0: float
    u1: float

    @property
    def length(self) -> float:
        return self.t1 - self.t0


@dataclass(frozen=True)
class BrokenAxis:
    """A map between real ms and axis units through breakpoints ``t`` -> ``u`` (both increasing; slope 1
    outside them)."""

    t: np.ndarray
    u: np.ndarray
    gaps: tuple[Gap, ...] = ()

    def to_axis(self, t: float) -> float:
        return float(self.to_axis_array(np.asarray([t], dtype=np.float64))[0])

    def to_axis_array(self, t: np.ndarray) -> np.ndarray:
        return _interp(t, self.t, self.u)

    def to_time(self, u: float) -> float:
        return float(_interp(np.asarray([u], dtype=np.float64), self.u, self.t)[0])

    def span(self, start: float, end: float) -> tuple[float, float]:
        """Axis units of a session's bar (a session of no duration gets :data:`POINT_MS` before widening)."""
        return self.to_axis(start), self.to_axis(max(end, start + POINT_MS))

    def range(self) -> tuple[float, float]:
        """Axis units of everything the axis was fitted to."""
        return float(self.u[0]), float(self.u[-1])

    def gap_at(self, u: float) -> Gap | None:
        return next((g for g in self.gaps if g.u0 <= u <= g.u1), None)

    def pieces(self) -> list[tuple[float, float]]:
        """Axis-unit ranges between the gaps (the first and last run on without end)."""
        edges = [-math.inf]
        for g in self.gaps:
            edges += [g.u0, g.u1]
        edges.append(math.inf)
        return list(zip(edges[0::2], edges[1::2], strict=True))

    def is_identity(self) -> bool:
        return not self.gaps and bool(np.allclose(self.u - self.u[0], self.t - self.t[0]))


def _interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    out = np.interp(x, xp, fp)
    out = np.where(x < xp[0], fp[0] - (xp[0] - x), out)
    return np.where(x > xp[-1], fp[-1] + (x - xp[-1]), out)


def identity_axis(lo: float = 0.0, hi: float = 1000.0) -> BrokenAxis:
    hi = hi if hi > lo else lo + 1000.0
    return BrokenAxis(np.array([lo, hi], dtype=np.float64), np.array([lo, hi], dtype=np.float64))


def _solve_total(cov_len: np.ndarray, cov_rate: np.ndarray, gap_len: np.ndarray,
                 gap_share: float) -> float | None:
    """The smallest total ``T`` with ``T == sum(cov_len * max(1, T * cov_rate)) + sum(gap lengths at T)``,
    where a gap of length ``L`` counts ``gap_share * T`` if ``L > COLLAPSE_FACTOR * gap_share * T`` else ``L``.
    None when there is none (the shares ask for more than the whole axis)."""
    cuts = {0.0}
    cuts.update((1.0 / cov_rate[cov_rate > 0]).tolist())
    if gap_share > 0:
        cuts.update((gap_len / (COLLAPSE_FACTOR * gap_share)).tolist())
    edges = sorted(cuts) + [math.inf]
    for lo, hi in zip(edges, edges[1:], strict=False):
        mid = (lo + hi) / 2 if math.isfinite(hi) else lo * 2 + 1.0
        stretched = cov_rate * mid > 1.0
        collapsed = gap_len > COLLAPSE_FACTOR * gap_share * mid
        fixed = float(cov_len[~stretched].sum() + gap_len[~collapsed].sum())
        slope = float((cov_len * cov_rate)[stretched].sum() + gap_share * collapsed.sum())
        if slope >= 1.0:
            continue
        total = fixed / (1.0 - slope)
        if lo - 1e-9 * max(1.0, lo) <= total <= hi:
            return total
    return None


def fit_axis(intervals: Sequence[tuple[float, float]], min_share: float, gap_share: float,
             min_total: float = 1000.0) -> BrokenAxis:
    """The axis for sessions spanning ``intervals`` (real ms ``(start, end)``): each session at least
    ``min_share`` of the axis, each collapsed gap ``gap_share`` of it (see the module docstring). When the
    sessions and gaps in view cannot all get their shares, the shares shrink until they can."""
    spans = [(float(s), max(float(e), float(s) + POINT_MS)) for s, e in intervals
             if math.isfinite(s) and math.isfinite(e)]
    if not spans:
        return identity_axis()
    starts = np.array([s for s, _ in spans])
    ends = np.array([e for _, e in spans])
    t = np.unique(np.concatenate([starts, ends]))
    if len(t) < 2:
        return identity_axis(float(t[0]), float(t[0]) + min_total)
    length = np.diff(t)
    first = np.searchsorted(t, starts)
    last = np.searchsorted(t, ends)  # the session covers pieces first..last-1
    delta = np.zeros(len(t) + 1)
    np.add.at(delta, first, 1)
    np.add.at(delta, last, -1)
    covered = np.cumsum(delta)[: len(length)] > 0
    # per piece, the widening rate of the shortest session over it: a session of length U asks min_share * T
    need = np.zeros(len(length))
    for a, b, s, e in zip(first.tolist(), last.tolist(), starts.tolist(), ends.tolist(), strict=True):
        need[a:b] = np.maximum(need[a:b], 1.0 / (e - s))
    cov_len, gap_len = length[covered], length[~covered]
    total = None
    for _attempt in range(12):
        total = _solve_total(cov_len, need[covered] * min_share, gap_len, gap_share)
        if total is not None:
            break
        min_share *= SHRINK
        gap_share *= SHRINK
    if total is None:  # pathological: many sessions, tiny plot; a linear axis rather than nothing
        return identity_axis(float(t[0]), float(t[-1]))
    sizes = np.where(covered, length * np.maximum(1.0, total * min_share * need), length)
    collapse = ~covered & (length > COLLAPSE_FACTOR * gap_share * total)
    sizes = np.where(collapse, gap_share * total, sizes)
    if sizes.sum() < min_total:  # a sub-second view: scale up evenly (the shares stay)
        sizes = sizes * (min_total / sizes.sum())
    u = t[0] + np.concatenate([[0.0], np.cumsum(sizes)])
    gaps = tuple(Gap(float(t[i]), float(t[i + 1]), float(u[i]), float(u[i + 1])) for i in np.flatnonzero(collapse))
    return BrokenAxis(t.astype(np.float64), u, gaps)


__all__ = ["POINT_MS", "BrokenAxis", "Gap", "fit_axis", "identity_axis"]
