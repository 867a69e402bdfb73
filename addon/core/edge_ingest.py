"""The Media Edge API half of the Analyzer: Edge calls in, events of Edge sessions out (media-edge.md §1.6-§1.7).

Sessions are named by the ``media-analytics:new-session`` handle of the sessionStart (or media interact)
answer and found again through ``xdm.mediaCollection.sessionID``; the location hint of a session is the one its
sessionStart was sent under, else the one its answer returned. An event the Edge refused (4xx, 207 errors, a
path/payload mismatch, no sessionID) is judged for its own findings but changes no state (``accepted=False``),
as for REST. The session state machine itself is the shared one (``session.Session``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from mcscope.core import edge_exchange as ee
from mcscope.core import edge_spec as es
from mcscope.core.config import Config
from mcscope.core.edge_event import EdgeContext, EdgeEvent, parse_timestamp
from mcscope.core.model import Exchange, Finding, Severity
from mcscope.core.rules import downloaded as rest_downloaded
from mcscope.core.rules.catalogue import RULES
from mcscope.core.rules.clients import ClientTracker
from mcscope.core.rules.edge_envelope import emit
from mcscope.core.state import SessionState

NO_SID_KEY = "edge:(no sessionID)"


class EdgeSessionLike(Protocol):
    """What the ingest needs of a session (``session.EdgeSession``)."""

    sid: str | None
    key: str
    event_count: int
    fired: set[str]
    observed_start: bool
    closed: str | None
    close_reason: str | None
    edge_hint: str | None

    def process(self, ev: Any, live: bool = False, accepted: bool = True) -> None: ...


NewSession = Callable[[str, "str | None", list[Any], bool], Any]


class EdgeIngest:
    """Edge sessions by id, the ids that are gone, the requestIds the Edge returned."""

    def __init__(self, config: Config, new_session: NewSession, add_transport: Callable[[Finding], None],
                 delta: Callable[..., Any], clients: ClientTracker | None = None) -> None:
        self.config = config
        self._clients = clients if clients is not None else ClientTracker()  # session-restarted, shared with REST
        self._new_session = new_session  # (key, sid, deltas, downloaded) -> EdgeSession, registered
        self._add_transport = add_transport  # keeps a transport finding in the Analyzer
        self._delta = delta  # Delta's constructor
        self._by_sid: dict[str, Any] = {}
        self._gone: set[str] = set()
        self._request_ids: set[str] = set()
        self._capture_start: float | None = None

    # --- entry ----------------------------------------------------------------------------------------------
    def feed(self, ex: Exchange, deltas: list[Any]) -> bool:
        """Judge one exchange; False when it is no media traffic (nothing recorded)."""
        call = ee.parse(ex)
        if call.kind is None:
            return False
        if self._capture_start is None or ex.timestamp_start < self._capture_start:
            self._capture_start = ex.timestamp_start
        if call.skip_events or not call.events:
            for raw in call.findings:
                self._transport_finding(raw.rule, raw.message, ex, deltas, raw.severity)
            self._answer_without_session(call, deltas)
            return True
        if call.kind == ee.DOWNLOADED:
            self._downloaded(call, deltas)
        else:
            for n, xdm in enumerate(call.events):
                starts = (call.kind == ee.INTERACT and n in call.starts) or (
                    call.kind == ee.VA and call.path_type == "sessionStart")
                if starts:
                    self._start(call, n, xdm, deltas)
                else:
                    self._event(call, n, xdm, deltas)
        if call.response.request_id:
            self._request_ids.add(call.response.request_id)
        return True

    def _transport_finding(self, rule: str, message: str, ex: Exchange, deltas: list[Any],
                           sev: str | None = None) -> None:
        cfg = self.config
        if rule in cfg.ignore:
            return
        severity = cfg.severity_of(rule, es.PROTOCOL, Severity.parse(sev) if sev else None)
        f = Finding(rule, severity, message, flow=ex.flow_id, protocol=es.PROTOCOL)
        self._add_transport(f)
        deltas.append(self._delta("finding", None, None, f))

    def _answer_without_session(self, call: ee.EdgeCall, deltas: list[Any]) -> None:
        status = call.status
        if status is not None and 400 <= status < 500 and status != 404 and call.answered is None:
            problem = call.response.problem
            text = f": {ee.describe_error(problem)}" if problem else ""
            self._transport_finding("http-rejected", f"the Edge answered {status}{text}", call.exchange, deltas)

    def _context(self, call: ee.EdgeCall) -> EdgeContext:
        return EdgeContext(call.path_type, call.hint, call.kind == ee.INTERACT, call.identity, call.request_xdm,
                           call.exchange.flow_id)

    @staticmethod
    def _attach(s: SessionState, ev: EdgeEvent, call: ee.EdgeCall) -> None:
        for raw in call.findings:
            if raw.rule == "unknown-host":
                if raw.rule in s.fired:
                    continue  # once per session: every call of a session goes to the same host
                s.fired.add(raw.rule)
            emit(s, raw.rule, raw.message, ev, severity=Severity.parse(raw.severity) if raw.severity else None)

    def _mismatch(self, s: SessionState, ev: EdgeEvent, call: ee.EdgeCall) -> bool:
        """edge-path-event-mismatch: the Edge answers 400; the event is judged as neither event."""
        if call.kind != ee.VA or call.path_type is None:
            return False
        raw = ev.raw_type
        if isinstance(raw, str) and raw.lower() == es.MEDIA_PREFIX + call.path_type.lower():
            return False
        emit(s, "edge-path-event-mismatch", f"path /va/v1/{call.path_segment} but xdm.eventType {raw!r}: the Edge "
             f"answers 400 (\"The payload eventType … was different from the path eventType\")", ev, ignored=True)
        s.drop(ev, RULES["edge-path-event-mismatch"].consequence or "dropped")
        return True

    # --- sessionStart ---------------------------------------------------------------------------------------
    def _start(self, call: ee.EdgeCall, n: int, xdm: dict[str, Any], deltas: list[Any]) -> None:
        ex = call.exchange
        resp = call.response
        sid = resp.session_id if resp.session_event_index in (None, n) or len(call.starts) <= 1 else None
        key = sid or f"edge:flow:{ex.flow_id}" + (f":{n}" if n else "")
        s = self._new_session(key, sid, deltas, False)
        if sid is not None:
            self._by_sid[sid] = s
            self._gone.discard(sid)
        s.edge_hint = call.hint or resp.location_hint
        ev = EdgeEvent(0, sid, ex.flow_id, xdm, ex.timestamp_start, ex.response_status, self._context(call))
        self._attach(s, ev, call)
        accepted = not self._mismatch(s, ev, call)
        if not isinstance(xdm.get("mediaCollection"), dict):
            self._no_media_collection(s, ev)
            accepted = False
        accepted = self._start_answer(s, ev, call) and accepted
        status = ex.response_status
        s.rejected = (ex.error is None and status is not None and 400 <= status < 500) or any(
            f.rule == "edge-session-start-failed" for f in ev.findings)
        s.process(ev, live=ex.live, accepted=accepted)
        if ev.event_type == "sessionStart":
            self._clients.on_edge_session_start(s, ev, call.client, opened=accepted and sid is not None)
        deltas.append(self._delta("event", s, ev))

    def _start_answer(self, s: SessionState, ev: EdgeEvent, call: ee.EdgeCall) -> bool:
        """Findings from the answer to a sessionStart. False when the Edge opened no session."""
        ex = call.exchange
        status = ex.response_status
        resp = call.response
        if ex.error is not None or status is None:
            emit(s, "no-response", f"the exchange failed ({ex.error or 'no response'}): the session id never "
                 "arrived", ev)
            return True
        if 500 <= status < 600:
            emit(s, "server-error", f"the Edge answered {status}: the session was probably not started", ev)
            return True
        if 400 <= status < 500:
            return self._refused(s, ev, call)
        if status in (200, 207):
            failed = [e for e in resp.errors if ee.error_code(e) == es.VA_BAD_REQUEST]
            others = [e for e in resp.errors + resp.warnings if ee.error_code(e) != es.VA_BAD_REQUEST]
            consent = [e for e in others if ee.error_code(e) == es.CONSENT_IGNORED]
            for item in others:
                if item in consent:
                    continue
                emit(s, "edge-upstream-warning", f"the Edge answered {status} with {ee.describe_error(item)} "
                     "(processing continues)", ev)
            if consent:
                emit(s, "edge-consent-ignored", f"the Edge ignored the request: {ee.describe_error(consent[0])}", ev)
                s.drop(ev, "dropped: ignored for lack of user consent (EXEG-0301-200)")
                return False
            if failed:
                emit(s, "edge-session-start-failed", f"the Edge refused the sessionStart ({status}): "
                     f"{ee.describe_error(failed[0])}; no session, Adobe's SDKs send nothing more", ev, ignored=True)
                s.drop(ev, RULES["edge-session-start-failed"].consequence or "dropped")
                return False
            if resp.session_id is None:
                what = ("an empty sessionId in its media-analytics:new-session handle" if resp.session_handle else
                        "no media-analytics:new-session handle")
                emit(s, "edge-session-handle-missing", f"the Edge answered {status} with {what}: check that the "
                     "datastream has Media Analytics enabled", ev)
        return True

    def _refused(self, s: SessionState, ev: EdgeEvent, call: ee.EdgeCall) -> bool:
        """A 4xx: judged, not applied. Always False."""
        ex = call.exchange
        status = ex.response_status
        # a problem+json answer, else the first errors[] record (Adobe's SDK tests answer a 400 that way)
        problem = call.response.problem or (call.response.errors[0] if call.response.errors else None)
        code = ee.error_code(problem) if problem else ""
        if status == 429:
            after = ex.response_header("retry-after")
            emit(s, "edge-rate-limited", "the Edge answered 429" + (f" (Retry-After: {after})" if after else "") +
                 ": retry later", ev)
            s.drop(ev, "not recorded: rate limited (429)")
            return False
        if call.answered is not None:  # its finding (edge_exchange._answer) already says what the Edge answered
            s.drop(ev, f"dropped: the Edge refused the request ({status}, {code}): events with a 4xx are not "
                   "tracked")
            return False
        if status in (404, 410) and ev.event_type != "sessionStart":
            return False  # session-gone (the caller)
        if status == 400 or problem is not None:
            text = ee.describe_error(problem) if problem else "no problem details"
            if "edge-path-event-mismatch" not in {f.rule for f in ev.findings}:
                emit(s, "http-rejected", f"the Edge answered {status}: {text}", ev, ignored=True)
                s.drop(ev, "dropped: the Edge refused the request " f"({status}): events with a 4xx are not tracked")
                return False
        s.drop(ev, f"not recorded: the Edge answered {status}")
        return False

    # --- events ---------------------------------------------------------------------------------------------
    def _event(self, call: ee.EdgeCall, n: int, xdm: dict[str, Any], deltas: list[Any]) -> None:
        ex = call.exchange
        mc = xdm.get("mediaCollection")
        sid = mc.get("sessionID") if isinstance(mc, dict) else None
        misplaced = None
        if not isinstance(sid, str) or not sid:
            misplaced = _misplaced_id(xdm)
            sid = misplaced[1] if misplaced else None
        s = self._by_sid.get(sid) if sid else None
        pending: list[tuple[str, str, Severity | None]] = []
        if s is None:
            key = sid or NO_SID_KEY
            s = self._new_session(key, sid, deltas, False)
            if sid:
                self._by_sid[sid] = s
                mid = ex.timestamp_start - (self._capture_start or ex.timestamp_start) <= \
                    self.config.tunables["idle_timeout"]
                pending.append(("no-session-start", "no sessionStart captured for this sessionID" +
                                (" (the capture probably began mid-session)" if mid else ""),
                                Severity.INFO if mid else None))
        ev = EdgeEvent(s.event_count, sid, ex.flow_id, xdm, ex.timestamp_start, ex.response_status,
                       self._context(call))
        for rule, message, sev in pending:
            emit(s, rule, message, ev, severity=sev)
        if n == 0:
            self._attach(s, ev, call)
        accepted = True
        if not isinstance(mc, dict):
            self._no_media_collection(s, ev)
            accepted = False
        elif misplaced:
            emit(s, "edge-session-id-key", f"session id sent as {misplaced[0]}: send it as "
                 "xdm.mediaCollection.sessionID (the Edge cannot find the session)", ev)
            accepted = False
        elif not sid:
            emit(s, "edge-session-id-missing", f"{ev.event_type or 'event'} without mediaCollection.sessionID: queue "
                 "events until the sessionStart answer names the session", ev, ignored=True)
            s.drop(ev, RULES["edge-session-id-missing"].consequence or "dropped")
            accepted = False
        if sid:
            self._sid_checks(s, ev, sid)
        self._hint(s, ev, call)
        if call.kind == ee.INTERACT and "edge-media-via-interact" not in s.fired:
            s.fired.add("edge-media-via-interact")
            emit(s, "edge-media-via-interact", f"{ev.raw_type} sent through /v1/interact (Web SDK sendEvent style); "
                 "sendMediaEvent posts to /va/v1/… (whether the Edge treats both alike is UNCONFIRMED)", ev)
        if self._mismatch(s, ev, call):
            accepted = False
        if sid and sid in self._gone:
            emit(s, "event-after-gone", f"{ev.event_type or 'event'} on a sessionID the Edge already answered "
                 "404/410 for", ev, ignored=True)
            s.drop(ev, RULES["event-after-gone"].consequence or "dropped")
            s.process(ev, ex.live, False)
            deltas.append(self._delta("event", s, ev))
            return
        accepted = self._event_answer(s, ev, call) and accepted
        s.process(ev, ex.live, accepted)
        deltas.append(self._delta("event", s, ev))
        if ex.response_status in (404, 410) and sid:
            self._gone.add(sid)
            s.closed = "gone"
            s.close_reason = RULES["event-after-gone"].consequence

    def _no_media_collection(self, s: SessionState, ev: EdgeEvent) -> None:
        value = (ev.xdm or {}).get("mediaCollection")
        what = "missing" if value is None else f"a {type(value).__name__}, not an object"
        emit(s, "edge-media-collection-missing", f"xdm.mediaCollection is {what}: the Edge answers 400", ev,
             ignored=True)
        s.drop(ev, RULES["edge-media-collection-missing"].consequence or "dropped")

    def _sid_checks(self, s: SessionState, ev: EdgeEvent, sid: str) -> None:
        if sid in self._request_ids and "edge-request-id-as-session-id" not in s.fired:
            s.fired.add("edge-request-id-as-session-id")
            emit(s, "edge-request-id-as-session-id", f"sessionID {sid!r} is the requestId of an earlier answer, not "
                 "the media-analytics:new-session sessionId", ev)
        elif not es.SESSION_ID_RE.match(sid) and "edge-session-id-format" not in s.fired:
            s.fired.add("edge-session-id-format")
            emit(s, "edge-session-id-format", f"sessionID {sid[:70]!r} is not 64 lowercase hex characters (the Edge "
                 f"answers e.g. InvalidApiSidLength={len(sid)})", ev)

    @staticmethod
    def _hint(s: Any, ev: EdgeEvent, call: ee.EdgeCall) -> None:
        if not s.observed_start:
            if getattr(s, "edge_hint", None) is None:
                s.edge_hint = call.hint  # mid-session capture: the first hint seen is the session's
            return
        expected = s.edge_hint
        if call.hint == expected:
            return
        key = f"edge-location-hint-changed:{call.hint}"
        if key in s.fired:
            return
        s.fired.add(key)
        sent = f"/ee/{call.hint}/" if call.hint else "no location hint"
        emit(s, "edge-location-hint-changed", f"{ev.event_type or 'event'} sent with {sent}, but the session's hint "
             f"is {expected or 'none'}: send every call of a session under the hint of its sessionStart", ev)

    def _event_answer(self, s: SessionState, ev: EdgeEvent, call: ee.EdgeCall) -> bool:
        ex = call.exchange
        status = ex.response_status
        if ex.error is not None or status is None:
            emit(s, "no-response", f"the exchange failed ({ex.error or 'no response'}): the event is probably lost",
                 ev)
            return True
        if 500 <= status < 600:
            emit(s, "server-error", f"the Edge answered {status}: the event is probably lost", ev)
            return True
        if status in (404, 410):
            problem = call.response.problem
            shown = f": {ee.describe_error(problem)}" if problem else ""
            emit(s, "session-gone", f"the Edge answered {status}{shown}: start a new session", ev, ignored=True)
            s.drop(ev, RULES["session-gone"].consequence or "dropped")
            return False
        if 400 <= status < 500:
            return self._refused(s, ev, call)
        for item in call.response.errors + call.response.warnings:
            if ee.error_code(item) == es.CONSENT_IGNORED:
                emit(s, "edge-consent-ignored", f"the Edge ignored the event: {ee.describe_error(item)}", ev)
                s.drop(ev, "dropped: ignored for lack of user consent (EXEG-0301-200)")
                return False
            emit(s, "edge-upstream-warning", f"the Edge answered {status} with {ee.describe_error(item)}", ev)
        return True

    # --- downloaded -----------------------------------------------------------------------------------------
    def _downloaded(self, call: ee.EdgeCall, deltas: list[Any]) -> None:
        """POST /ee/va/v1/downloaded: the wrapper media.downloaded is no media event; each
        mediaDownloadedEvents[] item is one event of a session of its own."""
        ex = call.exchange
        s = self._new_session(f"edge:downloaded:{ex.flow_id}", None, deltas, True)
        wrapper = call.events[0]
        items = wrapper.get("mediaDownloadedEvents")
        problems = _downloaded_problems(wrapper, items)
        ctx = self._context(call)
        list_items = items if isinstance(items, list) and items else [None]
        events = [EdgeEvent(i, None, ex.flow_id, item, ex.timestamp_start, ex.response_status, ctx, downloaded=True)
                  for i, item in enumerate(list_items)]
        first = events[0]
        self._attach(s, first, call)
        accepted = True
        if problems:
            emit(s, "downloaded-format", "; ".join(problems) + ": the whole batch is discarded", first, ignored=True)
            accepted = False
        status = ex.response_status
        if status is not None and 400 <= status < 500:
            self._refused(s, first, call)
            accepted = False
        elif status in (200, 207):
            for item in call.response.errors:
                emit(s, "downloaded-format" if ee.error_code(item) == es.VA_BAD_REQUEST else "edge-upstream-warning",
                     f"the Edge answered {status} with {ee.describe_error(item)}", first,
                     ignored=ee.error_code(item) == es.VA_BAD_REQUEST)
                if ee.error_code(item) == es.VA_BAD_REQUEST:
                    accepted = False
        for ev in events:
            if not accepted:
                s.drop(ev, first.ignored_reason or rest_downloaded.DISCARDED)
            s.process(ev, live=False, accepted=accepted and ev.xdm is not None)
            deltas.append(self._delta("event", s, ev))
        rest_downloaded.check_closed(s, events)


def _misplaced_id(xdm: dict[str, Any]) -> tuple[str, str] | None:
    mc = xdm.get("mediaCollection")
    candidates: list[tuple[str, Any]] = []
    if isinstance(mc, dict):
        candidates.append(("mediaCollection.sessionId", mc.get("sessionId")))
        details = mc.get("sessionDetails")
        if isinstance(details, dict):
            candidates.append(("mediaCollection.sessionDetails.ID", details.get("ID")))
    candidates += [("xdm.sessionID", xdm.get("sessionID")), ("xdm.sessionId", xdm.get("sessionId"))]
    for where, value in candidates:
        if isinstance(value, str) and value:
            return where, value
    return None


def _downloaded_problems(wrapper: dict[str, Any], items: Any) -> list[str]:
    problems = []
    if wrapper.get("eventType") != "media.downloaded":
        problems.append(f"events[0].xdm.eventType is {wrapper.get('eventType')!r}, not media.downloaded")
    if not isinstance(items, list) or not items:
        problems.append("xdm.mediaDownloadedEvents is missing or empty")
        return problems
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"mediaDownloadedEvents[{i}] is not an object")
            return problems
        missing = [k for k in ("mediaEventType", "mediaEventTimestamp", "mediaCollection") if k not in item]
        if missing:
            problems.append(f"mediaDownloadedEvents[{i}] has no {', '.join(missing)}")
    first = items[0]
    if isinstance(first, dict) and first.get("mediaEventType") != "media.sessionStart":
        problems.append(f"the first event is {first.get('mediaEventType')!r}, not media.sessionStart")
    last = None
    for i, item in enumerate(items):
        ts, _ = parse_timestamp(item.get("mediaEventTimestamp")) if isinstance(item, dict) else (None, None)
        if ts is not None:
            if last is not None and ts < last:
                problems.append(f"mediaDownloadedEvents[{i}] is out of timestamp order")
                break
            last = ts
    return problems
