"""Compare two sessions event by event: what is missing, extra, reordered or changed (pure, no I/O).

    diff = compare_sessions(reference, candidate)        # two Sessions analysed with keep_events=True
    diff.equivalent                                       # no difference beyond the tolerances
    for row in diff.rows: row.status, row.a, row.b        # the aligned event table, in sequence order

Sessions are aligned by event type, player context (main, ad, break …) and playhead, never by bytes:
what legitimately differs between two runs of the same playback is left out (the sid, absolute ``ts``,
visitor and customer ids, see :data:`IGNORED_KEYS`); time is compared as the gap between consecutive
aligned events, so a capture whose clock is shifted compares equal.

A REST session compared with a Media Edge one (a migration check) is compared in what both protocols
carry (media-edge.md §2): pings are left out (Edge clients restart the ping timer at every event, REST
clients need not), as are REST parameters with no Edge field (:data:`SHARED_PARAMS`), the tenant prefix of
Edge custom-metadata names (``_tenant.show`` is REST's ``show``), and findings of rules that exist on one
protocol only; REST's ``stateStart``/``stateEnd`` compare with Edge's ``statesUpdate``, and REST's
``timeToStart`` (ms) with Edge's (s).

The result is meant for every front door: ``mcscope diff`` renders it (terminal, JSON, Markdown),
``mcscope check --expect`` turns it into ``differs-from-reference`` findings (:func:`apply_reference`), and a
window can draw it as it is: :attr:`SessionDiff.rows` is one row per aligned pair in sequence order, each
with a status and its :class:`Change` list, and each row's ``a``/``b`` is an index into ``Session.events``
(``None`` on the side that has no such event).

Row statuses:

* ``same`` — both sides, no difference beyond the tolerances;
* ``changed`` — both sides, with changes (playhead, timing, params, customMetadata, qoeData, context,
  ignored by Adobe or not, findings);
* ``missing`` — only in A (the reference); ``extra`` — only in B;
* ``reordered`` — the same event at another place in the sequence (an ad break moved, two events
  swapped): two rows, one at A's place (``b`` is None) and one at B's (``a`` is None), linked by
  ``partner`` (the other row's index), both carrying the pair's changes.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from mcscope.core import edge_spec
from mcscope.core.rules.catalogue import RULES
from mcscope.core.state import Event, SessionState

RULE = "differs-from-reference"

#: Parameter keys that differ between two runs of the same playback by nature: never compared by default.
IGNORED_KEYS: frozenset[str] = frozenset({
    "visitor.marketingCloudUserId", "analytics.visitorId", "analytics.aid", "appInstallationId",
    "visitor.customerIDs",
})
#: Parameters that restate the playhead: compared with the playhead tolerance.
POSITION_KEYS: frozenset[str] = frozenset({"media.ad.podSecond", "media.chapter.offset"})
#: Two events of one type further apart than this (playhead seconds) are not taken for one changed event.
MATCH_WINDOW = 60.0
#: Largest gap between anchors aligned with tolerance (cells of its table); larger gaps stay unpaired.
MAX_GAP_CELLS = 250_000
#: Relative tolerance of ``average_bitrate``; counters and lists must be equal.
BITRATE_TOLERANCE = 0.01
STATUSES = ("same", "changed", "missing", "extra", "reordered")
#: The parameter and QoE keys both protocols carry (a REST key with no Media Edge counterpart — the
#: datastream's analytics and org settings, identities, HTTPS — is left out of a REST-vs-Edge comparison).
SHARED_PARAMS: frozenset[str] = frozenset(
    {key for mapping in edge_spec.TO_REST.values() for key in mapping.values()} | {"statesStart", "statesEnd"})
SHARED_QOE: frozenset[str] = frozenset(edge_spec.QOE_TO_REST.values())
#: Compared across protocols in seconds, within the playhead tolerance: REST sends ms, XDM says seconds.
TIME_TO_START = "media.qoe.timeToStart"
FIELDS = ("playhead", "timing", "context", "ignored", "params", "customMetadata", "qoeData", "findings")


@dataclass(frozen=True, slots=True)
class Tolerances:
    """What counts as "the same". Times in seconds."""

    playhead: float = 1.0  # |playhead A - playhead B|
    timing: float = 2.0  # |gap since the previous aligned event, A - B|
    metric_time: float = 2.0  # the *_time metrics ("what Adobe will count")
    ignore_keys: frozenset[str] = IGNORED_KEYS  # params/customMetadata/qoeData keys (fnmatch patterns)
    skip_types: frozenset[str] = frozenset()  # event types left out of the alignment (e.g. ping)

    def ignores(self, key: str) -> bool:
        return key in self.ignore_keys or any(fnmatchcase(key, p) for p in self.ignore_keys if "*" in p or "?" in p)

    def to_dict(self) -> dict[str, Any]:
        return {"playhead": self.playhead, "timing": self.timing, "metric_time": self.metric_time,
                "ignore_keys": sorted(self.ignore_keys), "skip_types": sorted(self.skip_types)}


@dataclass(slots=True)
class Change:
    """One difference of an aligned pair. ``key`` names the parameter for params/customMetadata/qoeData;
    ``delta`` is B - A for numbers (seconds for playhead and timing)."""

    field: str  # one of FIELDS
    a: Any
    b: Any
    key: str | None = None
    delta: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field}
        if self.key is not None:
            out["key"] = self.key
        out["a"], out["b"] = self.a, self.b
        if self.delta is not None:
            out["delta"] = self.delta
        return out


@dataclass(slots=True)
class _View:
    """What is compared of one event."""

    index: int
    event_type: str
    context: str
    playhead: float | None
    t: int  # ms since the session's first event
    params: dict[str, Any]
    custom: dict[str, Any]
    qoe: dict[str, Any]
    rules: tuple[str, ...]
    ignored: bool
    ignored_reason: str | None

    @property
    def key(self) -> tuple[Any, ...]:
        ph = None if self.playhead is None else round(self.playhead)
        return self.event_type, self.context, ph, self.ignored


@dataclass(slots=True)
class Row:
    """One aligned pair: ``a``/``b`` index ``Session.events`` of each side, None where that side has none."""

    status: str
    a: int | None
    b: int | None
    event_type: str
    playhead_a: float | None = None
    playhead_b: float | None = None
    t_a: int | None = None  # ms since the session's first event
    t_b: int | None = None
    changes: list[Change] = field(default_factory=list)
    partner: int | None = None  # reordered: the row at the other side's place

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "a": self.a, "b": self.b, "eventType": self.event_type,
            "playhead": {"a": self.playhead_a, "b": self.playhead_b}, "t": {"a": self.t_a, "b": self.t_b},
            "partner": self.partner, "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(slots=True)
class Difference:
    """One difference in words, for terminals, Markdown and findings. ``row`` indexes ``SessionDiff.rows``."""

    kind: str  # a row status, or "findings", "metrics", "status"
    text: str
    row: int | None = None
    a: int | None = None
    b: int | None = None


@dataclass(slots=True)
class SessionDiff:
    a: SessionState
    b: SessionState
    tolerances: Tolerances
    rows: list[Row]
    findings: dict[str, tuple[int, int]]  # rule -> (count in A, count in B), rules whose counts differ
    findings_a: dict[str, int]
    findings_b: dict[str, int]
    metrics_a: dict[str, Any]
    metrics_b: dict[str, Any]
    metrics_different: list[str]
    status_a: str
    status_b: str
    matched_by: str = "explicit"
    protocols: tuple[str, str] = ("rest", "rest")

    @property
    def cross_protocol(self) -> bool:
        """A REST session against a Media Edge one: compared in what both protocols carry."""
        return self.protocols[0] != self.protocols[1]

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.rows if not (r.status == "reordered" and r.b is None))
        return {s: c.get(s, 0) for s in STATUSES}

    @property
    def equivalent(self) -> bool:
        return (all(r.status == "same" for r in self.rows) and not self.findings and not self.metrics_different
                and self.status_a == self.status_b)

    def differences(self, a_name: str = "A", b_name: str = "B") -> list[Difference]:
        """Every difference in words, rows first (sequence order), then findings, metrics and status."""
        out: list[Difference] = []
        for run in _difference_runs(self.rows):
            row = self.rows[run[0]]
            text = (_row_text(row, self.rows, a_name, b_name) if len(run) == 1
                    else _run_text([self.rows[n] for n in run], self.rows, a_name, b_name))
            out.append(Difference(row.status, text, run[0], row.a, row.b))
        for rule, (ca, cb) in sorted(self.findings.items()):
            verb = "appears" if ca == 0 else "disappears" if cb == 0 else "changes count"
            out.append(Difference("findings", f"finding {rule} {verb}: {ca} in {a_name}, {cb} in {b_name}"))
        if self.metrics_different:
            parts = [f"{k} {_fmt(self.metrics_a.get(k))} vs {_fmt(self.metrics_b.get(k))}"
                     for k in self.metrics_different]
            out.append(Difference("metrics", f"what Adobe will count differs ({a_name} vs {b_name}): "
                                  + ", ".join(parts)))
        if self.status_a != self.status_b:
            out.append(Difference("status", f"session status {self.status_a} in {a_name}, {self.status_b} in "
                                  f"{b_name}"))
        return out

    def to_dict(self) -> dict[str, Any]:
        appeared = sorted(r for r, (ca, _) in self.findings.items() if ca == 0)
        disappeared = sorted(r for r, (_, cb) in self.findings.items() if cb == 0)
        return {
            "a": session_info(self.a),
            "b": session_info(self.b),
            "matched_by": self.matched_by,
            "protocols": {"a": self.protocols[0], "b": self.protocols[1]},
            "cross_protocol": self.cross_protocol,
            "equivalent": self.equivalent,
            "counts": self.counts,
            "status": {"a": self.status_a, "b": self.status_b},
            "rows": [r.to_dict() for r in self.rows],
            "findings": {
                "a": dict(sorted(self.findings_a.items())), "b": dict(sorted(self.findings_b.items())),
                "appeared": appeared, "disappeared": disappeared,
                "different": [{"rule": r, "a": ca, "b": cb} for r, (ca, cb) in sorted(self.findings.items())],
            },
            "metrics": {
                "a": self.metrics_a, "b": self.metrics_b,
                "different": [{"metric": k, "a": self.metrics_a.get(k), "b": self.metrics_b.get(k),
                               "delta": _delta(self.metrics_a.get(k), self.metrics_b.get(k))}
                              for k in self.metrics_different],
            },
        }


def session_info(s: SessionState) -> dict[str, Any]:
    """How a session is named in a comparison (no visitor data)."""
    media = s.media or {}
    return {"sid": s.sid, "key": s.key, "media_id": media.get("id"), "media_name": media.get("name"),
            "events": s.event_count, "status": _status(s)}


def _status(s: SessionState) -> str:
    status = getattr(s, "status", None)
    return status if isinstance(status, str) else ("completed" if s.completed else s.closed or "open")


# --------------------------------------------------------------------------------------------------
# Comparing two sessions


def compare_sessions(a: SessionState, b: SessionState, tolerances: Tolerances | None = None,
                     matched_by: str = "explicit") -> SessionDiff:
    """Align and compare two sessions analysed with ``Config(keep_events=True)``."""
    tol = tolerances or Tolerances()
    protocols = (protocol_of(a), protocol_of(b))
    cross = protocols[0] != protocols[1]
    if cross:
        tol = replace(tol, skip_types=tol.skip_types | {"ping"})
    va, vb = _views(a, tol, cross), _views(b, tol, cross)
    rows = _align(va, vb, tol)
    _find_reordered(rows, va, vb, tol)
    _timing(rows, va, vb, tol)
    fa, fb = _finding_counts(a, cross), _finding_counts(b, cross)
    findings = {r: (fa.get(r, 0), fb.get(r, 0)) for r in set(fa) | set(fb) if fa.get(r, 0) != fb.get(r, 0)}
    ma, mb = _metrics(a), _metrics(b)
    different = [k for k in dict.fromkeys([*ma, *mb]) if not _metric_equal(k, ma.get(k), mb.get(k), tol)]
    return SessionDiff(a, b, tol, rows, findings, fa, fb, ma, mb, different, _status(a), _status(b), matched_by,
                       protocols)


def protocol_of(s: SessionState) -> str:
    protocol = getattr(s, "protocol", "rest")
    return protocol if isinstance(protocol, str) else "rest"


def _on_both_protocols(rule: str) -> bool:
    info = RULES.get(rule)
    return info is None or (info.severity_for("rest") is not None and info.severity_for("edge") is not None)


def _metrics(s: SessionState) -> dict[str, Any]:
    m = getattr(s, "metrics", None)
    if callable(m):
        return dict(m())
    from mcscope.core import metrics

    return metrics.preview(s)


def _finding_counts(s: SessionState, cross: bool = False) -> dict[str, int]:
    return dict(Counter(f.rule for f in s.findings if f.rule != RULE and (not cross or _on_both_protocols(f.rule))))


def _views(s: SessionState, tol: Tolerances, cross: bool = False) -> dict[int, _View]:
    out: dict[int, _View] = {}
    t0: int | None = None
    edge = protocol_of(s) == "edge"
    for ev in s.events:
        et = ev.event_type or "(no eventType)"
        if et in tol.skip_types:
            continue
        if t0 is None:
            t0 = ev.t
        body = ev.body or {}
        custom = body.get("customMetadata")
        params, custom, qoe = ev.params, custom if isinstance(custom, dict) else {}, ev.qoe
        if cross:
            et, params, custom, qoe = _shared_reading(et, params, custom, qoe, edge)
        out[ev.index] = _View(
            ev.index, et, ev.context, ev.playhead, ev.t - t0, _kept(params, tol), _kept(custom, tol), _kept(qoe, tol),
            tuple(sorted(f.rule for f in ev.findings if f.rule != RULE and (not cross or _on_both_protocols(f.rule)))),
            ev.ignored, ev.ignored_reason,
        )
    return out


def _shared_reading(event_type: str, params: Mapping[str, Any], custom: Mapping[str, Any], qoe: Mapping[str, Any],
                    edge: bool) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An event as both protocols can say it (media-edge.md §2), for a REST-vs-Edge comparison."""
    shared = {k: v for k, v in params.items() if k in SHARED_PARAMS}
    if not edge and event_type in ("stateStart", "stateEnd"):  # Edge has only statesUpdate
        key = "statesStart" if event_type == "stateStart" else "statesEnd"
        shared = {key: [{"media.state.name": params.get("media.state.name")}]}
        event_type = "statesUpdate"
    if edge:  # tenant XDM paths: "_tenant.show" is what REST calls "show"
        custom = {(k.split(".", 1)[1] if k.startswith("_") and "." in k else k): v for k, v in custom.items()}
    kept_qoe = {k: v for k, v in qoe.items() if k in SHARED_QOE}
    if not edge and _number(kept_qoe.get(TIME_TO_START)):
        kept_qoe[TIME_TO_START] = kept_qoe[TIME_TO_START] / 1000
    return event_type, shared, dict(custom), kept_qoe


def _kept(values: Mapping[str, Any], tol: Tolerances) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not tol.ignores(k)}


def _row(status: str, va: _View | None, vb: _View | None) -> Row:
    v = va or vb
    assert v is not None
    return Row(status, va.index if va else None, vb.index if vb else None, v.event_type,
               va.playhead if va else None, vb.playhead if vb else None, va.t if va else None, vb.t if vb else None)


def _align(va: dict[int, _View], vb: dict[int, _View], tol: Tolerances) -> list[Row]:
    """Anchor on exactly equal keys (difflib), then pair the events between anchors with tolerance."""
    la, lb = list(va.values()), list(vb.values())
    matcher = difflib.SequenceMatcher(None, [v.key for v in la], [v.key for v in lb], autojunk=False)
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for x, y in zip(la[i1:i2], lb[j1:j2], strict=True):
                rows.append(_pair(x, y, tol))
        else:
            rows.extend(_gap(la[i1:i2], lb[j1:j2], tol))
    return rows


def _pairable(x: _View, y: _View) -> bool:
    if x.event_type != y.event_type:
        return False
    return x.playhead is None or y.playhead is None or abs(x.playhead - y.playhead) <= MATCH_WINDOW


def _score(x: _View, y: _View, tol: Tolerances) -> int:
    close = x.playhead is None or y.playhead is None or abs(x.playhead - y.playhead) <= tol.playhead
    return 1 + 2 * close + (x.context == y.context) + (x.params == y.params)


def _gap(xs: list[_View], ys: list[_View], tol: Tolerances) -> list[Row]:
    """The events between two anchors: the best order-keeping pairing of same-type events (a small table)."""
    n, m = len(xs), len(ys)
    if not n or not m or n * m > MAX_GAP_CELLS:
        return [_row("missing", x, None) for x in xs] + [_row("extra", None, y) for y in ys]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        x = xs[i]
        for j in range(m - 1, -1, -1):
            value = max(below[j], row[j + 1])
            y = ys[j]
            if _pairable(x, y):
                value = max(value, below[j + 1] + _score(x, y, tol))
            row[j] = value
    out: list[Row] = []
    i = j = 0
    while i < n and j < m:
        x, y = xs[i], ys[j]
        if _pairable(x, y) and best[i][j] == best[i + 1][j + 1] + _score(x, y, tol):
            out.append(_pair(x, y, tol))
            i += 1
            j += 1
        elif best[i][j] == best[i + 1][j]:
            out.append(_row("missing", x, None))
            i += 1
        else:
            out.append(_row("extra", None, y))
            j += 1
    out.extend(_row("missing", x, None) for x in xs[i:])
    out.extend(_row("extra", None, y) for y in ys[j:])
    return out


def _pair(x: _View, y: _View, tol: Tolerances, status: str = "") -> Row:
    row = _row(status or "same", x, y)
    row.changes = _changes(x, y, tol)
    if not status and row.changes:
        row.status = "changed"
    return row


def _changes(x: _View, y: _View, tol: Tolerances) -> list[Change]:
    out: list[Change] = []
    if x.playhead is None or y.playhead is None:
        if (x.playhead is None) != (y.playhead is None):
            out.append(Change("playhead", x.playhead, y.playhead))
    elif abs(x.playhead - y.playhead) > tol.playhead:
        out.append(Change("playhead", x.playhead, y.playhead, delta=round(y.playhead - x.playhead, 3)))
    if x.context != y.context:
        out.append(Change("context", x.context, y.context))
    if x.ignored != y.ignored:
        out.append(Change("ignored", x.ignored_reason if x.ignored else None, y.ignored_reason if y.ignored else None))
    for name, pa, pb in (("params", x.params, y.params), ("customMetadata", x.custom, y.custom),
                         ("qoeData", x.qoe, y.qoe)):
        for key in dict.fromkeys([*pa, *pb]):
            va, vb = pa.get(key), pb.get(key)
            if (key in pa) != (key in pb) or not _value_equal(key, va, vb, tol):
                out.append(Change(name, va, vb, key=key, delta=_delta(va, vb)))
    if x.rules != y.rules:
        out.append(Change("findings", list(x.rules), list(y.rules)))
    return out


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _value_equal(key: str, a: Any, b: Any, tol: Tolerances) -> bool:
    if (key in POSITION_KEYS or key == TIME_TO_START) and _number(a) and _number(b):
        return abs(a - b) <= tol.playhead
    return type(a) is type(b) and a == b or (_number(a) and _number(b) and a == b)


def _delta(a: Any, b: Any) -> float | None:
    return round(b - a, 3) if _number(a) and _number(b) else None


def _metric_equal(key: str, a: Any, b: Any, tol: Tolerances) -> bool:
    if _number(a) and _number(b):
        if key.endswith("_time"):
            return abs(a - b) <= tol.metric_time
        if key == "average_bitrate":
            return abs(a - b) <= BITRATE_TOLERANCE * max(abs(a), abs(b))
    return bool(a == b)


def _runs(rows: list[Row], status: str) -> list[list[int]]:
    runs: list[list[int]] = []
    for n, row in enumerate(rows):
        if row.status != status:
            continue
        if runs and runs[-1][-1] == n - 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def _identity(v: _View) -> dict[str, Any]:
    return {k: val for k, val in v.params.items() if k not in POSITION_KEYS}


def _find_reordered(rows: list[Row], va: dict[int, _View], vb: dict[int, _View], tol: Tolerances) -> None:
    """Pair a run of missing events with a run of extra ones of the same event types and identities:
    the same events at another place (an ad break moved, two events swapped)."""
    extras = _runs(rows, "extra")
    used: set[int] = set()
    for run in _runs(rows, "missing"):
        xs = [va[rows[n].a] for n in run]  # type: ignore[index]
        for k, other in enumerate(extras):
            if k in used or len(other) != len(run):
                continue
            ys = [vb[rows[n].b] for n in other]  # type: ignore[index]
            if any(x.event_type != y.event_type or _identity(x) != _identity(y) for x, y in zip(xs, ys, strict=True)):
                continue
            identified = any(_identity(x) for x in xs)
            near = all(x.playhead is None or y.playhead is None or abs(x.playhead - y.playhead) <= MATCH_WINDOW
                       for x, y in zip(xs, ys, strict=True))
            if not (identified or near):
                continue
            used.add(k)
            for n, o, x, y in zip(run, other, xs, ys, strict=True):
                changes = _changes(x, y, tol)
                rows[n].status = rows[o].status = "reordered"
                rows[n].partner, rows[o].partner = o, n
                rows[n].changes, rows[o].changes = changes, list(changes)
            break


def _timing(rows: list[Row], va: dict[int, _View], vb: dict[int, _View], tol: Tolerances) -> None:
    """The gap since the previous event, compared where both this row and the previous one are pairs."""
    limit = tol.timing * 1000
    for prev, row in zip(rows, rows[1:], strict=False):
        if row.status not in ("same", "changed") or prev.status not in ("same", "changed"):
            continue
        assert row.a is not None and row.b is not None and prev.a is not None and prev.b is not None
        gap_a = va[row.a].t - va[prev.a].t
        gap_b = vb[row.b].t - vb[prev.b].t
        if abs(gap_a - gap_b) > limit:
            row.changes.append(Change("timing", gap_a / 1000, gap_b / 1000, delta=round((gap_b - gap_a) / 1000, 3)))
            row.status = "changed"


# --------------------------------------------------------------------------------------------------
# Words


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return "absent" if v is None else repr(v) if isinstance(v, str) else str(v)


def _ph(v: float | None) -> str:
    return "no playhead" if v is None else f"playhead {v:g}"


def change_text(c: Change) -> str:
    if c.field == "playhead":
        return f"playhead {_fmt(c.a)} -> {_fmt(c.b)}"
    if c.field == "timing":
        return f"{_fmt(c.a)} s -> {_fmt(c.b)} s after the previous event"
    if c.field == "ignored":
        return (f"dropped by Adobe only in B ({c.b})" if c.b else f"dropped by Adobe only in A ({c.a})")
    if c.field == "findings":
        return f"findings {', '.join(c.a) or 'none'} -> {', '.join(c.b) or 'none'}"
    if c.field == "context":
        return f"context {c.a} -> {c.b}"
    return f"{c.field}[{c.key}] {_fmt(c.a)} -> {_fmt(c.b)}"


def _row_text(row: Row, rows: list[Row], a_name: str, b_name: str) -> str:
    if row.status == "missing":
        return f"{row.event_type} at {_ph(row.playhead_a)} ({a_name} event {row.a}) is missing from {b_name}"
    if row.status == "extra":
        return f"{row.event_type} at {_ph(row.playhead_b)} ({b_name} event {row.b}) is not in {a_name}"
    changes = "; ".join(change_text(c) for c in row.changes).replace(" in B", f" in {b_name}").replace(
        " in A", f" in {a_name}")
    if row.status == "reordered":
        other = rows[row.partner] if row.partner is not None else row
        text = (f"{row.event_type} ({a_name} event {other.a}, {b_name} event {row.b}) is at another place in the "
                "sequence")
        return text + (f": {changes}" if changes else "")
    return f"{row.event_type} ({a_name} event {row.a}, {b_name} event {row.b}): {changes}"


def _difference_runs(rows: list[Row]) -> list[list[int]]:
    """Row indexes to describe together: a run of missing, of extra or of reordered events (B's place) is one
    difference (an ad break that moved is one); a changed row is one."""
    runs: list[list[int]] = []
    for n, row in enumerate(rows):
        if row.status == "same" or (row.status == "reordered" and row.b is None):
            continue
        if row.status != "changed" and runs:
            last = rows[runs[-1][-1]]
            if runs[-1][-1] == n - 1 and last.status == row.status and (
                    row.status != "reordered" or last.partner is not None and row.partner == last.partner + 1):
                runs[-1].append(n)
                continue
        runs.append([n])
    return runs


def _types(rows: list[Row]) -> str:
    parts: list[str] = []
    n = 0
    while n < len(rows):
        k = n
        while k + 1 < len(rows) and rows[k + 1].event_type == rows[n].event_type:
            k += 1
        count = k - n + 1
        parts.append(rows[n].event_type if count == 1 else f"{count}× {rows[n].event_type}")
        n = k + 1
    return ", ".join(parts)


def _span(first: int | None, last: int | None) -> str:
    return f"{first}" if first == last else f"{first}-{last}"


def _run_text(run: list[Row], rows: list[Row], a_name: str, b_name: str) -> str:
    first, last = run[0], run[-1]
    what = f"{len(run)} events ({_types(run)})"
    if first.status == "missing":
        return (f"{what} from {_ph(first.playhead_a)} ({a_name} events {_span(first.a, last.a)}) are missing from "
                f"{b_name}")
    if first.status == "extra":
        return f"{what} from {_ph(first.playhead_b)} ({b_name} events {_span(first.b, last.b)}) are not in {a_name}"
    pa = rows[first.partner] if first.partner is not None else first
    pz = rows[last.partner] if last.partner is not None else last
    fields = sorted({c.field for r in run for c in r.changes})
    text = (f"{what} are at another place in the sequence ({a_name} events {_span(pa.a, pz.a)}, {b_name} events "
            f"{_span(first.b, last.b)})")
    head = [change_text(c) for c in first.changes]
    if head:
        text += ": " + "; ".join(head) + (f" (changed in the run: {', '.join(fields)})" if len(run) > 1 else "")
    return text


# --------------------------------------------------------------------------------------------------
# Matching the sessions of two captures


@dataclass(slots=True)
class Matching:
    pairs: list[tuple[SessionState, SessionState, str]]  # (A session, B session, how: explicit|only|media.id)
    unmatched_a: list[SessionState]
    unmatched_b: list[SessionState]


def media_id(s: SessionState) -> Any:
    return (s.media or {}).get("id")


def match_sessions(a: Sequence[SessionState], b: Sequence[SessionState],
                   explicit: Iterable[tuple[SessionState, SessionState]] = ()) -> Matching:
    """Pair sessions: the explicit pairs, then a lone session with a lone session, then by media id (the
    n-th session of a media id in A with the n-th of that media id in B, in capture order)."""
    pairs: list[tuple[SessionState, SessionState, str]] = []
    taken_a: set[int] = set()
    taken_b: set[int] = set()
    for x, y in explicit:
        pairs.append((x, y, "explicit"))
        taken_a.add(id(x))
        taken_b.add(id(y))
    rest_a = [s for s in a if id(s) not in taken_a]
    rest_b = [s for s in b if id(s) not in taken_b]
    if len(rest_a) == 1 and len(rest_b) == 1 and media_id(rest_a[0]) != media_id(rest_b[0]):
        return Matching([*pairs, (rest_a[0], rest_b[0], "only")], [], [])
    queues: dict[Any, list[SessionState]] = {}
    for s in rest_b:
        queues.setdefault(_hashable(media_id(s)), []).append(s)
    unmatched_a: list[SessionState] = []
    for s in rest_a:
        queue = queues.get(_hashable(media_id(s)))
        if queue:
            pairs.append((s, queue.pop(0), "media.id"))
        else:
            unmatched_a.append(s)
    left = {id(s) for q in queues.values() for s in q}
    return Matching(pairs, unmatched_a, [s for s in rest_b if id(s) in left])


def _hashable(v: Any) -> Any:
    try:
        hash(v)
    except TypeError:
        return repr(v)
    return v


# --------------------------------------------------------------------------------------------------
# differs-from-reference findings (mcscope check --expect)

#: At most this many differs-from-reference findings per session; a last one says how many more.
MAX_REFERENCE_FINDINGS = 25


def _event(s: SessionState, index: int | None) -> Event | None:
    if index is None:
        return None
    for ev in s.events[index:index + 1] or s.events:
        if ev.index == index:
            return ev
    return None


def apply_reference(s: SessionState, diff: SessionDiff, reference_name: str = "the reference",
                    limit: int = MAX_REFERENCE_FINDINGS) -> int:
    """Emit a ``differs-from-reference`` finding on ``s`` (diff's B side) per difference; how many."""
    diffs = diff.differences("the reference", "the capture")
    ref = diff.a.sid or diff.a.key
    emitted = 0
    for d in diffs[:limit]:
        ev = _event(s, d.b)
        if ev is None and d.row is not None:  # missing: place it at the next event the capture has
            ev = next((_event(s, r.b) for r in diff.rows[d.row:] if r.b is not None and r.a is not None), None)
        if s.emit(RULE, f"{d.text} [reference session {ref} in {reference_name}]", ev) is not None:
            emitted += 1
    if len(diffs) > limit:
        if s.emit(RULE, f"… and {len(diffs) - limit} more differences from reference session {ref} (see mcscope "
                  "diff)", None) is not None:
            emitted += 1
    return emitted


def unmatched_message(s: SessionState, reference: bool, reference_name: str = "the reference") -> str:
    mid = media_id(s)
    what = f"media.id {mid!r}" if mid is not None else "no media.id"
    if reference:
        return (f"reference session {s.sid or s.key} ({what}) in {reference_name} has no session in the capture "
                "(matched by media.id)")
    return f"no reference session in {reference_name} for this session ({what}, matched by media.id)"
