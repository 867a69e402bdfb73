"""gui/timeline/brokenaxis.py: the overview's axis collapses long empty stretches and widens short sessions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mcscope.gui.timeline.brokenaxis import POINT_MS, fit_axis

YEAR = 365 * 86_400_000
MIN_SHARE, GAP_SHARE = 0.03, 0.04


def shares(intervals: list[tuple[float, float]], min_share: float = MIN_SHARE,
           gap_share: float = GAP_SHARE) -> tuple[list[float], list[float]]:
    axis = fit_axis(intervals, min_share, gap_share)
    lo, hi = axis.range()
    bars = [(axis.span(s, e)[1] - axis.span(s, e)[0]) / (hi - lo) for s, e in intervals]
    gaps = [(g.u1 - g.u0) / (hi - lo) for g in axis.gaps]
    return bars, gaps


def test_sessions_close_together_keep_a_linear_axis() -> None:
    axis = fit_axis([(0, 76_000), (0, 80_000), (90_000, 150_000)], MIN_SHARE, GAP_SHARE)
    assert axis.is_identity() and not axis.gaps
    assert axis.to_axis(42_000) == pytest.approx(42_000)
    assert axis.range() == (0.0, 150_000.0)


def test_years_apart_collapse_into_gaps_and_short_sessions_widen() -> None:
    intervals = [(0, 60_000), (2 * YEAR, 2 * YEAR + 30_000), (2 * YEAR + 40_000, 2 * YEAR + 40_000),
                 (5 * YEAR, 5 * YEAR + 3_600_000)]
    bars, gaps = shares(intervals)
    assert len(gaps) == 2  # 0 -> 2 y and 2 y -> 5 y; the 10 s between the two 2 y sessions stays linear
    assert gaps == pytest.approx([GAP_SHARE, GAP_SHARE])
    assert min(bars) == pytest.approx(MIN_SHARE)  # the 0 ms session and the 30 s one are widened to the share
    assert bars[3] > 0.7  # the hour-long one takes most of the axis, not the empty years


def test_the_map_keeps_order_and_round_trips() -> None:
    intervals = [(i * YEAR + i * 7_000, i * YEAR + i * 7_000 + 1_000 * (i + 1)) for i in range(6)]
    axis = fit_axis(intervals, MIN_SHARE, GAP_SHARE)
    t = np.array(sorted({x for iv in intervals for x in iv} | {-5_000.0, 7 * YEAR}))
    u = axis.to_axis_array(t)
    assert bool(np.all(np.diff(u) > 0)), "a later time is always further right"
    for value in (3.5 * YEAR, 2 * YEAR + 14_500, -5_000.0, 7 * YEAR):
        assert axis.to_time(axis.to_axis(value)) == pytest.approx(value, rel=1e-9, abs=1e-3)
    gap = axis.gap_at((axis.gaps[0].u0 + axis.gaps[0].u1) / 2)
    assert gap is axis.gaps[0] and gap.length > 0.9 * YEAR
    assert axis.gap_at(axis.to_axis(intervals[0][0])) is None


def test_shares_shrink_when_the_view_cannot_give_every_session_its_share() -> None:
    intervals = [(i * YEAR, i * YEAR + 1_000) for i in range(40)]  # 40 x 3 % + 39 gaps x 4 % > the axis
    bars, gaps = shares(intervals)
    assert all(b > 0.015 for b in bars)  # smaller shares, still every session a bar
    assert sum(bars) + sum(gaps) <= 1.0 + 1e-9
    assert max(bars) / min(bars) == pytest.approx(1.0, rel=1e-6)  # the same length: the same width


def test_degenerate_inputs() -> None:
    assert fit_axis([], MIN_SHARE, GAP_SHARE).range() == (0.0, 1000.0)
    one = fit_axis([(500.0, 500.0)], MIN_SHARE, GAP_SHARE)  # one session of no duration
    a, b = one.span(500.0, 500.0)
    lo, hi = one.range()
    assert hi - lo >= 1000.0 and b - a == pytest.approx(hi - lo) and b - a > POINT_MS
    skipped = fit_axis([(math.nan, 5.0), (0.0, math.inf), (0.0, 2_000.0)], MIN_SHARE, GAP_SHARE)
    assert skipped.range() == (0.0, 2_000.0)
