"""Sessions and the analyzer: keying by sid, fragments, sid reuse, the Delta stream, keep_events, finish()."""

from __future__ import annotations

from mcscope.core.config import Config
from mcscope.core.model import Exchange, Severity
from mcscope.core.session import Analyzer, Delta, Session
from tests.builder import T0, Capture, clean_vod, rules, start_params


def player(n: int, t0: int = T0) -> Capture:
    """clean_vod() for player ``n``: its own sid, ECID and flow ids."""
    c = clean_vod(Capture(t0=t0, sid=f"{n:x}" * 64), start_params(visitor__marketingCloudUserId=f"{n}" * 38))
    for ex in c.exchanges:
        ex.flow_id = f"p{n}-{ex.flow_id}"
    return c


def interleave(*captures: Capture) -> list[Exchange]:
    return sorted((ex for c in captures for ex in c.exchanges), key=lambda ex: ex.timestamp_start)


def feed(exchanges: list[Exchange], config: Config | None = None) -> tuple[Analyzer, list[Delta]]:
    an = Analyzer(config)
    deltas: list[Delta] = []
    for ex in exchanges:
        deltas.extend(an.feed(ex))
    deltas.extend(an.finish())
    return an, deltas


def test_interleaved_players_are_keyed_by_sid() -> None:
    players = [player(n, T0 + n) for n in (1, 2, 3)]
    exchanges = interleave(*players)
    assert [ex.flow_id[:2] for ex in exchanges[:3]] == ["p1", "p2", "p3"]
    an, _ = feed(exchanges)
    assert not an.all_findings(), [f"{f.rule}: {f.message}" for f in an.all_findings()]
    assert [s.sid for s in an.sessions] == [c.sid for c in players]
    assert [s.key for s in an.sessions] == [c.sid for c in players]
    reference = clean_vod().analyze().sessions[0]
    for c, s in zip(players, an.sessions, strict=True):
        assert an.session(c.sid) is s
        assert s.event_count == len(c.exchanges) == len(s.events)
        assert [ev.flow for ev in s.events] == [ex.flow_id for ex in c.exchanges]
        assert [ev.index for ev in s.events] == list(range(len(s.events)))
        assert {ev.sid for ev in s.events} == {c.sid}
        assert s.status == "completed"
        assert s.metrics() == reference.metrics()


def test_fragment_without_201() -> None:
    """The capture began mid-session: the sid's events form a session, no-session-start is info."""
    c = Capture(sid="mid")
    c.ev("play", dt=10)
    c.ping_for(30)
    c.ev("sessionEnd", dt=1000)
    an = c.analyze()
    [s] = an.sessions
    assert (s.key, s.sid, s.observed_start, s.status) == ("mid", "mid", False, "ended")
    assert s.event_count == len(c.exchanges)
    [f] = [f for f in an.all_findings() if f.rule == "no-session-start"]
    assert (f.severity, f.event, f.flow, f.sid) == (Severity.INFO, 0, c.exchanges[0].flow_id, "mid")
    assert f in s.events[0].findings
    assert "mid-session" in f.message
    assert rules(an) == {"no-session-start": 1}  # nothing else is known to be wrong


def test_missing_201_long_after_capture_start_is_a_warning() -> None:
    """The sid's first event came long after the capture began: its sessionStart should have been seen."""
    early = player(1)
    late = Capture(t0=T0 + 3_600_000, sid="late")
    late.ev("play", dt=10)
    late.ev("ping", dt=10000)
    an, _ = feed(interleave(early, late))
    [f] = [f for f in an.all_findings() if f.rule == "no-session-start"]
    assert (f.severity, f.sid, f.event) == (Severity.WARNING, "late", 0)


def test_sid_reused_after_gone_starts_a_new_session() -> None:
    for status in (404, 410):
        c = Capture(sid="re")
        c.start()
        c.ev("play", dt=10)
        c.ev("ping", dt=10000, status=status)
        c.ev("ping", dt=10000)  # after the 404/410: lost
        c.start(dt=1000)  # the player starts over; the collector hands out the same sid
        c.ev("play", dt=10)
        c.ev("ping", dt=10000)
        c.ev("sessionComplete", dt=1000)
        an = c.analyze()
        old, new = an.sessions
        assert (old.key, new.key) == ("re", "re~2")
        assert old.sid == new.sid == "re"
        assert an.session("re") is old and an.session("re~2") is new
        assert old.status == "gone" and new.status == "completed"
        assert old.event_count == 4 and new.event_count == 4
        assert [f.rule for f in old.findings if f.severity == Severity.ERROR] == ["session-gone", "event-after-gone"]
        assert [f.event for f in old.findings if f.rule in ("session-gone", "event-after-gone")] == [2, 3]
        assert not [f for f in new.findings if f.severity >= Severity.WARNING], new.findings
        assert new.events[0].event_type == "sessionStart" and new.observed_start
        assert old.events[2].ignored and old.events[3].ignored


def test_delta_stream() -> None:
    c = Capture(sid="d")
    c.start()
    c.ev("play", dt=10)
    c.post("/api/v1/sessions", None, status=400, raw=b"{not json", resp_body=b'{"message": "bad"}')
    an = Analyzer()
    d_start = an.feed(c.exchanges[0])
    assert [d.kind for d in d_start] == ["session", "event"]
    s = d_start[0].session
    assert isinstance(s, Session) and d_start[1].session is s
    assert d_start[1].event is s.events[0] and d_start[1].event.event_type == "sessionStart"
    d_play = an.feed(c.exchanges[1])
    assert [(d.kind, d.session, d.event.index) for d in d_play] == [("event", s, 1)]
    d_bad = an.feed(c.exchanges[2])  # transport-level: no session, no event
    assert {d.kind for d in d_bad} == {"finding"}
    assert all(d.session is None and d.event is None for d in d_bad)
    assert {d.finding.rule for d in d_bad} == {"body-not-json", "http-rejected"}
    assert all(d.finding in an.transport_findings for d in d_bad)
    assert an.feed(Exchange("x", "GET", "https://example.com/")) == []  # not collection traffic
    d_end = an.finish()
    assert [(d.kind, d.session, d.finding.rule) for d in d_end] == [("finding", s, "session-not-closed")]
    assert d_end[0].finding in s.findings


def test_event_findings_arrive_with_their_event() -> None:
    c = Capture(sid="f")
    c.start()
    c.ev("play", dt=10)
    c.ev("pauseStart", dt=1000)
    c.ev("pauseStart", dt=1000)
    an = Analyzer()
    deltas = [d for ex in c.exchanges for d in an.feed(ex)]
    [ev] = [d.event for d in deltas if d.event is not None and d.event.index == 3]
    assert [f.rule for f in ev.findings] == ["redundant-state-event"]


def test_keep_events_false_keeps_findings_and_metrics() -> None:
    def faulty() -> Capture:
        c = clean_vod()
        c.ev("adStart", dt=1000)  # after sessionComplete, outside a break, without params
        c.ev("sessionEnd", dt=1000)
        c.ev("ping", dt=1000)
        return c

    full = faulty().analyze()
    lean = faulty().analyze(Config(keep_events=False))
    a, b = full.sessions[0], lean.sessions[0]
    assert b.events == [] and b.timeline is None and b.segments() == []
    assert b.event_count == a.event_count == len(a.events)
    assert [f.to_dict() for f in b.findings] == [f.to_dict() for f in a.findings]
    assert b.metrics() == a.metrics()
    assert b.summary() == a.summary()
    assert b.ignored_count == a.ignored_count == 2


def test_keep_events_false_deltas_still_carry_events() -> None:
    an = Analyzer(Config(keep_events=False))
    deltas = [d for ex in clean_vod().exchanges for d in an.feed(ex)]
    assert sum(d.kind == "event" for d in deltas) == an.sessions[0].event_count
    assert an.sessions[0].events == []


def test_finish_is_idempotent() -> None:
    c = Capture(sid="open")
    c.start()
    c.ev("play", dt=10)
    c.ping_for(20)
    an = Analyzer()
    for ex in c.exchanges:
        an.feed(ex)
    first = an.finish()
    findings = [f.to_dict() for f in an.all_findings()]
    assert [d.finding.rule for d in first] == ["session-not-closed"]
    assert an.finish() == []
    assert an.finish() == []
    assert [f.to_dict() for f in an.all_findings()] == findings


def test_finish_expires_idle_sessions() -> None:
    """At capture end a session silent for more than the idle timeout was closed by the collector."""
    old = Capture(sid="old")
    old.start()
    old.ev("play", dt=10)
    old.ev("ping", dt=10000)
    other = player(2, T0 + 20 * 60_000)
    an, _ = feed(interleave(old, other))
    s = an.session("old")
    assert s.status == "timed-out"
    [f] = [f for f in s.findings if f.rule == "session-not-closed"]
    assert "idle timeout" in f.message and f.event == 2  # the last event before the silence


def test_completed_and_ended_sessions_need_nothing_at_finish() -> None:
    an = clean_vod().analyze()
    assert an.finish() == []
    assert "session-not-closed" not in rules(an)


def test_events_with_an_empty_sid_are_not_lost() -> None:
    """A player that posts before the 201 sends /sessions//events: a warning, never silence."""
    c = Capture()
    c.ev("play", sid="")
    an = c.analyze()
    [s] = an.sessions
    assert s.key == "(empty sid)" and s.event_count == 1
    [f] = [f for f in s.findings if f.rule == "no-session-start"]
    assert f.severity == Severity.WARNING and "empty sid" in f.message


def test_unknown_host_is_reported_once_per_session() -> None:
    """A player pointed at a test collector hits the same host on every call: one info, not one per call."""
    import tests.builder as builder

    c = clean_vod()
    for ex in c.exchanges:
        ex.url = ex.url.replace(builder.HOST, "http://127.0.0.1:9000")
    an = c.analyze()
    assert rules(an)["unknown-host"] == 1
