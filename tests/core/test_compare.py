"""core.compare on pairs whose differences are known: a scenario against itself with one event dropped, one
ad moved, one parameter changed, one clock shifted (equivalent), and the session matching."""

from __future__ import annotations

import json

import pytest

from mcscope.core.compare import (
    Tolerances,
    apply_reference,
    compare_sessions,
    match_sessions,
)
from mcscope.core.config import Config
from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer, Session
from mcscope.sim.simulate import simulate_offline
from tests.builder import Capture, start_params

SCENARIO = "vod-preroll-midroll"


def sessions(exchanges: list[Exchange], config: Config | None = None) -> list[Session]:
    an = Analyzer(config or Config())
    for ex in exchanges:
        an.feed(ex)
    an.finish()
    return an.sessions


def only(exchanges: list[Exchange]) -> Session:
    (s,) = sessions(exchanges)
    return s


def edit_body(ex: Exchange, fn) -> Exchange:
    body = json.loads(ex.request_body or b"{}")
    fn(body)
    ex.request_body = json.dumps(body).encode()
    return ex


def event_type(ex: Exchange) -> str | None:
    return json.loads(ex.request_body or b"{}").get("eventType")


@pytest.fixture(scope="module")
def reference() -> Session:
    return only(simulate_offline(SCENARIO))


def test_a_scenario_against_itself_is_equivalent(reference: Session) -> None:
    diff = compare_sessions(reference, only(simulate_offline(SCENARIO)))
    assert diff.equivalent
    assert diff.counts["same"] == len(reference.events) and diff.differences() == []
    assert all(r.status == "same" and r.a == r.b for r in diff.rows)


def test_a_shifted_clock_is_equivalent(reference: Session) -> None:
    """Another day, another sid, another visitor: the same playback."""
    shifted = simulate_offline(SCENARIO, t0_ms=1_767_225_600_000 + 3 * 86_400_000 + 12_345)
    for ex in shifted:
        if event_type(ex) == "sessionStart":
            edit_body(ex, lambda b: b["params"].update({"visitor.marketingCloudUserId": "9" * 38,
                                                        "appInstallationId": "another-install"}))
    other = only(shifted)
    assert other.events[0].ts != reference.events[0].ts
    diff = compare_sessions(reference, other)
    assert diff.equivalent, [d.text for d in diff.differences()]


def test_one_dropped_event_is_missing(reference: Session) -> None:
    exchanges = simulate_offline(SCENARIO)
    pings = [n for n, ex in enumerate(exchanges) if event_type(ex) == "ping"]
    dropped = pings[len(pings) // 2]
    del exchanges[dropped]
    diff = compare_sessions(reference, only(exchanges))
    assert not diff.equivalent
    assert diff.counts == {"same": len(reference.events) - 1, "changed": 0, "missing": 1, "extra": 0,
                           "reordered": 0}
    (row,) = [r for r in diff.rows if r.status == "missing"]
    assert row.b is None and row.event_type == "ping"
    assert reference.events[row.a].playhead == pytest.approx(reference.events[dropped].playhead)
    (d,) = diff.differences()
    assert d.kind == "missing" and "ping" in d.text and "missing from B" in d.text


def test_a_changed_parameter_is_changed(reference: Session) -> None:
    exchanges = simulate_offline(SCENARIO)
    starts = [ex for ex in exchanges if event_type(ex) == "adStart"]
    edit_body(starts[1], lambda b: b["params"].update({"media.ad.name": "another ad"}))
    diff = compare_sessions(reference, only(exchanges))
    assert not diff.equivalent
    (row,) = [r for r in diff.rows if r.status != "same"]
    assert row.status == "changed" and row.event_type == "adStart"
    (change,) = row.changes
    assert (change.field, change.key, change.b) == ("params", "media.ad.name", "another ad")
    assert diff.counts["changed"] == 1 and diff.counts["same"] == len(reference.events) - 1
    assert "params[media.ad.name]" in diff.differences()[0].text


def vod_with_midroll(at: int) -> Session:
    c = Capture()
    c.start()
    c.ev("play", dt=10)
    c.ping_for(at)
    c.ad_break(ads=1, index=2)
    c.ev("play", dt=10)
    c.ping_for(120 - at)
    c.ev("sessionComplete", dt=5000)
    return c.analyze().sessions[0]


def test_a_moved_ad_break_is_reordered() -> None:
    a, b = vod_with_midroll(60), vod_with_midroll(30)
    diff = compare_sessions(a, b)
    assert not diff.equivalent
    moved = [r for r in diff.rows if r.status == "reordered"]
    assert len(moved) == 2 * 9  # adBreakStart, adStart, 4 ad pings, adComplete, adBreakComplete, play: both places
    assert diff.counts["reordered"] == 9 and diff.counts["missing"] == diff.counts["extra"] == 0
    for n, row in enumerate(diff.rows):
        if row.status == "reordered":
            partner = diff.rows[row.partner]
            assert partner.partner == n and partner.event_type == row.event_type
            assert (row.a is None) != (partner.a is None)
    start = next(r for r in moved if r.event_type == "adBreakStart" and r.b is not None)
    fields = {(c.field, c.key) for c in start.changes}
    assert ("playhead", None) in fields and ("params", "media.ad.podSecond") in fields
    (d,) = diff.differences()  # one moved ad break is one difference
    assert d.kind == "reordered" and "9 events" in d.text and "adBreakStart" in d.text
    assert not diff.metrics_different  # the same time counted: only the place changed


def test_swapped_events_are_reordered() -> None:
    def build(swap: bool) -> Session:
        c = Capture()
        c.start()
        c.ev("play", dt=1000)
        c.ping_for(20)
        first, second = ("bitrateChange", "ping") if not swap else ("ping", "bitrateChange")
        c.ev(first, dt=5000, qoe={"media.qoe.bitrate": 2_000_000} if first == "bitrateChange" else None)
        c.ev(second, dt=0, qoe={"media.qoe.bitrate": 2_000_000} if second == "bitrateChange" else None)
        c.ping_for(20)
        c.ev("sessionComplete", dt=1000)
        return c.analyze().sessions[0]

    diff = compare_sessions(build(False), build(True))
    assert [r.status for r in diff.rows].count("reordered") == 2
    assert not diff.equivalent


def test_tolerances_decide() -> None:
    def build(jitter: int) -> Session:
        c = Capture()
        c.start()
        c.ev("play", dt=1000)
        c.ev("ping", dt=10_000 + jitter)
        c.ev("ping", dt=10_000 - jitter)
        c.ev("sessionComplete", dt=1000)
        return c.analyze().sessions[0]

    a, b = build(0), build(1500)  # one ping 1.5 s late: its playhead too
    default = compare_sessions(a, b)
    assert [c.field for r in default.rows for c in r.changes] == ["playhead"]  # 1.5 s > 1 s; timing 1.5 s < 2 s
    assert compare_sessions(a, b, Tolerances(playhead=2.0)).equivalent
    diff = compare_sessions(a, b, Tolerances(playhead=2.0, timing=1.0))
    timing = [c for r in diff.rows for c in r.changes if c.field == "timing"]
    assert [c.delta for c in timing] == [pytest.approx(1.5), pytest.approx(-1.5)]


def test_skipped_types_and_ignored_keys() -> None:
    a = vod_with_midroll(60)
    c = Capture()
    c.start(start_params(**{"media.name": "Renamed"}))
    c.ev("play", dt=10)
    c.ping_for(50)  # one ping less, and the break at 50 s
    c.ad_break(ads=1, index=2)
    c.ev("play", dt=10)
    c.ping_for(60)
    c.ev("sessionComplete", dt=5000)
    b = c.analyze().sessions[0]
    diff = compare_sessions(a, b, Tolerances(skip_types=frozenset({"ping"}), ignore_keys=frozenset({"media.*"}),
                                             playhead=20.0, metric_time=20.0, timing=20.0))
    assert all(r.event_type != "ping" for r in diff.rows)
    assert diff.equivalent, [d.text for d in diff.differences()]


def test_findings_and_metrics_differences() -> None:
    c = Capture()
    c.start()
    c.ev("play", dt=1000)
    c.ping_for(30)
    c.ev("sessionComplete", dt=1000)
    a = c.analyze().sessions[0]
    c = Capture()
    c.start()
    c.ev("play", dt=1000)
    c.ev("ping", dt=10_000)
    c.ev("ping", dt=20_000)  # a late ping: ping-interval appears
    c.ev("sessionComplete", dt=1000)
    b = c.analyze().sessions[0]
    diff = compare_sessions(a, b)
    assert diff.findings.get("ping-interval") == (0, 1)
    words = [d.text for d in diff.differences()]
    assert any("finding ping-interval appears" in w for w in words)
    doc = diff.to_dict()
    assert doc["findings"]["appeared"] == ["ping-interval"]
    assert doc["rows"][0]["status"] == "same" and set(doc["rows"][0]) >= {"a", "b", "status", "changes", "partner"}
    json.dumps(doc)  # JSON-ready


def test_ignored_events_differ() -> None:
    def build(status: int) -> Session:
        c = Capture()
        c.start()
        c.ev("play", dt=1000)
        c.ev("ping", dt=10_000, status=status)
        c.ev("sessionComplete", dt=1000)
        return c.analyze().sessions[0]

    diff = compare_sessions(build(204), build(400))
    changed = [r for r in diff.rows if r.status == "changed"]
    assert any(ch.field == "ignored" for r in changed for ch in r.changes)


def test_match_sessions_by_media_id_in_order() -> None:
    def session(media: str, sid: str) -> Session:
        c = Capture(sid=sid)
        c.start(start_params(**{"media.id": media}))
        c.ev("sessionEnd", dt=1000)
        return c.analyze().sessions[0]

    a = [session("x", "a1"), session("y", "a2"), session("x", "a3"), session("z", "a4")]
    b = [session("y", "b1"), session("x", "b2"), session("x", "b3"), session("w", "b4")]
    m = match_sessions(a, b)
    assert [(x.sid, y.sid, how) for x, y, how in m.pairs] == [("a1", "b2", "media.id"), ("a2", "b1", "media.id"),
                                                               ("a3", "b3", "media.id")]
    assert [s.sid for s in m.unmatched_a] == ["a4"] and [s.sid for s in m.unmatched_b] == ["b4"]
    m = match_sessions(a, b, [(a[3], b[3])])
    assert (m.pairs[0][0].sid, m.pairs[0][2]) == ("a4", "explicit") and not m.unmatched_a and not m.unmatched_b
    lone = match_sessions([a[0]], [b[0]])
    assert [(x.sid, y.sid, how) for x, y, how in lone.pairs] == [("a1", "b1", "only")]


def test_apply_reference_emits_findings_on_the_capture(reference: Session) -> None:
    exchanges = simulate_offline(SCENARIO)
    del exchanges[40]  # a content ping: the next ping comes 20 s after the previous one
    capture = only(exchanges)
    diff = compare_sessions(reference, capture)
    before = len(capture.findings)
    assert apply_reference(capture, diff, "ref.har") == 3
    missing, changed, appeared = capture.findings[before:]
    assert {f.rule for f in (missing, changed, appeared)} == {"differs-from-reference"}
    assert missing.severity.label == "error"
    assert "missing from the capture" in missing.message and "ref.har" in missing.message
    assert missing.event == 40  # placed at the capture's next event
    assert "findings none -> ping-interval" in changed.message and changed.event == 40
    assert "finding ping-interval appears" in appeared.message and appeared.event is None
    again = compare_sessions(reference, capture)  # its own findings are not a difference
    assert "differs-from-reference" not in again.findings


def test_apply_reference_caps_the_findings() -> None:
    a = vod_with_midroll(60)
    c = Capture()
    c.start()
    for n in range(40):
        c.ev("ping", dt=10_000, playhead=1000.0 + 100 * n)  # nothing like a
    b = c.analyze().sessions[0]
    diff = compare_sessions(a, b)
    emitted = apply_reference(b, diff, limit=3)
    assert emitted == 4 and "more differences" in b.findings[-1].message


def test_apply_reference_respects_the_config() -> None:
    a = vod_with_midroll(60)
    c = Capture()
    c.start()
    c.ev("play", dt=10)
    c.ev("sessionEnd", dt=1000)
    b = c.analyze(Config.from_options(ignore=["differs-from-reference"])).sessions[0]
    assert apply_reference(b, compare_sessions(a, b)) == 0


T0_MS = 1_767_225_600_000  # simulate_offline's default start


# -- a REST session against a Media Edge one (a migration check) ---------------------------------------------
def _played_by(name: str, client: object) -> Session:
    from mcscope.sim.script import Scenario
    from mcscope.sim.simulate import scenarios_of

    rest = scenarios_of("all")[name]
    return only(simulate_offline(Scenario(name, rest.script, rest.description, client=client), t0_ms=T0_MS))


@pytest.mark.parametrize("name", ["vod-preroll-midroll", "live", "player-states", "audio-podcast"])
@pytest.mark.parametrize("client", ["MEDIA_SDK", "WEB_SDK", "HAND_BUILT"])
def test_the_same_playback_over_rest_and_edge_compares_equivalent(name: str, client: str) -> None:
    from mcscope.sim import edge_wire

    rest = only(simulate_offline(name, t0_ms=T0_MS))
    edge = _played_by(name, getattr(edge_wire, client))
    assert (rest.protocol, edge.protocol) == ("rest", "edge")
    diff = compare_sessions(rest, edge)
    assert diff.cross_protocol and diff.to_dict()["protocols"] == {"a": "rest", "b": "edge"}
    assert diff.equivalent, [d.text for d in diff.differences("REST", "Edge")]
    assert compare_sessions(edge, rest).equivalent  # either side may be the reference


def test_a_content_difference_across_protocols_is_still_found() -> None:
    from mcscope.sim import edge_wire

    rest = only(simulate_offline("vod-preroll-midroll", t0_ms=T0_MS))
    edge = _played_by("live", edge_wire.MEDIA_SDK)
    diff = compare_sessions(rest, edge)
    assert not diff.equivalent
    kinds = {d.kind for d in diff.differences()}
    assert {"changed", "metrics"} <= kinds
    twin = only(simulate_offline("edge-live", t0_ms=T0_MS))  # the demo's twin: media ids end in -edge
    texts = [d.text for d in compare_sessions(only(simulate_offline("live", t0_ms=T0_MS)), twin).differences()]
    assert len(texts) == 1 and "params[media.id] 'live-news' -> 'live-news-edge'" in texts[0]


def test_same_protocol_comparisons_keep_pings_and_every_parameter(reference: Session) -> None:
    other = only([edit_body(ex, lambda b: b.get("params", {}).update({"analytics.reportSuite": "other"}) or b)
                  if event_type(ex) == "sessionStart" else ex for ex in simulate_offline("vod-preroll-midroll",
                                                                                        t0_ms=T0_MS)])
    diff = compare_sessions(reference, other)
    assert not diff.cross_protocol
    assert any("analytics.reportSuite" in d.text for d in diff.differences())
    assert any(r.event_type == "ping" for r in diff.rows)
