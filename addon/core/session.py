"""Sessions and the analyzer: exchanges in, judged events, findings, timelines and metrics out.

``Analyzer.feed`` takes exchanges in the order the proxy saw them; each collection call becomes
events of a :class:`Session`, and every event passes the rule families in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcscope.core import edge_spec, metrics
from mcscope.core import exchange as xch
from mcscope.core import status as st
from mcscope.core.config import Config
from mcscope.core.edge_ingest import EdgeIngest
from mcscope.core.model import Exchange, Finding, Severity
from mcscope.core.rules import (
    ads,
    chapters,
    downloaded,
    edge_envelope,
    envelope,
    lifecycle,
    pings,
    playback,
    qoe,
    sessionstart,
    states,
    timestamps,
)
from mcscope.core.rules.catalogue import RULES
from mcscope.core.rules.clients import ClientTracker
from mcscope.core.state import Event, SessionState
from mcscope.core.timeline import Segment

__all__ = ["Analyzer", "Delta", "EdgeSession", "Event", "Segment", "Session"]

EMPTY_SID_KEY = "(empty sid)"
DROPPED = "dropped"  # Event.context of an event the collector refused or dropped before judging it


class Session(SessionState):
    """One media session: its events, findings, timeline and metrics."""

    #: the collector answered 4xx to the request that opens the session (sessionStart, downloaded batch)
    rejected = False
    #: the protocol seam: "rest" or "edge", and the per-protocol envelope and sessionStart-content checks
    protocol = "rest"
    _check_envelope = staticmethod(envelope.check)
    _check_start = staticmethod(sessionstart.check)

    def process(self, ev: Event, live: bool = False, accepted: bool = True) -> None:
        """Judge one event. ``accepted=False``: the collector refused it, so it changes no state."""
        self.event_count += 1
        self.last_event = ev
        if self.config.keep_events:
            self.events.append(ev)
            self._judge(ev, live, accepted)
            ev.pack()  # kept events: drop what the event's fields already hold
        else:
            self._judge(ev, live, accepted)

    def _judge(self, ev: Event, live: bool, accepted: bool) -> None:
        if self.first_received is None:
            self.first_received = ev.received
        self.last_received = ev.received
        self._check_envelope(self, ev, live)
        et = ev.event_type
        if et == "sessionStart":
            self._check_start(self, ev, not ev.downloaded)
            if accepted and ev.index == 0:
                self._start(ev)
        if not accepted:
            # The collector refused it (400/404/410): no state changes, but say why a 410 came.
            if self.closed != "gone" and ev.body is not None:
                lifecycle.before(self, ev)
            self._mark_ignored(ev)
            return
        if ev.ts is not None:
            timestamps.check(self, ev)
        if lifecycle.before(self, ev):
            self._mark_ignored(ev)
            return
        if ev.ts is not None and self.first_ts is None:
            self.first_ts = ev.ts
        if self.last_t is not None:
            metrics.accumulate(self, ev)
        ads.handle(self, ev)
        pings.handle(self, ev)
        playback.handle(self, ev)
        chapters.handle(self, ev)
        states.handle(self, ev)
        qoe.handle(self, ev)
        if et in lifecycle.CLOSING:
            lifecycle.after(self, ev)
        self._track(ev)

    def _start(self, ev: Event) -> None:
        self.observed_start = True
        self.start_event = ev
        self.playback = "starting"
        self.content_started = False
        self.in_break = False
        self.in_ad = False
        self.in_chapter = False
        params = ev.params
        self.media = {
            "id": params.get("media.id"),
            "name": params.get("media.name"),
            "contentType": params.get("media.contentType"),
            "length": params.get("media.length"),
            "playerName": params.get("media.playerName"),
            "streamType": params.get("media.streamType"),
            "channel": params.get("media.channel"),
        }
        if self.timeline is not None:
            self.timeline.open("playback", "state", "starting", ev.t, "starting", event=ev.index)

    def _track(self, ev: Event) -> None:
        ts, playhead, t = ev.ts, ev.playhead, ev.t
        if ts is not None:
            if playhead is not None and (self.playhead is None or abs(playhead - self.playhead) > 1e-9) or self.playhead_change_ts is None:
                self.playhead_change_ts = ts
            self.last_ts = ts
            self.last_ts_fraction = ev.ts_fraction_digits()
        if playhead is not None:
            self.playhead = playhead
        if self.last_t is None or t > self.last_t:
            self.last_t = t

    def _mark_ignored(self, ev: Event) -> None:
        ev.context = DROPPED  # not judged in sequence: no playhead or ping point on the timeline
        if self.timeline is not None:
            self.timeline.point("ignored", "dropped", ev.t, ev.event_type or "event", ignored=True,
                                reason=ev.ignored_reason, event=ev.index)

    # --- views ----------------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """One of :data:`mcscope.core.status.STATUSES`."""
        if self.rejected:
            return st.REJECTED
        if self.closed == "ended":
            return st.ENDED
        if self.closed == "gone":
            return st.GONE
        if self.closed in ("timeout-idle", "timeout-playhead", "expired"):
            return st.TIMED_OUT
        if self.completed:
            return st.COMPLETED
        return st.OPEN

    def metrics(self) -> dict[str, Any]:
        return metrics.preview(self)

    def segments(self) -> list[Segment]:
        """The session's timeline: recorded intervals plus the per-event points (playhead, pings, findings),
        which are derived from the events here rather than stored, to keep memory per event small."""
        if self.timeline is None:
            return []
        out = self.timeline.snapshot(self.last_t)
        for ev in self.events:
            t, index = ev.t, ev.index
            if ev.context != DROPPED:
                if ev.playhead is not None:
                    out.append(Segment("playhead", ev.context, t, t, ev.event_type or "", event=index,
                                       value=ev.playhead))
                if ev.event_type == "ping":
                    out.append(Segment("ping", "ad-ping" if ev.context == "ad" else "ping", t, t, "ping",
                                       event=index))
            for f in ev.findings:
                out.append(Segment("finding", f.severity.label, t, t, f"{f.rule}: {f.message}", event=index))
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "key": self.key,
            "media": dict(self.media),
            "status": self.status,
            "downloaded": self.downloaded,
            "client": self.client,
            "events": self.event_count,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "first_received": self.first_received,
            "counts": {
                "error": self.counts[Severity.ERROR],
                "warning": self.counts[Severity.WARNING],
                "info": self.counts[Severity.INFO],
                "ignored": self.ignored_count,
            },
            "metrics": self.metrics(),
        }

    def to_report(self) -> dict[str, Any]:
        out = self.summary()
        out["findings"] = [f.to_dict() for f in self.findings]
        return out


def _refused(ex: Exchange) -> bool:
    """The collector answered 4xx: it did not open the session this request starts."""
    status = ex.response_status
    return ex.error is None and status is not None and 400 <= status < 500


class EdgeSession(Session):
    """A Media Edge API session (media-edge.md): the same state machine, timeline and metrics on the events'
    REST-shaped reading; envelope and sessionStart content judged on the XDM body (rules/edge_envelope.py), whose
    findings replace the REST readings of :data:`edge_envelope.XDM_JUDGED`; Edge default severities."""

    protocol = edge_spec.PROTOCOL
    _check_envelope = staticmethod(edge_envelope.check)
    _check_start = staticmethod(lambda s, ev, realtime: None)  # part of edge_envelope.check
    # media-edge.md Decisions (Web SDK and Edge Media SDKs allow 10-50 s); rules.md keeps REST at the tunable
    infers_ping_interval = True
    edge_hint: str | None = None  # the location hint every call of the session must use

    def emit(self, rule: str, message: str, event: Event | None = None, severity: Severity | None = None,
             ignored: bool = False) -> Finding | None:
        if rule in edge_envelope.XDM_JUDGED:
            return None  # the shared family's REST reading; edge_envelope judges the XDM body
        return edge_envelope.emit(self, rule, message, event, severity, ignored)


@dataclass(slots=True)
class Delta:
    kind: str  # "event" | "session" | "finding"
    session: Session | None = None
    event: Event | None = None
    finding: Finding | None = None


class Analyzer:
    """Feeds exchanges through the core; never raises on bad input."""

    def __init__(self, config: Config | None = None, clients: ClientTracker | None = None) -> None:
        self.config = config or Config()
        self.sessions: list[Session] = []
        self.transport_findings: list[Finding] = []
        self.exchanges_seen = 0
        self._by_sid: dict[str, Session] = {}
        self._by_key: dict[str, Session] = {}
        self._gone: set[str] = set()
        self._clients = clients if clients is not None else ClientTracker()
        self._capture_start: float | None = None
        self._latest_t: int | None = None
        self._finished = False
        self._edge = EdgeIngest(self.config, self._new_edge_session, self.transport_findings_append, Delta,
                                self._clients)

    def transport_findings_append(self, finding: Finding) -> None:
        self.transport_findings.append(finding)

    def session(self, key: str) -> Session | None:
        return self._by_key.get(key)

    # --- sharded checks (addon/shard.py) -----------------------------------------------------------------
    @property
    def latest_t(self) -> int | None:
        """The latest event time seen (what ``finish`` measures idle sessions against)."""
        return self._latest_t

    @property
    def gone_sids(self) -> set[str]:
        return set(self._gone)

    def set_capture_start(self, t: float | None) -> None:
        """The earliest collection call of the whole capture so far, when this Analyzer sees only a part."""
        self._capture_start = t

    @classmethod
    def from_parts(
        cls,
        config: Config,
        sessions: list[Session],
        transport_findings: list[Finding],
        exchanges_seen: int,
        latest_t: int | None,
        gone: set[str],
    ) -> Analyzer:
        """An Analyzer holding the sessions of several partial ones (in capture order), not yet finished."""
        an = cls(config)
        an.sessions = sessions
        an.transport_findings = transport_findings
        an.exchanges_seen = exchanges_seen
        an._latest_t = latest_t
        an._gone = gone
        for s in sessions:
            an._by_key[s.key] = s
            if s.sid is not None and not s.downloaded:
                an._by_sid[s.sid] = s
        return an

    # --- input ------------------------------------------------------------------------------------------
    def feed(self, ex: Exchange) -> list[Delta]:
        self.exchanges_seen += 1
        parsed = xch.parse_exchange(ex)
        if parsed.endpoint is None:
            return self._feed_edge(ex) if edge_spec.maybe_edge_url(ex.url) else []
        self._note_start(ex)  # before judging: a sessionStart's mid-capture test reads it
        deltas: list[Delta] = []
        if parsed.endpoint == xch.EVENTS:
            self._events(parsed, deltas)
        elif parsed.endpoint == xch.DOWNLOADED or parsed.is_array:
            self._downloaded(parsed, deltas)
        else:
            self._session_start(parsed, deltas)
        self._note_latest(deltas)
        return deltas

    def _feed_edge(self, ex: Exchange) -> list[Delta]:
        """A Media Edge API call (edge_ingest.py); [] when it carries no media traffic."""
        deltas: list[Delta] = []
        if not self._edge.feed(ex, deltas):
            return []
        self._note_start(ex)
        self._note_latest(deltas)
        return deltas

    def _note_start(self, ex: Exchange) -> None:
        """The capture's first request start (a session starting near it may have started before it)."""
        if self._capture_start is None or ex.timestamp_start < self._capture_start:
            self._capture_start = ex.timestamp_start

    def _note_latest(self, deltas: list[Delta]) -> None:
        """The latest event time seen (the timeouts judged at the end are measured to it)."""
        latest = self._latest_t
        for d in deltas:
            ev = d.event
            if ev is not None and (latest is None or ev.t > latest):
                latest = ev.t
        self._latest_t = latest

    def _new_edge_session(self, key: str, sid: str | None, deltas: list[Delta], downloaded: bool) -> EdgeSession:
        """A new Edge session, registered by key (the ingest keeps Edge session ids apart from REST sids)."""
        base, n = key, 1
        while key in self._by_key:
            n += 1
            key = f"{base}~{n}"
        s = EdgeSession(key, sid, self.config, downloaded=downloaded)
        self.sessions.append(s)
        self._by_key[key] = s
        deltas.append(Delta("session", s))
        return s

    def _new_session(self, key: str, sid: str | None, deltas: list[Delta], downloaded: bool = False) -> Session:
        base, n = key, 1
        while key in self._by_key:
            n += 1
            key = f"{base}~{n}"
        s = Session(key, sid, self.config, downloaded=downloaded)
        self.sessions.append(s)
        self._by_key[key] = s
        if sid is not None and not downloaded:
            self._by_sid[sid] = s
            self._gone.discard(sid)
        deltas.append(Delta("session", s))
        return s

    def _transport(self, rule: str, message: str, ex: Exchange, deltas: list[Delta], sev: str | None = None) -> None:
        if rule in self.config.ignore:
            return
        severity = self.config.severity_of(rule, "rest", Severity.parse(sev) if sev else None)
        f = Finding(rule, severity, message, flow=ex.flow_id)
        self.transport_findings.append(f)
        deltas.append(Delta("finding", None, None, f))

    def _attach(self, s: Session, ev: Event, parsed: xch.ParsedExchange) -> None:
        for raw in parsed.findings:
            if raw.rule == "unknown-host":
                if raw.rule in s.fired:
                    continue  # once per session: every call of a session goes to the same host
                s.fired.add(raw.rule)
            s.emit(raw.rule, raw.message, ev, severity=Severity.parse(raw.severity) if raw.severity else None)

    def _status(self, s: Session, ev: Event, parsed: xch.ParsedExchange) -> bool:
        """Findings from the collector's answer. False when the collector did not record the event."""
        ex = parsed.exchange
        status = ex.response_status
        if ex.error is not None or status is None:
            s.emit("no-response", f"the exchange failed ({ex.error or 'no response'}): the event is probably lost",
                   ev)
            return True
        if 500 <= status < 600:
            s.emit("server-error", f"the collector answered {status}: the event is probably lost", ev)
            return True
        if parsed.endpoint == xch.EVENTS and status in (404, 410):
            s.emit("session-gone", f"the collector answered {status} ({'unknown' if status == 404 else 'closed'} "
                   "session): start a new session", ev, ignored=True)
            s.drop(ev, RULES["session-gone"].consequence or "dropped")
            return False
        if status == 400:
            message = xch.response_message(ex)
            s.emit("http-rejected", f"the collector answered {status}" + (f": {message}" if message else ""), ev,
                   ignored=True)
            s.drop(ev, RULES["http-rejected"].consequence or "dropped")
            return False
        if 400 <= status < 500:  # no rule names other refusals (401, 404 to /sessions, 429 ...): not recorded
            s.drop(ev, f"not recorded: the collector answered {status}")
            return False
        return True

    def _session_start(self, parsed: xch.ParsedExchange, deltas: list[Delta]) -> None:
        ex = parsed.exchange
        if parsed.skip_events and parsed.sid is None:
            for raw in parsed.findings:
                self._transport(raw.rule, raw.message, ex, deltas, raw.severity)
            status = ex.response_status
            if status == 400:
                msg = xch.response_message(ex)
                self._transport("http-rejected", f"the collector answered {status}" + (f": {msg}" if msg else ""),
                                ex, deltas)
            return
        s = self._new_session(parsed.sid or f"flow:{ex.flow_id}", parsed.sid, deltas)
        body = parsed.bodies[0] if parsed.bodies else None
        ev = Event(0, parsed.sid, ex.flow_id, body, ex.timestamp_start, ex.response_status)
        self._attach(s, ev, parsed)
        if ev.body is not None and ev.event_type != "sessionStart":
            s.emit("sessions-wrong-event", f"/sessions got {ev.event_type or 'an event without eventType'}; only "
                   "sessionStart opens a session", ev)
        accepted = self._status(s, ev, parsed)
        s.rejected = _refused(ex)
        if parsed.sid is None and ex.response_status == 201:
            accepted = True  # the collector took it; only the sid is unknown
        s.process(ev, live=ex.live, accepted=accepted and ev.body is not None)
        if ev.event_type == "sessionStart":
            self._clients.on_session_start(s, ev, ex)
        deltas.append(Delta("event", s, ev))

    def _events(self, parsed: xch.ParsedExchange, deltas: list[Delta]) -> None:
        ex = parsed.exchange
        sid = parsed.sid or ""
        s = self._by_sid.get(sid)
        if s is None:
            s = self._new_session(sid or EMPTY_SID_KEY, sid, deltas)
            first = Event(0, sid, ex.flow_id, parsed.bodies[0] if parsed.bodies else None, ex.timestamp_start,
                          ex.response_status)
            if not sid:
                s.emit("no-session-start", "event posted with an empty sid, before the 201 named the session: "
                       "queue events until the sid is known", first)
            else:
                mid_capture = ex.timestamp_start - (self._capture_start or ex.timestamp_start) <= \
                    self.config.tunables["idle_timeout"]
                s.emit("no-session-start", "no sessionStart/201 captured for this sid" + (
                    " (the capture probably began mid-session)" if mid_capture else ""), first,
                    severity=Severity.INFO if mid_capture else None)
            pending: list[Finding] = list(first.findings)
        else:
            pending = []
        bodies: list[Any] = parsed.bodies if parsed.bodies else [None]
        status = ex.response_status
        # No error, no 4xx/5xx: _status would find nothing and accept the event.
        answered_ok = ex.error is None and status is not None and status < 400
        for n, body in enumerate(bodies):
            ev = Event(s.event_count, sid, ex.flow_id, body, ex.timestamp_start, status)
            if pending and n == 0:
                for f in pending:
                    ev.add_finding(f)
                for f in pending:
                    f.event = ev.index
            if n == 0 and parsed.findings:
                self._attach(s, ev, parsed)
            if ev.event_type == "sessionStart":
                s.emit("session-start-on-events", "sessionStart posted to /events; start sessions with POST "
                       "/api/v1/sessions", ev)
            if sid in self._gone:
                s.emit("event-after-gone", f"{ev.event_type or 'event'} on a sid the collector already answered "
                       "404/410 for", ev, ignored=True)
                s.drop(ev, RULES["event-after-gone"].consequence or "dropped")
                s.process(ev, ex.live, False)
            else:
                accepted = answered_ok or self._status(s, ev, parsed)
                s.process(ev, ex.live, accepted and ev.body is not None)
            deltas.append(Delta("event", s, ev))
        if status in (404, 410) and sid:
            self._gone.add(sid)
            s.closed = "gone"
            s.close_reason = RULES["event-after-gone"].consequence

    def _downloaded(self, parsed: xch.ParsedExchange, deltas: list[Delta]) -> None:
        """A downloaded batch (or the legacy array on /sessions): one session of its own, every element an event."""
        ex = parsed.exchange
        legacy = parsed.endpoint == xch.SESSIONS
        payload = parsed.payload
        if parsed.skip_events and not isinstance(payload, list | dict):
            for raw in parsed.findings:
                self._transport(raw.rule, raw.message, ex, deltas, raw.severity)
            return
        s = self._new_session(f"downloaded:{ex.flow_id}", None, deltas, downloaded=True)
        items = payload if isinstance(payload, list) else [payload]
        events = [Event(i, None, ex.flow_id, item, ex.timestamp_start, ex.response_status, downloaded=True)
                  for i, item in enumerate(items)]
        if not events:
            events = [Event(0, None, ex.flow_id, None, ex.timestamp_start, ex.response_status, downloaded=True)]
        first = events[0]
        self._attach(s, first, parsed)
        if legacy:
            downloaded.check_legacy(s, first)
        discarded = not legacy and downloaded.check_format(s, first, payload)
        accepted = self._status(s, first, parsed) and not discarded
        s.rejected = _refused(ex)
        for ev in events:
            if not accepted:
                s.drop(ev, first.ignored_reason or downloaded.DISCARDED)
            s.process(ev, live=False, accepted=accepted and ev.body is not None)
            deltas.append(Delta("event", s, ev))
        downloaded.check_closed(s, events)

    # --- end of capture --------------------------------------------------------------------------------
    def finish(self) -> list[Delta]:
        """Session-level findings due at the end of the capture. Safe to call more than once."""
        if self._finished:
            return []
        self._finished = True
        deltas: list[Delta] = []
        end = self._latest_t
        for s in self.sessions:
            before = len(s.findings)
            pings.settle(s)  # gaps that waited for the session's ping interval (Media Edge API)
            for f in s.findings[before:]:
                deltas.append(Delta("finding", s, None, f))
            if s.downloaded or s.closed is not None or s.completed:
                continue
            if not s.sid:
                continue  # no 201 named it: the collector never opened this session (or the player cannot use it)
            before = len(s.findings)
            idle_ms = s.tun("idle_timeout") * 1000
            expired = end is not None and s.last_t is not None and end - s.last_t > idle_ms
            last = s.last_event
            if expired:
                # R45: closed by timeout rather than by sessionComplete/sessionEnd.
                lifecycle.close(s, None)
                s.closed = "expired"
                s.emit("session-not-closed", "no sessionComplete or sessionEnd: the collector closed the session by "
                       "idle timeout (seconds since last call becomes ~600)", last)
            else:
                s.emit("session-not-closed", "at capture end the session has neither sessionComplete nor sessionEnd "
                       "(end abandoned playback with sessionEnd, finished playback with sessionComplete)", last)
            for f in s.findings[before:]:
                deltas.append(Delta("finding", s, None, f))
        return deltas

    # --- aggregate views ---------------------------------------------------------------------------------
    def all_findings(self) -> list[Finding]:
        out = list(self.transport_findings)
        for s in self.sessions:
            out.extend(s.findings)
        return out

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.all_findings()), default=None)
